package luabind

import (
	"reflect"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/luajit"
)

// ngx.thread: light threads (lua-nginx-module's "user threads"). Each runs on its own
// goroutine; the baton of the Lua state (vm.baton) keeps Lua single-threaded per state.

var ngxThreadFuncs = map[string]lua.LGFunction{
	"spawn": ngxThreadSpawn,
	"wait":  ngxThreadWait,
	"kill":  ngxThreadKill,
}

func newThreadTable(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, len(ngxThreadFuncs))
	for k, fn := range ngxThreadFuncs {
		t.RawSetString(k, L.NewFunction(fn))
	}
	wrapCoroutineStatus(L)
	wrapCoroutineYield(L)
	wrapCoroutineBalancer(L)
	return t
}

// wrapCoroutineYield makes coroutine.yield in a light thread itself (the entry thread or a
// user thread, not a coroutine it created) what it is under lua-nginx-module: a yield to
// the scheduler, which puts the thread at the end of the request's posted threads when
// there are any (they run first) and otherwise resumes it at once (yield returns nothing);
// gopher-lua refused it ("attempt to yield from outside a coroutine"), light threads not
// being coroutines here.
func wrapCoroutineYield(L *lua.LState) {
	co, ok := L.GetGlobal("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	orig, ok := co.RawGetString("yield").(*lua.LFunction)
	if !ok || !orig.IsG {
		return
	}
	native := orig.GFunction
	co.RawSetString("yield", L.NewFunction(func(L *lua.LState) int {
		if luajit.CannotYield(L, nil) { // under require or an xpcall handler
			L.Error(lua.LString(luajit.ErrYieldAcrossC), 0)
		}
		if t := threadOf(L); t != nil && t.L == L && t.req.phase != "header_filter" {
			if len(t.req.posted) == 0 {
				return 0 // nobody else to run: the thread goes on at once
			}
			t.yieldPosted(L)
			return 0
		}
		return native(L)
	}))
}

// wrapCoroutineStatus makes coroutine.status know light threads as lua-nginx-module does:
// "running" until it ends (also while it sleeps or waits on I/O), "normal" while a coroutine
// it resumed waits, "zombie" once it ended and was not waited for, "dead" once waited for or
// killed (a light thread is not a resumed
// coroutine, so gopher-lua alone would say "suspended" throughout).
func wrapCoroutineStatus(L *lua.LState) {
	co, ok := L.GetGlobal("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	orig, ok := co.RawGetString("status").(*lua.LFunction)
	if !ok {
		return
	}
	co.RawSetString("status", L.NewFunction(func(L *lua.LState) int {
		if th, ok := L.Get(1).(*lua.LState); ok && th == L {
			L.Push(lua.LString("running")) // the thread asking, a light thread included
			return 1
		}
		if th, ok := L.Get(1).(*lua.LState); ok {
			if cur := threadOf(L); cur != nil {
				if t := cur.req.threadFor(th); t != nil && t.user != nil {
					switch {
					case t.user.status == threadZombie:
						L.Push(lua.LString("zombie"))
					case t.user.status == threadDead:
						L.Push(lua.LString("dead"))
					case t.waitL != nil && t.waitL != t.L: // blocked in a coroutine it resumed
						L.Push(lua.LString("normal"))
					default: // waiting on I/O or a sleep is still "running" there
						L.Push(lua.LString("running"))
					}
					return 1
				}
			}
		}
		L.Push(orig)
		L.Push(L.Get(1))
		L.Call(1, 1)
		return 1
	}))
}

// Thread life cycle, as lua-nginx-module's coroutine statuses.
const (
	threadRunning = iota
	threadZombie  // finished, not yet waited for
	threadDead    // waited for or killed
)

// userThread is the part of an lthread that ngx.thread.* manages.
type userThread struct {
	// parentL is the Lua thread that spawned it: the light thread or one of its coroutines
	// (only that one may wait on it or kill it, as in lua-nginx-module)
	parentL *lua.LState
	status  int
	done    chan struct{}
	ok      bool
	results []lua.LValue
}

// release gives up the baton (see passBaton).
func (t *lthread) release() {
	t.threadEnded() // frames it held back go out before anyone else runs (block already took them)
	t.req.passBaton()
}

// ngx.thread.spawn(f, ...) runs f as a new light thread at once, until it yields, blocks or
// ends; the caller, posted meanwhile, then goes on in its turn with the thread object.
func ngxThreadSpawn(L *lua.LState) int {
	parent := threadOf(L)
	if parent == nil {
		L.RaiseError("no request found")
	}
	if ph := parent.req.phase; ph == "header_filter" || ph == "body_filter" || ph == "balancer" {
		ngxStrError(L, 1, "API disabled in the context of "+ph+"_by_lua*")
	}
	fn := L.CheckFunction(1)
	args := make([]lua.LValue, 0, L.GetTop()-1)
	for i := 2; i <= L.GetTop(); i++ {
		args = append(args, L.Get(i))
	}
	child := parent.req.spawn(L, parent, fn, args)
	L.Push(child.L)
	return 1
}

// spawn starts fn(args...) as a user thread of r whose parent is L, a Lua thread of light
// thread parent (parent is nil for Go callers such as the on_abort watcher once the entry
// thread is over). The caller holds the baton: it is posted, the child runs first, and the
// caller goes on when its turn comes (lua-nginx-module's spawn yields to the scheduler the
// same way, so a grandchild that ends lets the entry thread run before its own parent).
func (r *request) spawn(L *lua.LState, parent *lthread, fn *lua.LFunction, args []lua.LValue) *lthread {
	co, _ := L.NewThread()
	child := r.newThread(co)
	child.user = &userThread{parentL: L, done: make(chan struct{})}
	r.addThread(child)
	resume := r.post()

	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer r.survive("light thread")
		// The baton is ours: the spawner waits in the posted line without touching it.
		r.vm.baton.handTo(child)
		co.G.CurrentThread = co
		child.owns()
		co.Push(fn)
		for _, a := range args {
			co.Push(a)
		}
		err := r.vm.pcall(co, len(args), lua.MultRet)
		u := child.user
		if err != nil {
			if !r.exited && !r.stopped.Load() && (child.ctx.Err() == nil || r.overrun.Load() > 0 || child.wrapErr != nil) {
				r.threadAborted("user", child, err)
			}
			u.ok = false
			u.results = []lua.LValue{errorValue(err)}
			if a := child.errArg; a != nil {
				// lua-nginx-module hands the dead thread's stack to wait: error()'s
				// argument comes first, before the message
				if s, ok := u.results[0].(lua.LString); ok && a != s {
					u.results = []lua.LValue{a, s}
				} else {
					u.results = []lua.LValue{a}
				}
			}
		} else {
			u.ok = true
			n := co.GetTop()
			u.results = make([]lua.LValue, n)
			for i := 1; i <= n; i++ {
				u.results[i-1] = co.Get(i)
			}
			co.SetTop(0)
		}
		if u.status == threadRunning {
			u.status = threadZombie
		}
		child.threadEnded()
		child.cancel()
		close(u.done)
		child.release()
	}()
	<-resume
	r.vm.baton.handTo(parent)
	if parent != nil {
		L.G.CurrentThread = L
	}
	return child
}

// errorValue is the error object a failed thread returns to ngx.thread.wait.
func errorValue(err error) lua.LValue {
	if ae, ok := err.(*lua.ApiError); ok {
		return ae.Object
	}
	return lua.LString(err.Error())
}

// ngx.thread.wait(t1, t2, ...): the results of the first of them to end.
func ngxThreadWait(L *lua.LState) int {
	self := threadOf(L)
	if self == nil {
		L.RaiseError("no request found")
	}
	r := self.req
	n := L.GetTop()
	if n == 0 {
		L.RaiseError("at least one coroutine should be specified")
	}
	threads := make([]*lthread, n)
	for i := 1; i <= n; i++ {
		co, ok := L.Get(i).(*lua.LState)
		if !ok {
			L.ArgError(i, "coroutine expected")
		}
		t := r.threadFor(co)
		if t == nil || t.user == nil {
			L.RaiseError("attempt to wait on a coroutine that is not a user thread")
		}
		if t.user.parentL != L {
			L.RaiseError("only the parent coroutine can wait on the thread")
		}
		if t.user.status == threadDead {
			L.Push(lua.LFalse)
			L.Push(lua.LString("already waited or killed"))
			return 2
		}
		threads[i-1] = t
	}
	done := firstDone(threads)
	if done == nil {
		cases := make([]reflect.SelectCase, 0, n+1)
		for _, t := range threads {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(t.user.done)})
		}
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(self.ctx.Done())})
		self.block(L, func() { reflect.Select(cases) })
		done = firstDone(threads)
		if done == nil { // we were killed
			return 0
		}
	}
	done.user.status = threadDead
	L.Push(lua.LBool(done.user.ok))
	for _, v := range done.user.results {
		L.Push(v)
	}
	return 1 + len(done.user.results)
}

func firstDone(ts []*lthread) *lthread {
	for _, t := range ts {
		select {
		case <-t.user.done:
			return t
		default:
		}
	}
	return nil
}

// ngx.thread.kill(t): only the parent may kill; true, or nil and why not.
func ngxThreadKill(L *lua.LState) int {
	self := threadOf(L)
	if self == nil {
		L.RaiseError("no request found")
	}
	co, ok := L.Get(1).(*lua.LState)
	if !ok {
		L.ArgError(1, "coroutine expected")
	}
	t := self.req.threadFor(co)
	switch {
	case t == nil || t.user == nil:
		L.Push(lua.LNil)
		L.Push(lua.LString("not user thread"))
		return 2
	case t.user.parentL != L:
		L.Push(lua.LNil)
		L.Push(lua.LString("killer not parent"))
		return 2
	case t.user.status == threadDead:
		L.Push(lua.LNil)
		L.Push(lua.LString("already waited or killed"))
		return 2
	case t.user.status == threadZombie:
		t.user.status = threadDead
		L.Push(lua.LNil)
		L.Push(lua.LString("already terminated"))
		return 2
	case t.pendingSubreqs > 0:
		L.Push(lua.LNil)
		L.Push(lua.LString("pending subrequests"))
		return 2
	}
	t.user.status = threadDead
	t.kill()
	L.Push(lua.LNumber(1))
	return 1
}
