package luabind_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"
)

// TestPipelinedEchoInOrder sends a burst of frames in one go (text of many sizes, around and
// above the coalescing limits, and pings): the replies, which luaws may gather into fewer
// writes, must come back complete and in order, byte for byte.
func TestPipelinedEchoInOrder(t *testing.T) {
	t.Parallel()
	ts := serveFile(t, echoScript(t))
	var burst, want []byte
	for i := range 300 {
		switch {
		case i%7 == 3:
			burst = append(burst, frame(true, 0x9, []byte("p"))...)
			want = append(want, serverFrame(true, 0xa, nil)...) // send_pong() has no payload
		default:
			size := (i * 37) % 600
			if i%50 == 10 {
				size = 4090 + i // straddles the 4 KiB frame limit
			}
			p := bytes.Repeat([]byte{byte('a' + i%26)}, size)
			copy(p, fmt.Sprintf("#%d#", i))
			burst = append(burst, frame(true, 0x1, p)...)
			want = append(want, serverFrame(true, 0x1, p)...)
		}
	}
	burst = append(burst, frame(true, 0x8, closePayload(1000, ""))...)
	want = append(want, serverFrame(true, 0x8, nil)...)
	for _, split := range []int{0, 1, 333, 4097, len(burst) / 2} {
		t.Run(fmt.Sprintf("split at %d", split), func(t *testing.T) {
			c := ts.upgradeEarly(t, "/s", burst[:split])
			c.write(t, burst[split:])
			got := c.readAll(t)
			if !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Fatalf("got %d bytes, want %d; first difference at byte %d; log:\n%s", len(got), len(want), i, ts.log.String())
			}
		})
	}
}

// TestHeldBackFramesGoOut: a reply sent while the next frame is already buffered may be held
// back, but never past the moment the handler waits on something else, or its thread ends.
func TestHeldBackFramesGoOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, then string }{
		{"ngx.sleep", `ngx.sleep(20)`},
		{"semaphore wait", `require("ngx.semaphore").new():wait(20)`},
		{"entry thread ends, user thread sleeps", `ngx.thread.spawn(function() ngx.sleep(20) end) do return end`},
		{"busy loop then sleep", `local x = 0 for i = 1, 1e5 do x = x + i end ngx.sleep(20)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := serveScript(t, "held.lua", `
local server = require "resty.websocket.server"
local wb = assert(server:new{timeout = 30000})
local data = assert(wb:recv_frame())
assert(wb:send_text("reply to " .. data))
`+tc.then+`
`)
			two := append(frame(true, 0x1, []byte("one")), frame(true, 0x1, []byte("two"))...)
			c := ts.upgradeEarly(t, "/s", two)
			_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
			want := serverFrame(true, 0x1, []byte("reply to one"))
			got := make([]byte, len(want))
			if _, err := io.ReadFull(c.br, got); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("got %q, %v; want %q; log:\n%s", got, err, want, ts.log.String())
			}
		})
	}
}
