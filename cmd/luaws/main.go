// Command luaws serves Lua WebSocket handlers written for OpenResty's lua-resty-websocket,
// without nginx.
//
//	luaws                                   # the seed blog post's echo demo on 127.0.0.1:8080
//	luaws --location /s=my.lua --root ./public
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/server"
)

// version is luaws's own version.
const version = "0.1.0"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "test" {
		return runTest(args[1:], stdout, stderr)
	}
	if isNginxStyle(args) {
		return runNginx(args, stdout, stderr)
	}
	opts, err := parseFlags(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "luaws: %v\n", err)
		return 2
	}
	if opts.version {
		fmt.Fprintf(stdout, "luaws %s\n", version)
		return 0
	}
	level, _ := errlog.ParseLevel(opts.logLevel)
	lg, err := errlog.Open(opts.errorLog, level)
	if err != nil {
		fmt.Fprintf(stderr, "luaws: %v\n", err)
		return 1
	}
	defer lg.Close()
	opts.server.Log = lg
	if err := startPprof(opts.pprof, stderr); err != nil {
		fmt.Fprintf(stderr, "luaws: %v\n", err)
		return 1
	}
	srv, err := server.New(opts.server)
	if err != nil {
		fmt.Fprintf(stderr, "luaws: %v\n", err)
		return 1
	}
	if _, err := srv.Listen(); err != nil {
		fmt.Fprintf(stderr, "luaws: %v\n", err)
		return 1
	}
	if len(opts.server.Locations) == 0 && opts.server.Root == "" {
		fmt.Fprintf(stderr, "luaws %s: echo demo at %s/websockets.html\n", version, srv.URL())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		if err != nil {
			fmt.Fprintf(stderr, "luaws: %v\n", err)
			return 1
		}
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	return 0
}
