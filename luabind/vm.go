package luabind

import (
	"sync/atomic"

	"github.com/luaws/luaws/errlog"

	lua "github.com/yuin/gopher-lua"
)

// vm is a Lua state and its baton. With lua_code_cache on (the default, as in OpenResty) a
// host has one vm per worker and every request of that worker runs as threads of it: modules
// are loaded once and module-level tables (a chat room, a semaphore) are shared by the
// worker's connections, as under nginx. With it off, each request gets a fresh vm.
type vm struct {
	L     *lua.LState
	baton baton // held by the one light thread running Lua in this state
	own   bool  // a request's own state: closed when its request and timers are done
	clock *ngxTimeCache
	refs  atomic.Int32
	catch *lua.LFunction // the PCall errfunc of entry and user threads (luaerr.go)
}

func (v *vm) hold() { v.refs.Add(1) }

func (v *vm) drop() {
	if v.refs.Add(-1) == 0 && v.own {
		v.L.Close()
	}
}

// threadRegistrySize is the initial value-stack size of a light thread.
const threadRegistrySize = 32

func (h *Host) newVM() *vm {
	L := h.newState()
	clock := openNgx(L, h)
	guardGlobals(L)
	// Light threads (NewThread copies these options) start with a small value stack that
	// grows on demand: an idle websocket's thread then holds 0.5 KiB of it, not 2 KiB.
	// (NewState alone enforces its 128-slot minimum.)
	L.Options.RegistrySize = threadRegistrySize
	return &vm{L: L, clock: clock, catch: newCatchHandler(L)}
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

// guardGlobals installs lua-nginx-module's "_G write guard": request code runs with _G as its
// environment (a global one request writes is seen by the next), and creating a new global
// from a request or timer logs a warning, once per global.
func guardGlobals(L *lua.LState) {
	mt := L.CreateTable(0, 1)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		if t := threadOf(L); t != nil {
			if k, ok := L.Get(2).(lua.LString); ok {
				t.req.sc.log.Log(errlog.Warn, &t.req.logc, "[lua] _G write guard:12: __newindex(): writing a global Lua variable ('"+
					string(k)+"') which may lead to race conditions between concurrent requests, so prefer the use of 'local' variables")
			}
		}
		L.RawSet(L.CheckTable(1), L.Get(2), L.Get(3))
		return 0
	}))
	L.G.Global.Metatable = mt
}
