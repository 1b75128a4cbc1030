package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/luaws/luaws/server"

	"github.com/luaws/luaws/luabind/shdict"
)

// workerProcesses reads worker_processes: a number, or "auto" for one worker per CPU.
func workerProcesses(v string) (int, error) {
	if v == "auto" {
		return runtime.NumCPU(), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("invalid worker_processes %q", v)
	}
	return n, nil
}

func prevDicts(prev *loaded) *shdict.Registry {
	if prev == nil {
		return nil
	}
	return prev.site.Dicts
}

// graceContext bounds a graceful stop by worker_shutdown_timeout; with none (0, nginx's
// default) it waits for the last handler.
func graceContext(grace time.Duration) (context.Context, context.CancelFunc) {
	if grace <= 0 {
		return context.WithCancel(context.Background())
	}
	return context.WithTimeout(context.Background(), grace)
}

// lifecycleFlags are --shutdown-timeout, --lua-max-run-time and --allowed-origins.
func lifecycleFlags(fs *flag.FlagSet, o *options) {
	fs.Func("shutdown-timeout", "", func(v string) error {
		d, err := server.ParseTime(v)
		o.shutdownTimeout = d
		return err
	})
	fs.Func("lua-max-run-time", "", func(v string) error {
		d, err := server.ParseTime(v)
		if err == nil && d <= 0 {
			err = fmt.Errorf("must be more than 0")
		}
		o.server.MaxRunningTime = d
		return err
	})
	fs.Func("allowed-origins", "", func(v string) error {
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x != "" {
				o.server.AllowedOrigins = append(o.server.AllowedOrigins, x)
			}
		}
		return nil
	})
}

// stopSignal is a context ended by a stop signal, with the signal: QUIT is the graceful stop,
// TERM and INT the fast one.
type stopSignal struct {
	context.Context
	sig *os.Signal
}

// notifyStop returns a context ended by SIGQUIT, SIGTERM or SIGINT (flag mode).
func notifyStop() (*stopSignal, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
	s := &stopSignal{Context: ctx, sig: new(os.Signal)}
	go func() {
		select {
		case sig := <-ch:
			*s.sig = sig
			cancel()
		case <-ctx.Done():
		}
	}()
	return s, func() { signal.Stop(ch); cancel() }
}

// stopFlagMode stops the flag-mode server: gracefully on SIGQUIT (up to --shutdown-timeout),
// at once on SIGTERM and SIGINT, as nginx's quit and stop.
func stopFlagMode(srv *server.Server, ctx *stopSignal, o *options) {
	if *ctx.sig != syscall.SIGQUIT {
		_ = srv.Close()
		return
	}
	sctx, cancel := graceContext(o.shutdownTimeout)
	defer cancel()
	_ = srv.Shutdown(sctx)
}
