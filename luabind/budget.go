package luabind

import (
	"fmt"
	"sync"
	"time"
)

// lua_max_running_time: a light thread that holds its state's baton — runs Lua without
// yielding to the other requests of its worker — for longer than the bound is aborted with
// its request. Time blocked in I/O, sleeps or waits does not count: the baton is released
// then. The watchdog samples each attached state's baton (its holder and acquisition count)
// a few times per bound; a holder seen with the same acquisition for the whole bound is
// cancelled, and gopher-lua stops it at its next VM instruction (the same mechanism as
// ngx.thread.kill), even inside a pcall.

// overrunError is the error a thread stopped by lua_max_running_time dies of.
type overrunError struct{ limit time.Duration }

func (e overrunError) Error() string {
	return fmt.Sprintf("lua_max_running_time (%s) exceeded without yielding", fmtDuration(e.limit))
}

// fmtDuration writes d as nginx's time syntax would ("100ms", "2s").
func fmtDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

type watchdog struct {
	mu      sync.Mutex
	vms     map[*vm]*watchState
	running bool
	tick    time.Duration
}

type watchState struct {
	n     int // requests attached
	owner *lthread
	gen   uint64
	since time.Time
	fired bool
}

// watch registers a request's state with the watchdog while the request is attached.
func (h *Host) watch(r *request) func() {
	if r.sc.maxRun <= 0 || r.phase == "init" { // init_by_lua* may load for long, once
		return func() {}
	}
	w, v := &h.watchdog, r.vm
	w.mu.Lock()
	if w.vms == nil {
		w.vms = map[*vm]*watchState{}
	}
	st := w.vms[v]
	if st == nil {
		st = &watchState{}
		w.vms[v] = st
	}
	st.n++
	tick := r.sc.maxRun / 4
	if tick < 2*time.Millisecond {
		tick = 2 * time.Millisecond
	}
	if tick > 50*time.Millisecond {
		tick = 50 * time.Millisecond
	}
	if w.tick == 0 || tick < w.tick {
		w.tick = tick
	}
	if !w.running {
		w.running = true
		go w.loop()
	}
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		if st.n--; st.n == 0 {
			delete(w.vms, v)
		}
		w.mu.Unlock()
	}
}

func (w *watchdog) loop() {
	for {
		w.mu.Lock()
		tick := w.tick
		w.mu.Unlock()
		before := time.Now()
		time.Sleep(tick)
		w.mu.Lock()
		if len(w.vms) == 0 {
			w.running, w.tick = false, 0
			w.mu.Unlock()
			return
		}
		now := time.Now()
		// A watchdog that woke far too late saw a starved process (a loaded host, a pause):
		// that stretch is not held against the holders, whose goroutines were starved too.
		starved := now.Sub(before) > 2*tick
		for v, st := range w.vms {
			owner, gen := v.baton.owner.Load(), v.baton.turn.Load()
			if v.baton.ownerTurn.Load() != gen {
				owner = nil // not claimed since the last hand-over
			}
			if owner == nil || owner != st.owner || gen != st.gen || starved {
				st.owner, st.gen, st.since, st.fired = owner, gen, now, false
				continue
			}
			limit := owner.req.sc.maxRun
			if st.fired || limit <= 0 || now.Sub(st.since) < limit {
				continue
			}
			st.fired = true
			r := owner.req
			r.overrun.Store(int64(limit))
			owner.kill()
			r.cancel() // the request's other threads stop at their next instruction too
		}
		w.mu.Unlock()
	}
}
