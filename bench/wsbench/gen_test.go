package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/server"
)

// TestGeneratorAgainstLuaws is a smoke test of the load generator on luaws serving
// bench/echo.lua: every scenario completes with its echoes checked and no error. It asserts
// nothing about speed.
func TestGeneratorAgainstLuaws(t *testing.T) {
	handler, err := filepath.Abs(filepath.Join("..", "echo.lua"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{
		Listen:    "127.0.0.1:0",
		Locations: []server.Location{{Path: "/s", Script: handler}},
		Log:       errlog.New(os.Stderr, errlog.Err),
	})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() { _ = srv.Close() })

	short := 200 * time.Millisecond
	for _, tc := range []struct {
		name string
		cfg  genConfig
		kind string
	}{
		{"echo text", genConfig{Conns: 4, InFlight: 1, Size: 64, Opcode: opText}, "echo"},
		{"echo pipelined", genConfig{Conns: 4, InFlight: 16, Size: 64, Opcode: opText}, "echo"},
		{"echo binary 16 KiB", genConfig{Conns: 2, InFlight: 2, Size: 16 << 10, Opcode: opBinary}, "echo"},
		{"handshake", genConfig{Conns: 4, Size: 64, Opcode: opText}, "handshake"},
		{"idle", genConfig{Conns: 20, Size: 64, Opcode: opText}, "idle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Addr, cfg.Path, cfg.Warmup, cfg.Window = addr.String(), "/s", short, short
			var r result
			switch tc.kind {
			case "echo":
				r = measureLoad(&cfg, os.Getpid(), echoConn)
			case "handshake":
				r = measureLoad(&cfg, os.Getpid(), handshakeWorker)
			case "idle":
				r = measureIdle(&cfg, os.Getpid())
			}
			if r.Errors != 0 {
				t.Fatalf("%d errors, first: %s", r.Errors, r.FirstErr)
			}
			if tc.kind != "idle" && r.Ops == 0 {
				t.Fatal("no operation completed")
			}
		})
	}
}

// TestParseFrame checks the generator's frame parser on the three length encodings.
func TestParseFrame(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		p := make([]byte, n)
		payloadFor(p, 1, 7)
		b := []byte{0x82}
		switch {
		case n <= 125:
			b = append(b, byte(n))
		case n <= 0xffff:
			b = append(b, 126, byte(n>>8), byte(n))
		default:
			b = append(b, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		}
		b = append(b, p...)
		if _, need, ok, _ := parseFrame(b[:len(b)-1]); ok || need != len(b) {
			t.Fatalf("%d bytes: short frame parsed (ok %v, need %d)", n, ok, need)
		}
		f, used, ok, err := parseFrame(b)
		if err != nil || !ok || used != len(b) || f.op != opBinary || !f.fin || len(f.payload) != n {
			t.Fatalf("%d bytes: got %+v used %d ok %v err %v", n, f.op, used, ok, err)
		}
	}
}
