package luabind_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A send that the socket cannot take at once (inline I/O, inline.go) waits with the baton
// released: while one connection's handler is stuck writing to a client that does not read,
// another connection on the same worker state is served; then every frame of the first
// arrives, in order.
func TestInlineSendWaitsWithoutTheBaton(t *testing.T) {
	const frames = 8000 // 4 KB each: 32 MB, more than loopback's socket buffers hold
	ts := serveScript(t, "flood.lua", fmt.Sprintf(`
local server = require "resty.websocket.server"
local wb = assert(server:new{ timeout = 30000 })
local data = wb:recv_frame()
if data == "flood" then
    local chunk = string.rep("x", 4000)
    for i = 1, %d do
        assert(wb:send_binary(string.format("%%06d", i) .. chunk))
        if i == 100 then ngx.log(ngx.ERR, "flooding") end
    end
    wb:send_close(1000, "done")
    return
end
assert(wb:send_text("echo " .. data))
wb:recv_frame()
`, frames))
	a, _, err := dialer.Dial(ts.wsURL("/s"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.WriteMessage(websocket.TextMessage, []byte("flood")); err != nil {
		t.Fatal(err)
	}
	ts.log.waitFor(t, "flooding") // A's handler writes on, until the socket takes no more
	b, _, err := dialer.Dial(ts.wsURL("/s"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	_ = b.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, got, err := b.ReadMessage(); err != nil || string(got) != "echo hi" {
		t.Fatalf("second connection: %q, %v; log:\n%s", got, err, ts.log.String())
	}
	_ = a.SetReadDeadline(time.Now().Add(waitTimeout))
	for i := 1; i <= frames; i++ {
		typ, got, err := a.ReadMessage()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if want := fmt.Sprintf("%06d", i); typ != websocket.BinaryMessage || len(got) != 4006 || string(got[:6]) != want {
			t.Fatalf("frame %d: type %d, %d bytes, starts %q", i, typ, len(got), got[:min(6, len(got))])
		}
	}
	if _, _, err := a.ReadMessage(); !websocket.IsCloseError(err, 1000) {
		t.Fatalf("after the frames: %v, want close 1000", err)
	}
}
