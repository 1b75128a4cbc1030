package luabind

import (
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// vm is a Lua state and its baton. With lua_code_cache on (the default, as in OpenResty) a
// host has one vm per worker and every request of that worker runs as threads of it: modules
// are loaded once and module-level tables (a chat room, a semaphore) are shared by the
// worker's connections, as under nginx. With it off, each request gets a fresh vm.
type vm struct {
	L     *lua.LState
	baton sync.Mutex // held by the one light thread running Lua in this state
	own   bool       // a request's own state: closed when its request and timers are done
	clock *ngxTimeCache
	refs  atomic.Int32
}

func (v *vm) hold() { v.refs.Add(1) }

func (v *vm) drop() {
	if v.refs.Add(-1) == 0 && v.own {
		v.L.Close()
	}
}

func (h *Host) newVM() *vm {
	L := h.newState()
	clock := openNgx(L, h)
	return &vm{L: L, clock: clock}
}

// worker returns the vm a new request runs in: nil (a fresh one) when the code cache is off,
// else the workers' states in turn.
func (h *Host) worker() *vm {
	if len(h.workers) == 0 {
		return nil
	}
	n := h.nextWorker.Add(1)
	return h.workers[int(n)%len(h.workers)]
}

// requestGlobals is the globals table of a request's code in a shared state: reads fall
// through to _G, writes stay with the request (lua-nginx-module does the same, so that one
// request's globals do not leak into another's).
func requestGlobals(L *lua.LState) *lua.LTable {
	env := L.CreateTable(0, 4)
	mt := L.CreateTable(0, 1)
	mt.RawSetString("__index", L.G.Global)
	env.Metatable = mt
	return env
}
