package luabind_test

import (
	"strings"
	"testing"
)

// The server's recv_frame and send_* are Go functions (websocket_session.go) taking the steps
// of _session.lua's: these are the paths other than a luaws socket's frames, whose results
// must be the Lua functions' (the expected lines are what those returned before the change).
const sessionPathsScript = `
local server = require "resty.websocket.server"
local wb = assert(server:new{ timeout = 5000 })
local mt = getmetatable(wb)
local function fake(err)
  return setmetatable({ max_recv_len = 10, sock = {
    receive = function(self, n) return nil, err end,
    send = function(self, s) return nil, err end,
  } }, mt)
end
local out = {}
local function add(...)
  local t = {}
  for i = 1, select("#", ...) do t[#t + 1] = tostring((select(i, ...))) end
  out[#out + 1] = table.concat(t, " ")
end
local f = fake("timeout")
add(f:recv_frame()); add(f.fatal)
f = fake("closed")
add(f:recv_frame()); add(f.fatal)
add(f:recv_frame())
f = fake("closed")
add(f:send_text("x")); add(f.fatal)
f = fake("closed")
f.send_masked = true
add(f:send_binary("x")); add(f.fatal)
add(pcall(wb.recv_frame))
add(pcall(wb.send_text, 42))
add(wb.recv_frame({}))
add(wb.send_ping({}))
add(pcall(wb.send_pong, { sock = "x" }))
local obj = setmetatable({}, { __index = function(t, k) add("index " .. k); return wb[k] end })
add(mt.__index.send_text(obj, "via __index"))
wb:send_text(table.concat(out, "\n"))
`

func TestSessionMethodPaths(t *testing.T) {
	t.Parallel()
	ts := serveScript(t, "paths.lua", sessionPathsScript)
	c, _, err := dialer.Dial(ts.wsURL("/s"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "via __index" {
		t.Fatalf("first message %q, %v; log:\n%s", got, err, ts.log)
	}
	_, got, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("%v; log:\n%s", err, ts.log)
	}
	want := strings.Join([]string{
		"nil nil failed to receive the first 2 bytes: timeout", // a timeout is not fatal
		"nil",
		"nil nil failed to receive the first 2 bytes: closed",
		"true",
		"nil nil fatal error already happened",
		"nil failed to send frame: closed", // protocol's Lua codec on a socket not luaws's
		"true",
		"nil failed to send frame: closed", // send_masked: the same, is_native first
		"true",
		"false resty/websocket/_session.lua:42: attempt to index local 'self' (a nil value)",
		"false resty/websocket/_session.lua:60: attempt to index local 'self' (a number value)",
		"nil nil not initialized yet",
		"nil not initialized yet",
		"false resty/websocket/protocol.lua:171: attempt to call method 'send' (a nil value)",
		"index fatal", // every field read once, in the Lua function's order
		"index sock",
		"index send_masked",
		"index max_send_len",
		"13 nil",
	}, "\n")
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
