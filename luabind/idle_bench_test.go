//go:build unix

package luabind_test

import (
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
)

// idleScript is scripts/echo.lua's loop with a 160 ms read timeout: on every timeout it logs
// "lua tcp socket read timed out" and sends a ping, which the client answers.
const idleScript = `
local server = require "resty.websocket.server"
local wb = assert(server:new{ timeout = 160, max_payload_len = 65535 })
while true do
  local data, typ, err = wb:recv_frame()
  if wb.fatal then return ngx.exit(444) end
  if not data then
    if not wb:send_ping() then return ngx.exit(444) end
  elseif typ == "close" then break
  end
end
wb:send_close()
`

// BenchmarkIdleTimeoutCycle: 1,000 idle websockets whose handlers time out every 160 ms, ping
// and read the pong, as 10,000 idle ones with 5 s timeouts do at a smaller scale. Per op: one
// cycle (timeout, log line, ping, pong, recv_frame again). The wall time per op is set by the
// timeouts; the figure to read is cpu-µs/op, the process's CPU time (server and client, which
// share it) per cycle, from getrusage.
func BenchmarkIdleTimeoutCycle(b *testing.B) {
	const conns = 1000
	p := filepath.Join(b.TempDir(), "idle.lua")
	if err := os.WriteFile(p, []byte(idleScript), 0o644); err != nil {
		b.Fatal(err)
	}
	host, err := luabind.NewHost(luabind.Config{Log: errlog.New(io.Discard, errlog.Err)})
	if err != nil {
		b.Fatal(err)
	}
	h, err := host.FileHandler(p)
	if err != nil {
		b.Fatal(err)
	}
	url := start(b, host, h, &syncBuf{}).wsURL("/s")

	var pings atomic.Int64
	done := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	cs := make([]*websocket.Conn, conns)
	for i := range cs {
		c, _, err := dialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		cs[i] = c
		c.SetPingHandler(func(data string) error {
			if pings.Add(1) == int64(b.N) {
				once.Do(func() { close(done) })
			}
			return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(waitTimeout))
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := c.NextReader(); err != nil {
					return
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // every connection through its handshake and first wait
	pings.Store(0)
	cpu0 := cpuTime()
	b.ResetTimer()
	<-done
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	for _, c := range cs {
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(waitTimeout))
	}
	wg.Wait()
	for _, c := range cs {
		c.Close()
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
