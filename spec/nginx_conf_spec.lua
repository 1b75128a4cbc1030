-- nginx.conf in specs: luaws.serve{ conf = ... } serves configuration text as luaws -c does.
local client = require "resty.websocket.client"

-- The blog post's location block, verbatim (shared/seeds/000).
local seed_location = [==[
location /s {
  lua_socket_log_errors off;
  lua_check_client_abort on;
  content_by_lua '
    local server = require "resty.websocket.server"
    local wb, err = server:new{
      timeout = 5000,
      max_payload_len = 65535
    }
    if not wb then
      ngx.log(ngx.ERR, "failed to new websocket: ", err)
      return ngx.exit(444)
    end
    while true do
      local data, typ, err = wb:recv_frame()
      if wb.fatal then
        ngx.log(ngx.ERR, "failed to receive frame: ", err)
        return ngx.exit(444)
      end
      if not data then
        local bytes, err = wb:send_ping()
        if not bytes then
          ngx.log(ngx.ERR, "failed to send ping: ", err)
          return ngx.exit(444)
        end
      elseif typ == "close" then break
      elseif typ == "ping" then
        local bytes, err = wb:send_pong()
        if not bytes then
          ngx.log(ngx.ERR, "failed to send pong: ", err)
          return ngx.exit(444)
        end
      elseif typ == "pong" then
        ngx.log(ngx.INFO, "client ponged")
      elseif typ == "text" then
        local bytes, err = wb:send_text(data)
        if not bytes then
          ngx.log(ngx.ERR, "failed to send text: ", err)
          return ngx.exit(444)
        end
      end
    end
    wb:send_close()
  ';
}]==]

describe("luaws.serve{ conf = ... }", function()
  local srv
  setup(function() srv = luaws.serve { conf = seed_location } end)
  teardown(function() srv:stop() end)

  it("runs the blog post's location block unchanged: text comes back", function()
    local wb = client:new()
    assert.truthy(wb:connect(srv.url .. "/s/"))
    assert.truthy(wb:send_text("hello from a spec"))
    local data, typ = wb:recv_frame()
    assert.are.same({ "hello from a spec", "text" }, { data, typ })
    wb:close()
  end)

  it("answers a ping with a pong", function()
    local wb = client:new()
    assert.truthy(wb:connect(srv.url .. "/s"))
    assert.truthy(wb:send_ping("p"))
    local _, typ = wb:recv_frame()
    assert.are.equal("pong", typ)
    wb:close()
  end)

  it("logs a failed handshake in nginx's layout, with the location's chunk name", function()
    local sock = ngx.socket.tcp()
    assert.truthy(sock:connect(srv.host, srv.port))
    sock:send("GET /s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    local data, err = sock:receive("*a")
    assert.are.equal("", data) -- 444: the connection closes with no response
    local found
    for _ = 1, 50 do
      for _, line in ipairs(srv:error_log()) do
        if line:find("[error]", 1, true) and line:find("failed to new websocket: bad \"upgrade\" request header: nil", 1, true) then
          found = line
        end
      end
      if found then break end
      ngx.sleep(0.01)
    end
    assert.truthy(found)
    assert.matches("%[lua%] content_by_lua%(spec%.conf:%d+%):%d+: failed to new websocket", found)
  end)
end)
