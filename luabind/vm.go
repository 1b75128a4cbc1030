package luabind

import (
	"os"
	"sync"
	"sync/atomic"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/luajit"

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
	// id is ngx.worker.id(); conns counts the requests attached to the state now (websockets
	// included), for spreading new ones over the workers.
	id    int
	conns atomic.Int32
	catch *lua.LFunction // the PCall errfunc of entry and user threads (luaerr.go)
	// threads is the bookkeeping of nginx's entry-thread cache, for its debug log
	threads threadCache
	ctxRefs ctxRefs // ngx.ctx refs (ctxref.go)
	timerq  timerOrder

	// spare are Lua threads of finished requests, ready for the next ones: gopher-lua's
	// NewThread builds (and throws away) a global table set of its own for every thread,
	// 4-5 KB of garbage per request.
	spareMu sync.Mutex
	spare   []*lua.LState
}

// maxSpareThreads bounds the threads a state keeps for reuse: lua_thread_cache_max_entries'
// default, as nginx's cache of entry threads. (It was 32: with 50 handshakes under way, each
// wave of finished requests threw 18 threads away and the next wave built them again.)
const maxSpareThreads = threadCacheMax

// thread returns a Lua thread of v's state for a request's entry: a spare one or a new one.
func (v *vm) thread() *lua.LState {
	v.spareMu.Lock()
	if n := len(v.spare); n > 0 {
		L := v.spare[n-1]
		v.spare[n-1] = nil
		v.spare = v.spare[:n-1]
		v.spareMu.Unlock()
		return L
	}
	v.spareMu.Unlock()
	L, _ := v.L.NewThread()
	return L
}

// recycle keeps L, a request's thread whose every call returned normally (so no frame, open
// upvalue or stack slot of the request is left in it), for the next request.
func (v *vm) recycle(L *lua.LState) {
	if v.own || L.GetTop() != 0 {
		return
	}
	L.RemoveContext()
	L.Env = v.L.Env // a setfenv(0, ...) of the request does not carry over
	v.spareMu.Lock()
	if len(v.spare) < maxSpareThreads {
		v.spare = append(v.spare, L)
	}
	v.spareMu.Unlock()
}

func (v *vm) hold() { v.refs.Add(1) }

func (v *vm) drop() {
	if v.refs.Add(-1) == 0 && v.own {
		v.L.Close()
	}
}

// threadRegistrySize is the initial value-stack size of a light thread.
const threadRegistrySize = 32

func (h *Host) newVM(id int) *vm {
	L := h.newState()
	clock := openNgx(L, h, id)
	guardGlobals(L)
	// Light threads (NewThread copies these options) start with a small value stack that
	// grows on demand: an idle websocket's thread then holds 0.5 KiB of it, not 2 KiB.
	// (NewState alone enforces its 128-slot minimum.)
	L.Options.RegistrySize = threadRegistrySize
	return &vm{L: L, clock: clock, id: id, catch: newCatchHandler(L)}
}

// worker returns the vm a new request runs in: nil (a fresh one) when the code cache is off,
// else the worker state that is free (no thread running Lua in it) and has the fewest
// requests, starting the search at the next worker in turn. A worker kept busy by one
// request (a long computation) thus never holds up new connections while another is free,
// as nginx's workers accept only when their event loop is free.
func (h *Host) worker() *vm {
	n := len(h.workers)
	switch n {
	case 0:
		return nil
	case 1:
		return h.workers[0]
	}
	start := int(h.nextWorker.Add(1))
	var best *vm
	bestFree := false
	var bestConns int32
	for i := 0; i < n; i++ {
		v := h.workers[(start+i)%n]
		free, conns := !v.baton.busy(), v.conns.Load()
		if best == nil || (free && !bestFree) || (free == bestFree && conns < bestConns) {
			best, bestFree, bestConns = v, free, conns
		}
	}
	return best
}

// workerCount is ngx.worker.count(): worker_processes.
func (h *Host) workerCount() int {
	if h.cfg.Workers <= 0 {
		return 1
	}
	return h.cfg.Workers
}

// workerPid is ngx.worker.pid() for worker id: the process id for worker 0 and, as luaws's
// workers are states of one process, the process id plus id for the others, so that code
// keying per-worker data by pid (lua-resty-worker-events, say) sees distinct workers.
func workerPid(id int) int { return os.Getpid() + id }

// guardGlobals installs lua-nginx-module's "_G write guard": request code runs with _G as its
// environment (a global one request writes is seen by the next), and creating a new global
// from a request or timer logs a warning, once per global.
func guardGlobals(L *lua.LState) {
	mt := L.CreateTable(0, 1)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		if t := threadOf(L); t != nil {
			if k, ok := L.Get(2).(lua.LString); ok {
				// the guard's traceback('', 2): the frames from the assignment on
				empty := ""
				t.req.sc.log.Log(errlog.Warn, &t.req.logc, "[lua] _G write guard:12: __newindex(): writing a global Lua variable ('"+
					string(k)+"') which may lead to race conditions between concurrent requests, so prefer the use of 'local' variables"+
					luajit.Traceback(L, &empty, 1))
			}
		}
		L.RawSet(L.CheckTable(1), L.Get(2), L.Get(3))
		return 0
	}))
	L.G.Global.Metatable = mt
}
