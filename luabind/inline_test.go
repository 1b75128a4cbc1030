package luabind_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
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

// While one light thread's inline send waits for the socket, another thread's recv_frame on
// the same websocket (on block's way: it was spawned, so posted) reads the socket itself: the
// rest of a frame that arrives then is its own, and the waiting send's bytes are untouched.
func TestInlineSendBesideAReader(t *testing.T) {
	const frames = 8000
	ts := serveScript(t, "reader.lua", fmt.Sprintf(`
local server = require "resty.websocket.server"
local wb = assert(server:new{ timeout = 30000 })
local reader = ngx.thread.spawn(function()
    local data, typ, err = wb:recv_frame()
    ngx.log(ngx.ERR, "reader got: ", data, " ", typ, " ", err)
end)
local chunk = string.rep("y", 4000)
for i = 1, %d do
    assert(wb:send_binary(string.format("%%06d", i) .. chunk))
    if i == 100 then ngx.log(ngx.ERR, "flooding") end
end
ngx.thread.wait(reader)
wb:send_close(1000, "done")
`, frames))
	c := ts.upgrade(t, "/s")
	f := frame(true, 0x1, []byte("hello"))
	c.write(t, f[:3]) // the reader waits for the rest of its frame
	ts.log.waitFor(t, "flooding")
	c.write(t, f[3:6])                // it reads again while the send waits ...
	time.Sleep(50 * time.Millisecond) // (not a timing check: the bytes arrive in two reads)
	c.write(t, f[6:])                 // ... and gets the end of the frame
	ts.log.waitFor(t, "reader got: hello text nil")
	for i := 1; i <= frames; i++ {
		want := serverFrame(true, 0x2, []byte(fmt.Sprintf("%06d", i)+strings.Repeat("y", 4000)))
		got := make([]byte, len(want))
		_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
		if _, err := io.ReadFull(c.br, got); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("frame %d: got %q..., want %q...", i, got[:16], want[:16])
		}
	}
}
