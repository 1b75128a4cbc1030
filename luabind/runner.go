package luabind

import "time"

// Requests' handlers run on goroutines of their own (see Handler.ServeHTTP), which are
// reused: a new goroutine starts with a small stack that the Lua VM's call depth grows,
// copying it, to 8 KiB on every request, while a goroutine that served a request before has
// it already. A runner waits runnerIdle for its next request, then ends.

// runnerIdle is how long a runner waits for another request before it ends.
const runnerIdle = time.Second

// goRun runs f on an idle runner, or on a new one.
func (h *Host) goRun(f func()) {
	select {
	case h.runq <- f:
	default:
		go h.runner(f)
	}
}

func (h *Host) runner(f func()) {
	var t *time.Timer
	for {
		f()
		f = nil // nothing of the request stays reachable from a waiting runner
		if t == nil {
			t = time.NewTimer(runnerIdle)
		} else {
			t.Reset(runnerIdle)
		}
		select {
		case f = <-h.runq:
			t.Stop()
		case <-t.C:
			return
		}
	}
}
