//go:build !linux

package luabind

import "time"

var monoStart = time.Now()

// monotonicNanos is the time since the process started where CLOCK_MONOTONIC is not read.
func monotonicNanos() int64 { return time.Since(monoStart).Nanoseconds() }
