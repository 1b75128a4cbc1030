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
)

// version is luaws's own version.
const version = "0.1.0"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
	defer stop()
	srv, err := newServer(opts)
	if err != nil {
		fmt.Fprintf(stderr, "luaws: %v\n", err)
		return 1
	}
	if err := srv.serve(ctx, stderr); err != nil {
		fmt.Fprintf(stderr, "luaws: %v\n", err)
		return 1
	}
	return 0
}
