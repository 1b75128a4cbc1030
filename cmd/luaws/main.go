// Command luaws serves Lua WebSocket handlers written for OpenResty's lua-resty-websocket,
// without nginx.
//
//	luaws                                   # the seed blog post's echo demo on 127.0.0.1:8080
//	luaws --location /s=my.lua --root ./public
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/internal/buildinfo"
	"github.com/luaws/luaws/server"
)

// version is luaws's own version.
const version = buildinfo.Version

func main() {
	if isRestyName(os.Args[0]) { // a link named resty: resty-cli (see run.go)
		os.Exit(runRun(os.Args[0], os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so that tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "run" {
		return runRun("luaws run", args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "test" {
		return runTest(args[1:], stdout, stderr)
	}
	if isHelp(args) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if isNginxStyle(args) {
		return runNginx(args, stdout, stderr)
	}
	opts, err := parseFlags(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return usageError(stderr, "luaws", err)
	}
	if opts.version {
		fmt.Fprint(stdout, buildinfo.Describe())
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
	if opts.accessLog != "" {
		al, err := server.OpenAccessLog(opts.accessLog)
		if err != nil {
			fmt.Fprintf(stderr, "luaws: access log: %v\n", err)
			return 1
		}
		defer al.Close()
		opts.server.AccessLog = al
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
	if opts.metrics != "" {
		stopMetrics, err := serveMetrics(opts.metrics, srv.Host(), lg)
		if err != nil {
			fmt.Fprintf(stderr, "luaws: %v\n", err)
			return 1
		}
		defer stopMetrics()
	}
	fmt.Fprint(stderr, startupLine(srv.URL(), srv.Locations(), opts.server.Root))
	ctx, stop := notifyStop()
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
		stopFlagMode(srv, ctx, opts)
	}
	return 0
}
