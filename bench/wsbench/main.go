// Command wsbench measures websocket echo servers: luaws, Debian's nginx with the lua module
// and lua-resty-websocket, and a gorilla/websocket server, on the same handler, each pinned to
// one core with the load generator on the other. bench/run builds and runs it.
//
//	wsbench run [flags]   start each server, run every scenario, print the table
//	wsbench gen [flags]   one scenario against a running server (what run starts per run)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wsbench run|gen [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = genMain(os.Args[2:])
	case "run":
		err = runMain(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q (run or gen)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsbench:", err)
		os.Exit(1)
	}
}

// genMain runs one scenario and prints its result as one JSON line.
func genMain(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	cfg := &genConfig{}
	kind := fs.String("kind", "echo", "echo, handshake or idle")
	pid := fs.Int("pid", 0, "server process whose CPU time and RSS are measured (with its children)")
	binary := fs.Bool("binary", false, "binary frames instead of text")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "server address")
	fs.StringVar(&cfg.Path, "path", "/s", "websocket path")
	fs.IntVar(&cfg.Conns, "conns", 50, "connections (workers for handshake)")
	fs.IntVar(&cfg.InFlight, "inflight", 1, "messages in flight per connection")
	fs.IntVar(&cfg.Size, "size", 64, "payload bytes")
	fs.DurationVar(&cfg.Warmup, "warmup", 500*time.Millisecond, "warm-up before the window")
	fs.DurationVar(&cfg.Window, "window", 3*time.Second, "timed window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pid == 0 {
		*pid = os.Getpid() // no server process given: measure nothing useful, but run
	}
	cfg.Opcode = opText
	if *binary {
		cfg.Opcode = opBinary
	}
	var r result
	switch *kind {
	case "echo":
		r = measureLoad(cfg, *pid, echoConn)
	case "handshake":
		r = measureLoad(cfg, *pid, handshakeWorker)
	case "idle":
		r = measureIdle(cfg, *pid)
	default:
		return fmt.Errorf("unknown kind %q", *kind)
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}
