package luabind

import (
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// ngx.semaphore (lua-resty-core's): a post from one light thread wakes a waiter in another,
// in the same request or another request of the same Lua state. Woken waiters resume in the
// order they waited: post queues them for the baton in that order.

type semaphore struct {
	mu      sync.Mutex
	count   int
	waiters []*semWaiter // FIFO
}

type semWaiter struct {
	t       *lthread
	wake    chan struct{} // closed when the baton reaches the woken waiter
	dropped bool          // taken off the queue by post because its thread was killed
}

const semaphoreTypeName = "ngx.semaphore"

func openNgxSemaphore(L *lua.LState) int {
	mod := L.CreateTable(0, 2)
	mod.RawSetString("version", lua.LString("0.1.28"))
	mod.RawSetString("new", L.NewFunction(semNew))
	L.Push(mod)
	return 1
}

// semaphore.new(n?) -> sema: a table holding the native semaphore, as lua-resty-core's is.
func semNew(L *lua.LState) int {
	n := 0
	if f, ok := toNumber(L.Get(1)); ok {
		n = int(f)
	}
	if n < 0 {
		ngxStrError(L, 1, "no negative number")
	}
	ud := L.NewUserData()
	ud.Value = &semaphore{count: n}
	obj := L.CreateTable(0, 1)
	obj.RawSetString("sem", ud)
	mt := L.GetTypeMetatable(semaphoreTypeName)
	if mt == lua.LNil {
		t := L.NewTypeMetatable(semaphoreTypeName)
		methods := L.CreateTable(0, 3)
		methods.RawSetString("wait", L.NewFunction(semWait))
		methods.RawSetString("post", L.NewFunction(semPost))
		methods.RawSetString("count", L.NewFunction(semCount))
		t.RawSetString("__index", methods)
		mt = t
	}
	obj.Metatable = mt
	L.Push(obj)
	return 1
}

// toNumber converts as Lua's tonumber: numbers and numeric strings.
func toNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		str := strings.TrimSpace(string(v))
		if f, err := strconv.ParseFloat(str, 64); err == nil {
			return f, true
		}
		if i, err := strconv.ParseInt(str, 0, 64); err == nil {
			return float64(i), true
		}
	}
	return 0, false
}

func checkSema(L *lua.LState) *semaphore {
	if t, ok := L.Get(1).(*lua.LTable); ok {
		if ud, ok := t.RawGetString("sem").(*lua.LUserData); ok {
			if s, ok := ud.Value.(*semaphore); ok {
				return s
			}
		}
	}
	ngxStrError(L, 1, "not a semaphore instance")
	return nil
}

// sema:wait(timeout) -> true | nil, "timeout" (timeout 0) | false, "timeout"
func semWait(L *lua.LState) int {
	s := checkSema(L)
	f, ok := toNumber(L.Get(2))
	if !ok {
		// lua-resty-core computes seconds * 1000 first
		L.RaiseError("attempt to perform arithmetic on local 'seconds' (%s value)", L.Get(2).Type().String())
	}
	if f < 0 {
		ngxStrError(L, 1, "no negative number")
	}
	s.mu.Lock()
	if s.count > 0 {
		s.count--
		s.mu.Unlock()
		L.Push(lua.LTrue)
		return 1
	}
	if f == 0 {
		s.mu.Unlock()
		L.Push(lua.LNil)
		L.Push(lua.LString("timeout"))
		return 2
	}
	t := threadOf(L)
	if t == nil {
		s.mu.Unlock()
		L.RaiseError("no request found")
	}
	w := &semWaiter{t: t, wake: make(chan struct{})}
	s.waiters = append(s.waiters, w)
	s.mu.Unlock()

	v := t.req.vm
	t.release()
	tm := time.NewTimer(time.Duration(f * float64(time.Second)))
	got := false
	select {
	case <-w.wake: // posted, and the baton is ours
		got = true
	case <-tm.C:
	case <-t.ctx.Done():
	}
	tm.Stop()
	if !got {
		s.mu.Lock()
		removed := s.remove(w) || w.dropped
		s.mu.Unlock()
		if removed {
			v.baton.Lock()
		} else {
			<-w.wake // posted meanwhile: the baton comes with the resource
			got = true
		}
	}
	t.owns()
	L.G.CurrentThread = L
	v.clock.update()
	if got {
		L.Push(lua.LTrue)
		return 1
	}
	L.Push(lua.LFalse)
	L.Push(lua.LString("timeout"))
	return 2
}

func (s *semaphore) remove(w *semWaiter) bool {
	for i, x := range s.waiters {
		if x == w {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// sema:post(n?): n resources (default 1); waiters are woken in the order they waited.
func semPost(L *lua.LState) int {
	s := checkSema(L)
	n := 1
	if v := L.Get(2); v != lua.LNil {
		f, ok := toNumber(v)
		if !ok || f < 1 {
			ngxStrError(L, 1, "positive number required")
		}
		n = int(f)
	}
	t := threadOf(L)
	s.mu.Lock()
	for n > 0 && len(s.waiters) > 0 {
		w := s.waiters[0]
		s.waiters = s.waiters[1:]
		if w.t.ctx.Err() != nil {
			w.dropped = true // killed: it takes nothing
			continue
		}
		if t != nil && w.t.req.vm == t.req.vm {
			t.req.vm.baton.enqueue(w.wake)
		} else {
			// posted from another state (or from Go): the waiter takes the baton itself
			go func(w *semWaiter) {
				w.t.req.vm.baton.Lock()
				close(w.wake)
			}(w)
		}
		n--
	}
	s.count += n
	s.mu.Unlock()
	L.Push(lua.LTrue)
	return 1
}

// sema:count(): resources available, or minus the number of (live) waiters.
func semCount(L *lua.LState) int {
	s := checkSema(L)
	s.mu.Lock()
	live := 0
	for _, w := range s.waiters {
		if w.t.ctx.Err() == nil {
			live++
		}
	}
	c := s.count - live
	s.mu.Unlock()
	L.Push(lua.LNumber(c))
	return 1
}
