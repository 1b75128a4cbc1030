package luabind_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Benchmarks of scripts/echo.lua served by luaws against a pure-gorilla echo server, both on
// loopback with a gorilla client, in the same run. The luaws sub-benchmark reports
// "x_gorilla": its ns/op divided by the gorilla baseline's (lower is better, 1 = as fast).
// The Echo64 benchmarks also report the process's user and system CPU time per op
// (user-ns/op, sys-ns/op): the client is the same gorilla client for both servers, so a
// change in them is the server's, and on a shared machine they vary less than the wall time.
//
//	go test ./luabind/ -run '^$' -bench . -benchmem

// gorillaEcho is the baseline: a pure-Go echo server.
func gorillaEcho(b *testing.B) string {
	up := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 32 << 10}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(mt, msg); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return "ws://" + srv.Listener.Addr().String() + "/s"
}

func luawsEcho(b *testing.B) string {
	return serveFile(b, echoScript(b)).wsURL("/s")
}

var benchServers = []struct {
	name string
	url  func(*testing.B) string
}{
	{"gorilla", gorillaEcho}, // first: the baseline
	{"luaws", luawsEcho},
}

// baseline remembers the gorilla figure of each benchmark (its last, largest run).
var baseline sync.Map

func report(b *testing.B, server string) {
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	if server == "gorilla" {
		baseline.Store(b.Name(), per)
		return
	}
	key := b.Name()[:len(b.Name())-len("luaws")] + "gorilla"
	if g, ok := baseline.Load(key); ok {
		b.ReportMetric(per/g.(float64), "x_gorilla")
	}
}

// reportCPU reports the CPU time per op since (u0, s0).
func reportCPU(b *testing.B, u0, s0 time.Duration) {
	u, s := userSysCPU()
	b.ReportMetric(float64((u-u0).Nanoseconds())/float64(b.N), "user-ns/op")
	b.ReportMetric(float64((s-s0).Nanoseconds())/float64(b.N), "sys-ns/op")
}

func roundTrip(b *testing.B, c *websocket.Conn, msg []byte) {
	if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
		b.Fatal(err)
	}
	_, got, err := c.ReadMessage()
	if err != nil {
		b.Fatal(err)
	}
	if len(got) != len(msg) {
		b.Fatalf("echo of %d bytes came back with %d", len(msg), len(got))
	}
}

func benchEcho(b *testing.B, size, conns int) {
	msg := bytes.Repeat([]byte("e"), size)
	for _, s := range benchServers {
		b.Run(s.name, func(b *testing.B) {
			url := s.url(b)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			if conns == 1 {
				c, _, err := dialer.Dial(url, nil)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				roundTrip(b, c, msg)
				b.ResetTimer()
				u0, s0 := userSysCPU()
				for range b.N {
					roundTrip(b, c, msg)
				}
				b.StopTimer()
				reportCPU(b, u0, s0)
				report(b, s.name)
				return
			}
			b.SetParallelism((conns + 1) / 2) // GOMAXPROCS x this many connections
			b.ResetTimer()
			u0, s0 := userSysCPU()
			b.RunParallel(func(pb *testing.PB) {
				c, _, err := dialer.Dial(url, nil)
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				for pb.Next() {
					roundTrip(b, c, msg)
				}
			})
			b.StopTimer()
			reportCPU(b, u0, s0)
			report(b, s.name)
		})
	}
}

func BenchmarkEcho64(b *testing.B)          { benchEcho(b, 64, 1) }
func BenchmarkEcho16K(b *testing.B)         { benchEcho(b, 16<<10, 1) }
func BenchmarkEcho64Parallel(b *testing.B)  { benchEcho(b, 64, 50) }
func BenchmarkEcho16KParallel(b *testing.B) { benchEcho(b, 16<<10, 50) }

// BenchmarkHandshakeEchoClose: per op, a new connection, the handshake, one 64-byte echo and
// the close handshake.
func BenchmarkHandshakeEchoClose(b *testing.B) {
	msg := bytes.Repeat([]byte("h"), 64)
	for _, s := range benchServers {
		b.Run(s.name, func(b *testing.B) {
			url := s.url(b)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				c, _, err := dialer.Dial(url, nil)
				if err != nil {
					b.Fatal(err)
				}
				roundTrip(b, c, msg)
				_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(waitTimeout))
				for {
					if _, _, err := c.NextReader(); err != nil {
						break
					}
				}
				c.Close()
			}
			b.StopTimer()
			report(b, s.name)
		})
	}
}

// BenchmarkEcho64Pipelined: 16 messages written at once, then their 16 echoes read, on one
// connection (per op: one message).
func BenchmarkEcho64Pipelined(b *testing.B) {
	const depth = 16
	msg := bytes.Repeat([]byte("p"), 64)
	for _, s := range benchServers {
		b.Run(s.name, func(b *testing.B) {
			url := s.url(b)
			b.SetBytes(64)
			b.ReportAllocs()
			c, _, err := dialer.Dial(url, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			roundTrip(b, c, msg)
			b.ResetTimer()
			u0, s0 := userSysCPU()
			for done := 0; done < b.N; done += depth {
				n := min(depth, b.N-done)
				for range n {
					if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
						b.Fatal(err)
					}
				}
				for range n {
					if _, got, err := c.ReadMessage(); err != nil || len(got) != len(msg) {
						b.Fatalf("echo: %d bytes, %v", len(got), err)
					}
				}
			}
			b.StopTimer()
			reportCPU(b, u0, s0)
			report(b, s.name)
		})
	}
}
