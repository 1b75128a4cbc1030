package luabind

import (
	"syscall"
	"time"
	"unsafe"
)

// monotonicNanos reads CLOCK_MONOTONIC (time since boot), the clock nginx's
// ngx_monotonic_time reads.
func monotonicNanos() int64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return time.Since(monoStart).Nanoseconds()
	}
	return ts.Nano()
}

var monoStart = time.Now()
