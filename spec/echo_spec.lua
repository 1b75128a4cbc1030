-- The issue's example: the seed blog post's echo handler (scripts/echo.lua), tested live.
local client = require "resty.websocket.client"

describe("echo handler (scripts/echo.lua)", function()
  local srv
  setup(function() srv = luaws.serve{ ["/s"] = "scripts/echo.lua" } end)
  teardown(function() srv:stop() end)

  it("echoes text", function()
    local wb = client:new()
    assert.truthy(wb:connect(srv.url .. "/s"))
    wb:send_text("hi")
    local data, typ = wb:recv_frame()
    assert.are.same({ "hi", "text" }, { data, typ })
    wb:close()
  end)

  it("answers a ping with a pong", function()
    local wb = client:new()
    assert.truthy(wb:connect(srv.url .. "/s"))
    wb:send_ping("are you there?")
    local data, typ = wb:recv_frame()
    assert.are.same({ "", "pong" }, { data, typ })
    wb:close()
  end)

  it("logs a client's pong at info level", function()
    local wb = client:new()
    assert.truthy(wb:connect(srv.url .. "/s"))
    wb:send_pong()
    wb:send_text("sync")   -- the echo tells us the pong was handled
    wb:recv_frame()
    wb:close()
    local found = false
    for _, line in ipairs(srv:error_log()) do
      if line:find("[info]", 1, true) and line:find("client ponged", 1, true) then
        found = true
      end
    end
    assert.is_true(found)
  end)

  it("ends the session with a close frame after the client's", function()
    local wb = client:new()
    assert.truthy(wb:connect(srv.url .. "/s"))
    wb:send_close(1000, "bye")
    local data, typ, code = wb:recv_frame()
    assert.are.equal("close", typ)
  end)
end)
