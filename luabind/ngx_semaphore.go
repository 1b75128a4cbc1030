package luabind

import (
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// ngx.semaphore (lua-resty-core's): a post from one light thread wakes a waiter in another,
// in the same request or another request of the same Lua state.

type semaphore struct {
	mu      sync.Mutex
	count   int
	waiters []chan struct{} // FIFO; buffered(1)
}

const semaphoreTypeName = "ngx.semaphore"

func openNgxSemaphore(L *lua.LState) int {
	mod := L.CreateTable(0, 2)
	mod.RawSetString("version", lua.LString("0.1.28"))
	mod.RawSetString("new", L.NewFunction(semNew))
	L.Push(mod)
	return 1
}

// semaphore.new(n?) -> sema | nil, err
func semNew(L *lua.LState) int {
	n := 0
	if v := L.Get(1); v != lua.LNil {
		f, ok := v.(lua.LNumber)
		if !ok || f < 0 {
			L.Push(lua.LNil)
			L.Push(lua.LString("no memory"))
			return 2
		}
		n = int(f)
	}
	ud := L.NewUserData()
	ud.Value = &semaphore{count: n}
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
	ud.Metatable = mt
	L.Push(ud)
	return 1
}

func checkSema(L *lua.LState) *semaphore {
	if ud, ok := L.Get(1).(*lua.LUserData); ok {
		if s, ok := ud.Value.(*semaphore); ok {
			return s
		}
	}
	L.RaiseError("not a semaphore instance")
	return nil
}

// sema:wait(timeout) -> true | nil, "timeout" (timeout 0) | false, "timeout"
func semWait(L *lua.LState) int {
	s := checkSema(L)
	timeout := float64(L.OptNumber(2, 0))
	if timeout < 0 {
		L.RaiseError("bad \"timeout\" argument")
	}
	s.mu.Lock()
	if s.count > 0 {
		s.count--
		s.mu.Unlock()
		L.Push(lua.LTrue)
		return 1
	}
	if timeout == 0 {
		s.mu.Unlock()
		L.Push(lua.LNil)
		L.Push(lua.LString("timeout"))
		return 2
	}
	ch := make(chan struct{}, 1)
	s.waiters = append(s.waiters, ch)
	s.mu.Unlock()

	t := threadOf(L)
	if t == nil {
		L.RaiseError("no request found")
	}
	got := false
	t.block(L, func() {
		tm := time.NewTimer(time.Duration(timeout * float64(time.Second)))
		defer tm.Stop()
		select {
		case <-ch:
			got = true
		case <-tm.C:
		case <-t.ctx.Done():
		}
	})
	if !got {
		s.mu.Lock()
		removed := false
		for i, w := range s.waiters {
			if w == ch {
				s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
				removed = true
				break
			}
		}
		s.mu.Unlock()
		if !removed { // posted while we were timing out: the resource is ours
			<-ch
			got = true
		}
	}
	if got {
		L.Push(lua.LTrue)
		return 1
	}
	L.Push(lua.LFalse)
	L.Push(lua.LString("timeout"))
	return 2
}

// sema:post(n?): n resources (default 1); waiters are woken in order.
func semPost(L *lua.LState) int {
	s := checkSema(L)
	n := L.OptInt(2, 1)
	if n < 0 {
		L.RaiseError("bad \"n\" argument")
	}
	s.mu.Lock()
	for n > 0 && len(s.waiters) > 0 {
		w := s.waiters[0]
		s.waiters = s.waiters[1:]
		w <- struct{}{}
		n--
	}
	s.count += n
	s.mu.Unlock()
	L.Push(lua.LTrue)
	return 1
}

// sema:count(): resources available, or minus the number of waiters.
func semCount(L *lua.LState) int {
	s := checkSema(L)
	s.mu.Lock()
	c := s.count - len(s.waiters)
	s.mu.Unlock()
	L.Push(lua.LNumber(c))
	return 1
}
