package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// processRSSKB is VmRSS of a process, in kB.
func processRSSKB(b *testing.B, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkIdleWebsocketRSS is the README's "memory per idle websocket": a luaws process
// serving the seed's echo handler, 2,000 websockets opened (each echoes once, then idles),
// and the growth of the server's resident set per connection (kB/conn). b.N is not used:
// one measurement per run.
//
//	go test ./cmd/luaws -run '^$' -bench IdleWebsocketRSS -benchtime 1x
func BenchmarkIdleWebsocketRSS(b *testing.B) {
	const conns = 2000
	addr := "127.0.0.1:" + strconv.Itoa(freePort(b))
	cmd := exec.Command(os.Args[0], "--listen", addr)
	cmd.Env = append(os.Environ(), "LUAWS_TEST_AS_MAIN=1")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/s", nil)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	before := processRSSKB(b, cmd.Process.Pid)
	open := make([]*websocket.Conn, 0, conns)
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := 0; i < conns; i++ {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/s", nil)
		if err != nil {
			b.Fatalf("connection %d: %v", i, err)
		}
		if err := c.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
		open = append(open, c)
	}
	time.Sleep(time.Second) // let the server settle (GC, freed handshake buffers)
	after := processRSSKB(b, cmd.Process.Pid)
	b.ReportMetric(float64(after-before)/conns, "kB/conn")
}
