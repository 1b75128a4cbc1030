package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/scripts"
)

// BenchmarkHandshake is bench/run's "handshake + one echo + close" row in one process: per
// op a raw client connects, sends the opening handshake, checks the 101, has one masked
// 64-byte text frame echoed and does the close handshake. "gorilla" is a pure-Go
// gorilla/websocket server (the baseline, run first), "luaws" the flag-mode server serving
// scripts/echo.lua; luaws reports x_gorilla, its ns/op over the baseline's, and both the
// process's CPU time per op (cpu-ns/op). The client is the same for both, so the allocations
// per op and the difference in CPU are the server's.
//
//	go test ./server/ -run '^$' -bench Handshake -benchmem -count 10 | tee new.txt; benchstat old.txt new.txt
func BenchmarkHandshake(b *testing.B) {
	for _, s := range []struct {
		name  string
		serve func(*testing.B) string
	}{
		{"gorilla", gorillaServer},
		{"luaws", luawsServer},
	} {
		b.Run(s.name, func(b *testing.B) {
			addr := s.serve(b)
			b.ReportAllocs()
			b.SetParallelism(25) // 50 clients on 2 CPUs, as bench/run's 50 workers
			b.ResetTimer()
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 4096)
				for pb.Next() {
					if err := handshakeEchoClose(addr, buf); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			reportBaseline(b, s.name)
		})
	}
}

// processCPU is the CPU time the process used so far (user and system, client included: on
// a shared machine it varies less than the wall time per op).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var handshakeBaseline sync.Map

func reportBaseline(b *testing.B, server string) {
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	if server == "gorilla" {
		handshakeBaseline.Store(b.Name(), per)
		return
	}
	if g, ok := handshakeBaseline.Load(b.Name()[:len(b.Name())-len(server)] + "gorilla"); ok {
		b.ReportMetric(per/g.(float64), "x_gorilla")
	}
}

func gorillaServer(b *testing.B) string {
	up := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096}
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
	return srv.Listener.Addr().String()
}

func luawsServer(b *testing.B) string {
	srv, err := New(Options{Listen: "127.0.0.1:0", Log: errlog.New(io.Discard, errlog.Err),
		Locations: []Location{{Path: "/s", Code: scripts.Echo, Chunkname: "echo.lua"}}})
	if err != nil {
		b.Fatal(err)
	}
	addr, err := srv.Listen()
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return addr.String()
}

const (
	benchKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	benchAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// handshakeEchoClose is one op of BenchmarkHandshake; buf is the client's read buffer.
func handshakeEchoClose(addr string, buf []byte) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /s HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + benchKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return err
	}
	n := 0
	head := -1
	for head < 0 {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			return fmt.Errorf("read the 101: %w (%q)", err, buf[:n])
		}
		head = bytes.Index(buf[:n], []byte("\r\n\r\n"))
	}
	if !bytes.HasPrefix(buf, []byte("HTTP/1.1 101 ")) || !bytes.Contains(buf[:head], []byte(benchAccept)) {
		return fmt.Errorf("not a good 101: %q", buf[:head])
	}
	rest := copy(buf, buf[head+4:n])
	payload := bytes.Repeat([]byte("h"), 64)
	if _, err := c.Write(maskedFrame(0x1, payload)); err != nil {
		return err
	}
	if err := readFrame(c, buf, &rest, 0x81, payload); err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	if _, err := c.Write(maskedFrame(0x8, []byte{0x03, 0xe8})); err != nil {
		return err
	}
	if err := readFrame(c, buf, &rest, 0x88, nil); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

func maskedFrame(op byte, payload []byte) []byte {
	key := [4]byte{0x11, 0x22, 0x33, 0x44}
	f := append([]byte{0x80 | op, 0x80 | byte(len(payload))}, key[:]...)
	for i, p := range payload {
		f = append(f, p^key[i%4])
	}
	return f
}

// readFrame reads one short unmasked server frame with first byte b0; a nil want takes any
// payload.
func readFrame(c net.Conn, buf []byte, have *int, b0 byte, want []byte) error {
	for *have < 2 || *have < 2+int(buf[1]&0x7f) {
		m, err := c.Read(buf[*have:])
		*have += m
		if err != nil {
			return err
		}
	}
	size := int(buf[1] & 0x7f)
	if buf[0] != b0 || size > 125 || want != nil && !bytes.Equal(buf[2:2+size], want) {
		return errors.New("unexpected frame")
	}
	*have = copy(buf, buf[2+size:*have])
	return nil
}
