package scripts_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/server"
)

// syncBuffer is an error log sink tests can read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serve starts luaws in-process with the given options and returns its ws:// base URL.
func serve(t *testing.T, o server.Options) (string, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	o.Listen = "127.0.0.1:0"
	o.Log = errlog.New(logs, errlog.Info)
	srv, err := server.New(o)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if _, err := srv.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	go srv.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if t.Failed() {
			t.Logf("error log:\n%s", logs.String())
		}
	})
	return "ws" + srv.URL()[len("http"):], logs
}

func raiseFileLimit(t *testing.T, n uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	if lim.Cur < n {
		lim.Cur = min(n, lim.Max)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatalf("setrlimit: %v", err)
		}
	}
}

// TestChatBroadcast: every client receives every message, in order, none lost.
func TestChatBroadcast(t *testing.T) {
	for _, tc := range []struct {
		name             string
		clients, senders int
		perSender        int
	}{
		{"100 clients", 100, 10, 10},
		{"1000 connections", 1000, 5, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raiseFileLimit(t, uint64(4*tc.clients+256))
			base, _ := serve(t, server.Options{
				Locations:   []server.Location{{Path: "/chat", Script: "chat.lua"}},
				SharedDicts: []server.SharedDict{{Name: "chat", Size: 10 << 20}},
			})
			d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
			conns := make([]*websocket.Conn, tc.clients)
			for i := range conns {
				c, _, err := d.Dial(base+"/chat", nil)
				if err != nil {
					t.Fatalf("dial %d: %v", i, err)
				}
				defer c.Close()
				conns[i] = c
			}
			// Let every pusher thread reach its wait before anything is published.
			time.Sleep(200 * time.Millisecond)
			total := tc.senders * tc.perSender
			var wg sync.WaitGroup
			errs := make(chan error, tc.clients)
			for i, c := range conns {
				wg.Add(1)
				go func(i int, c *websocket.Conn) {
					defer wg.Done()
					_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
					seen := make(map[string]bool, total)
					last := map[int]int{}
					for len(seen) < total {
						_, msg, err := c.ReadMessage()
						if err != nil {
							errs <- fmt.Errorf("client %d after %d messages: %v", i, len(seen), err)
							return
						}
						var s, n int
						if _, err := fmt.Sscanf(string(msg), "%d-%d", &s, &n); err != nil {
							errs <- fmt.Errorf("client %d: bad message %q", i, msg)
							return
						}
						if n <= last[s] && last[s] != 0 {
							errs <- fmt.Errorf("client %d: sender %d message %d after %d", i, s, n, last[s])
							return
						}
						last[s] = n
						seen[string(msg)] = true
					}
				}(i, c)
			}
			for s := 0; s < tc.senders; s++ {
				for n := 1; n <= tc.perSender; n++ {
					if err := conns[s].WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf("%d-%d", s, n))); err != nil {
						t.Fatalf("send: %v", err)
					}
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestProxy carries 10,000 messages through scripts/proxy.lua to an independent (gorilla) echo
// server and back: none lost, none reordered, fragments and binary kept.
func TestProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := websocket.Upgrader{}
	echo := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, msg); err != nil {
				return
			}
		}
	})}
	go echo.Serve(ln)
	defer echo.Close()

	base, _ := serve(t, server.Options{Locations: []server.Location{{Path: "/proxy", Script: "proxy.lua"}}})
	target := base + "/proxy?upstream=" + url.QueryEscape("ws://"+ln.Addr().String()+"/echo")
	c, _, err := websocket.DefaultDialer.Dial(target, nil)
	if err != nil {
		t.Fatalf("dial proxy: %v", err)
	}
	defer c.Close()

	const n = 10000
	done := make(chan error, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
		for i := 0; i < n; i++ {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				done <- fmt.Errorf("message %d: %v", i, err)
				return
			}
			want := fmt.Sprintf("message %d", i)
			if i%10 == 0 {
				want += string(bytes.Repeat([]byte{0xff}, 100))
			}
			if string(msg) != want || (i%10 == 0) != (typ == websocket.BinaryMessage) {
				done <- fmt.Errorf("message %d: got type %d %q, want %q", i, typ, msg, want)
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < n; i++ {
		msg := []byte(fmt.Sprintf("message %d", i))
		typ := websocket.TextMessage
		if i%10 == 0 {
			msg = append(msg, bytes.Repeat([]byte{0xff}, 100)...)
			typ = websocket.BinaryMessage
		}
		if err := c.WriteMessage(typ, msg); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
