package luabind

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/luajit"
)

// ngx.timer: callbacks run later as their own "request-less" entry threads in the Lua state
// that created them, with premature = true when the server shuts down first. Their errors
// are logged and end only that callback.

// timers tracks a host's pending and running timers (lua_max_pending_timers and
// lua_max_running_timers: 1024 and 256 by default).
type timers struct {
	mu      sync.Mutex
	pending int
	running int
	exiting bool
	stop    chan struct{} // closed on shutdown: pending timers fire prematurely
	wg      sync.WaitGroup

	maxPending, maxRunning int
}

// newTimers makes a host's timer bookkeeping; limits of 0 are nginx's defaults.
func newTimers(maxPending, maxRunning int) *timers {
	if maxPending <= 0 {
		maxPending = 1024
	}
	if maxRunning <= 0 {
		maxRunning = 256
	}
	return &timers{stop: make(chan struct{}), maxPending: maxPending, maxRunning: maxRunning}
}

func newTimerTable(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 4)
	t.RawSetString("at", L.NewFunction(ngxTimerAt))
	t.RawSetString("every", L.NewFunction(ngxTimerEvery))
	t.RawSetString("running_count", L.NewFunction(func(L *lua.LState) int {
		tm := requestOf(L).host.timers
		tm.mu.Lock()
		defer tm.mu.Unlock()
		L.Push(lua.LNumber(tm.running))
		return 1
	}))
	t.RawSetString("pending_count", L.NewFunction(func(L *lua.LState) int {
		tm := requestOf(L).host.timers
		tm.mu.Lock()
		defer tm.mu.Unlock()
		L.Push(lua.LNumber(tm.pending))
		return 1
	}))
	return t
}

func ngxTimerAt(L *lua.LState) int    { return startTimer(L, false) }
func ngxTimerEvery(L *lua.LState) int { return startTimer(L, true) }

func startTimer(L *lua.LState, every bool) int {
	r := requestOf(L)
	h := r.host
	if n := L.GetTop(); n < 2 {
		luaError(L, "expecting at least 2 arguments but got %d", n)
	}
	dv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		argError(L, 1, "number expected, got "+L.Get(1).Type().String())
	}
	fn, ok := L.Get(2).(*lua.LFunction)
	if !ok || fn.IsG {
		argError(L, 2, "Lua function expected")
	}
	delay := float64(dv)
	if every && delay == 0 {
		luaError(L, "delay cannot be zero")
	}
	if delay < 0 {
		delay = 0
	}
	args := make([]lua.LValue, 0, L.GetTop()-2)
	for i := 3; i <= L.GetTop(); i++ {
		args = append(args, L.Get(i))
	}
	tm := h.timers
	tm.mu.Lock()
	if tm.exiting && delay > 0 {
		tm.mu.Unlock()
		L.Push(lua.LNil)
		L.Push(lua.LString("process exiting"))
		return 2
	}
	if tm.pending >= tm.maxPending {
		tm.mu.Unlock()
		L.Push(lua.LNil)
		L.Push(lua.LString("too many pending timers"))
		return 2
	}
	tm.pending++
	tm.wg.Add(1)
	tm.mu.Unlock()

	v := r.vm
	v.hold()
	d := time.Duration(delay * float64(time.Second))
	logc := timerConn(r)
	// nginx gives the timer its entry thread now (from the worker's thread cache)
	ref := 0
	if !v.own {
		ref = v.threads.take(h.log, nil, L)
	}
	turn := v.timerq.arm(time.Now().Add(d))
	go func() {
		defer tm.wg.Done()
		defer v.drop()
		defer r.survive("timer")
		for {
			if turn == nil { // a later run of ngx.timer.every
				turn = v.timerq.arm(time.Now().Add(d))
			}
			premature := false
			if d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-tm.stop:
					t.Stop()
					premature = true
				}
			}
			// The timer stays pending until its callback gets the state's baton (nginx runs it
			// on a later turn of the event loop, never while the creating code runs).
			cb := &request{host: h, sc: r.sc, start: time.Now(), phase: "timer", logc: logc, threadRef: ref}
			ref = 0 // a later run of ngx.timer.every takes its thread when it fires
			debug := h.log.Enabled(errlog.Debug)
			if debug {
				h.log.Log(errlog.Debug, nil, "lua ngx.timer expired")
			}
			started := false
			v.timerq.awaitTurn(turn)
			_, _ = cb.run(context.Background(), v, func(L *lua.LState) (*lua.LFunction, []lua.LValue) {
				v.timerq.started(turn)
				tm.mu.Lock()
				defer tm.mu.Unlock()
				tm.pending--
				if tm.running >= tm.maxRunning && !premature {
					cb.sc.log.Log(errlog.Alert, &cb.logc, "lua failed to run timer with function defined at "+
						luajit.FunctionSource(L, fn)+": "+strconv.Itoa(tm.maxRunning)+" lua_max_running_timers are not enough")
					return L.NewFunction(func(*lua.LState) int { return 0 }), nil
				}
				tm.running++
				started = true
				return fn, append([]lua.LValue{lua.LBool(premature)}, args...)
			}, nil)
			v.timerq.started(turn) // in case the callback never got the baton
			turn = nil
			cb.releaseCtx() // the fake request's cleanup, before its connection closes

			if debug {
				cb.sc.log.Log(errlog.Debug, &cb.logc, "http lua close fake http connection "+ngxPointer(cb))
			}
			tm.mu.Lock()
			if started {
				tm.running--
			}
			again := every && !premature && !tm.exiting
			if again {
				tm.pending++
			}
			tm.mu.Unlock()
			if !again {
				return
			}
		}
	}()
	L.Push(lua.LNumber(1))
	return 1
}

// timerConn is the log context of a timer created by r: nginx's fake connection of the timer
// keeps the client address and the listening address ("server: 0.0.0.0:80"), and there is
// no request line.
func timerConn(r *request) errlog.Conn {
	c := errlog.Conn{ID: r.logc.ID, Context: "ngx.timer", Client: r.logc.Client, Server: r.logc.Server}
	if r.logc.Context == "ngx.timer" || r.r == nil {
		return c // a timer's timer: the same fake connection's context
	}
	c.Server = ""
	if srv, ok := r.r.Context().Value(http.ServerContextKey).(*http.Server); ok {
		c.Server = srv.Addr
	}
	return c
}

// Shutdown makes ngx.worker.exiting() true and fires pending timers with premature = true,
// then waits for running callbacks (up to ctx).
func (h *Host) Shutdown(ctx context.Context) {
	h.Exit()
	tm := h.timers
	done := make(chan struct{})
	go func() { tm.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Exit makes ngx.worker.exiting() true and fires pending timers prematurely, without waiting.
func (h *Host) Exit() {
	tm := h.timers
	tm.mu.Lock()
	if !tm.exiting {
		tm.exiting = true
		close(tm.stop)
	}
	tm.mu.Unlock()
}

// Exiting reports whether Shutdown was called.
func (h *Host) Exiting() bool {
	h.timers.mu.Lock()
	defer h.timers.mu.Unlock()
	return h.timers.exiting
}
