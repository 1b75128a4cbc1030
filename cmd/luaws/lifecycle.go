package main

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"time"

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
