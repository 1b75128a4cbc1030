package luabind

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/luaws/luaws/errlog"
)

// BenchmarkCosocketRoundTrip: one 64-byte send + receive(64) against a local Go echo
// listener, from Lua through a cosocket and, as the baseline in the same run, from Go on a
// plain net.Conn. The ratio of the two is the cosocket overhead per round trip.
func BenchmarkCosocketRoundTrip(b *testing.B) {
	port := tcpPeer(b, echoPeer)
	b.Run("go-netconn", func(b *testing.B) {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		msg := make([]byte, 64)
		buf := make([]byte, 64)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := c.Write(msg); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lua-cosocket-two-threads", func(b *testing.B) {
		// a second light thread doing the same on its own connection: every blocking op
		// hands the baton over
		h, err := NewHost(Config{Log: errlog.New(io.Discard, errlog.Err)})
		if err != nil {
			b.Fatal(err)
		}
		half := b.N / 2
		src := "local N = " + itoa(half) + "\n" + subst(`
			local function loop()
			  local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			  local msg = string.rep("x", 64)
			  for i = 1, N do
			    assert(s:send(msg)) assert(s:receive(64))
			  end
			  s:close()
			end
			local t = ngx.thread.spawn(loop)
			loop()
			ngx.thread.wait(t)`, map[string]string{"PORT": port})
		b.ResetTimer()
		if err := h.RunChunk(context.Background(), "bench.lua", []byte(src), nil); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("lua-cosocket", func(b *testing.B) {
		h, err := NewHost(Config{Log: errlog.New(io.Discard, errlog.Err)})
		if err != nil {
			b.Fatal(err)
		}
		src := "local N = " + itoa(b.N) + "\n" + subst(`
			local s = ngx.socket.tcp() assert(s:connect("127.0.0.1", $PORT))
			local msg = string.rep("x", 64)
			for i = 1, N do
			  assert(s:send(msg)) assert(s:receive(64))
			end
			s:close()`, map[string]string{"PORT": port})
		b.ResetTimer()
		if err := h.RunChunk(context.Background(), "bench.lua", []byte(src), nil); err != nil {
			b.Fatal(err)
		}
	})
}
