-- A handler that crashes: the failing test's report carries the server's error-log line.
describe("crashing handler", function()
  local srv
  setup(function()
    srv = luaws.serve{ ["/boom"] = { code = "local t = nil\nngx.say(t.field)", name = "boom.lua" } }
  end)
  teardown(function() srv:stop() end)
  it("answers", function()
    local sock = ngx.socket.tcp()
    assert(sock:connect(srv.host, srv.port))
    sock:send("GET /boom HTTP/1.0\r\nHost: x\r\n\r\n")
    local line = sock:receive("*l")
    assert.are.equal("HTTP/1.1 200 OK", line)
  end)
  it("logs nothing when it passes", function()
    ngx.log(ngx.ERR, "a line of a passing test")
  end)
end)
