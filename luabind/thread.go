package luabind

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/luajit"
)

// A light thread (the entry thread or one from ngx.thread.spawn) is a gopher-lua thread of the
// request's state, running on a goroutine of its own. The request's baton makes sure only one
// of them runs Lua at a time; a blocking operation releases it (see block). The baton belongs
// to the Lua state (vm), so with a worker's shared state it also serialises the requests that
// share it, as one nginx worker does. DESIGN.md explains
// why goroutines rather than coroutines: LuaJIT code may block inside pcall, metamethods,
// iterators and callbacks, where gopher-lua cannot yield.
//
// (The request's baton is the baton of the vm it runs in.)
type lthread struct {
	req    *request
	L      *lua.LState
	errArg lua.LValue // the argument of the error() call the thread died of, if it did
	ctx    *threadCtx
	cancel context.CancelFunc

	user *userThread // nil for the entry thread

	pendingSubreqs int // ngx.location.capture* under way in it (baton-guarded): it cannot be killed

	mu      sync.Mutex // guards blocked
	blocked net.Conn   // the connection a blocking read/write waits on, to interrupt it on kill

	// waitL is the Lua thread (t.L or a coroutine inside it) blocked in block, nil while t
	// runs; read and written with the baton held.
	waitL *lua.LState

	oom atomic.Bool // killed by the memory guard (memguard.go)

	// wrapErr: a coroutine.wrap coroutine's error ended the thread (baton-guarded)
	wrapErr *wrapFailure

	// an inline operation under way (inline.go): the Lua thread that called it, and whether
	// it gave up the baton to wait
	inlineL *lua.LState
	yielded bool
}

// wrapFailure is the error of a coroutine.wrap coroutine, which under lua-nginx-module ends
// the light thread that called the wrap function (no pcall catches it), logged with the
// coroutine's own message and the frames of each coroutine it went through, innermost first.
type wrapFailure struct {
	obj    lua.LValue
	frames []string
}

// onWrapError is the state's luajit.WrapErrorHook: inside a light thread, the thread ends
// with the coroutine's error.
func onWrapError(L *lua.LState, v lua.LValue, frames string) bool {
	t := threadOf(L)
	if t == nil {
		return false
	}
	if !lightThreadPhase(t.req.phase) { // elsewhere coroutine.wrap is LuaJIT's own (as in nginx)
		return false
	}
	if t.wrapErr == nil {
		t.wrapErr = &wrapFailure{obj: v}
	}
	t.wrapErr.frames = append(t.wrapErr.frames, frames)
	t.cancel() // the thread stops at its next instruction, inside a pcall too
	return true
}

// abortError is what the thread's abort log shows for err: the coroutine.wrap error that
// ended it, if one did, with every coroutine's frames ("coroutine 0:" the innermost) and
// then the thread's own.
func (t *lthread) abortError(err error) error {
	if t == nil || t.wrapErr == nil {
		return err
	}
	var b strings.Builder
	b.WriteString("stack traceback:")
	for i, f := range t.wrapErr.frames {
		fmt.Fprintf(&b, "\ncoroutine %d:%s", i, f)
	}
	if ae, ok := err.(*lua.ApiError); ok {
		own := strings.TrimPrefix(ae.StackTrace, luajit.ThreadTracebackHead)
		fmt.Fprintf(&b, "\ncoroutine %d:%s", len(t.wrapErr.frames), own)
	}
	return &lua.ApiError{Type: lua.ApiErrorRun, Object: t.wrapErr.obj, StackTrace: b.String()}
}

// threadKey finds the light thread from any context derived from its own (user coroutines
// created inside a light thread get child contexts).
type threadKey struct{}

// threadCtx is the context a light thread's state runs under: cancelling it stops the thread
// at its next VM instruction, even inside a user pcall.
type threadCtx struct {
	context.Context
	t    *lthread
	done <-chan struct{} // Context.Done(), kept: gopher-lua asks for it before every instruction
}

// Done is the embedded context's channel, read once: gopher-lua's VM loop selects on it
// before every instruction, and going through the embedded cancelCtx each time cost about
// a tenth of the user-space instructions of an echo. It is the same channel, so contexts
// derived from this one (coroutines) still find and follow it.
func (c *threadCtx) Done() <-chan struct{} { return c.done }

// Err is the context's error: LuaJIT's "not enough memory" when the memory guard
// (memguard.go) killed the thread, the lua_max_running_time error when the budget did
// (gopher-lua raises it at the thread's next instruction).
func (c *threadCtx) Err() error {
	if c.t.oom.Load() {
		return errNoMemory
	}
	err := c.Context.Err()
	if err != nil {
		if ns := c.t.req.overrun.Load(); ns > 0 {
			return overrunError{time.Duration(ns)}
		}
	}
	return err
}

func (c *threadCtx) Value(k any) any {
	if _, ok := k.(threadKey); ok {
		return c.t
	}
	return c.Context.Value(k)
}

// threadOf returns the light thread L runs in (L may be a user coroutine inside it).
func threadOf(L *lua.LState) *lthread {
	ctx := L.Context()
	if tc, ok := ctx.(*threadCtx); ok {
		return tc.t
	}
	if ctx != nil {
		if t, ok := ctx.Value(threadKey{}).(*lthread); ok {
			return t
		}
	}
	return nil
}

// requestOf returns the request L serves; it raises a Lua error outside of one.
func requestOf(L *lua.LState) *request {
	t := threadOf(L)
	if t == nil {
		L.RaiseError("no request found")
	}
	return t.req
}

// newThread attaches a light thread to L (the request's main state or a NewThread of it).
func (r *request) newThread(L *lua.LState) *lthread {
	ctx, cancel := context.WithCancel(r.ctx)
	t := &lthread{req: r, L: L, cancel: cancel}
	t.ctx = &threadCtx{Context: ctx, t: t, done: ctx.Done()}
	L.SetContext(t.ctx)
	if st := r.host.cfg.Stats; st != nil {
		st.ThreadsSpawned.Add(1)
	}
	return t
}

// block runs f with the baton released so that other light threads of the request run while
// this one waits in Go; L is the state (thread or coroutine) that called.
func (t *lthread) block(L *lua.LState, f func()) {
	t.checkYield(L)
	t.wait(L, f)
}

// wait is block once the yield is known to be allowed.
func (t *lthread) wait(L *lua.LState, f func()) {
	flush := t.flushBeforeBlock() // frames held back (coalesce.go) go out before we wait
	t.req.settled()               // a capture waiting for this subrequest goes on
	t.waitL = L
	t.release()
	var ferr error
	defer func() {
		t.req.vm.baton.Lock()
		t.req.vm.baton.claim(t)
		t.waitL = nil
		L.G.CurrentThread = L
		t.req.vm.clock.update() // nginx refreshes its cached time on every event-loop turn
		if ferr != nil && t.req.sock != nil && t.req.sock.werr == nil {
			t.req.sock.werr = ferr
		}
	}()
	if flush != nil {
		ferr = flush()
	}
	f()
}

// checkYield raises LuaJIT's error when waiting would yield L's light thread across a C
// call (a module's main chunk under require, an xpcall handler), as lua-nginx-module fails
// there.
func (t *lthread) checkYield(L *lua.LState) {
	if luajit.CannotYield(L, t.L) {
		L.Error(lua.LString(luajit.ErrYieldAcrossC), 0)
	}
}

// post puts the caller at the end of the request's posted threads (lua-nginx-module's
// posted_threads): threads that yielded to the scheduler (a spawner, coroutine.yield) and
// run in that order as soon as the running thread of the request yields, blocks or ends,
// before anything else gets the baton. The caller holds the baton; the channel is closed
// when the baton is the caller's again.
func (r *request) post() chan struct{} {
	c := make(chan struct{})
	r.posted = append(r.posted, c)
	return c
}

// passBaton gives up the baton: to the first posted thread of the request, or else to
// whoever waits for it (baton.Unlock). The baton holder calls it.
func (r *request) passBaton() {
	if n := len(r.posted); n > 0 {
		c := r.posted[0]
		copy(r.posted, r.posted[1:])
		r.posted[n-1] = nil
		r.posted = r.posted[:n-1]
		close(c)
		return
	}
	r.vm.baton.Unlock()
}

// yieldPosted is coroutine.yield in light thread t (L is t.L) while other threads of the
// request are posted: t goes to the end of the line and runs again in its turn.
func (t *lthread) yieldPosted(L *lua.LState) {
	c := t.req.post()
	t.release()
	<-c
	t.req.vm.baton.handTo(t)
	L.G.CurrentThread = L
}

// blockOn is block for an operation on c: killing the thread interrupts it by expiring c's
// deadline.
func (t *lthread) blockOn(L *lua.LState, c net.Conn, f func()) {
	t.checkYield(L)
	t.mu.Lock()
	t.blocked = c
	t.mu.Unlock()
	t.wait(L, func() {
		if t.ctx.Err() != nil {
			return
		}
		f()
	})
	t.mu.Lock()
	t.blocked = nil
	t.mu.Unlock()
}

// kill stops the thread: its VM stops at the next instruction and blocked I/O returns.
func (t *lthread) kill() {
	t.cancel()
	t.mu.Lock()
	if t.blocked != nil {
		t.req.killEpoch.Add(1)
		_ = t.blocked.SetDeadline(time.Unix(1, 0))
	}
	t.mu.Unlock()
}

// sleep waits d or until the thread is killed.
func (t *lthread) sleep(L *lua.LState, d time.Duration) {
	t.block(L, func() {
		tm := time.NewTimer(d)
		defer tm.Stop()
		select {
		case <-tm.C:
		case <-t.ctx.Done(): // killed, or the request is over
			t.req.sc.log.Log(errlog.Debug, &t.req.logc, "lua clean up the timer for pending ngx.sleep")
		}
	})
}
