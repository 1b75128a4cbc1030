package luajit

import (
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// LuaJIT cannot yield across a C call: a module's main chunk run by require and an xpcall
// handler run inside C functions, so a coroutine.yield (or any OpenResty API that yields:
// ngx.sleep, cosockets, ...) there fails with "attempt to yield across C-call boundary".
// gopher-lua could yield there; the count of such calls running on each Lua thread is kept
// so that the host can refuse as LuaJIT does.

// ErrYieldAcrossC is LuaJIT's error for a yield under require or an xpcall handler.
const ErrYieldAcrossC = "attempt to yield across C-call boundary"

const cBoundaryKey = "luaws.luajit.cboundary"

// cCalls counts the calls between enterC and leaveC under way in the whole process, every
// state's together: while it is zero no thread can be inside one, and CannotYield (asked
// before every blocking operation, twice per echoed frame) answers without a table lookup.
var cCalls atomic.Int64

// enterC and leaveC bracket a call that cannot be yielded across, on thread L.
func enterC(L *lua.LState) {
	cCalls.Add(1)
	reg := L.G.Registry
	t, ok := reg.RawGetString(cBoundaryKey).(*lua.LTable)
	if !ok {
		t = L.NewTable()
		reg.RawSetString(cBoundaryKey, t)
	}
	n, _ := t.RawGet(L).(lua.LNumber)
	t.RawSet(L, n+1)
}

func leaveC(L *lua.LState) {
	cCalls.Add(-1)
	t, ok := L.G.Registry.RawGetString(cBoundaryKey).(*lua.LTable)
	if !ok {
		return
	}
	n, _ := t.RawGet(L).(lua.LNumber)
	if n <= 1 {
		t.RawSet(L, lua.LNil)
		return
	}
	t.RawSet(L, n-1)
}

// CannotYield reports whether a yield from L up to (and including) the thread top, the
// threads that resumed L in turn, would cross a C call (top nil: L alone).
func CannotYield(L, top *lua.LState) bool {
	if cCalls.Load() == 0 {
		return false
	}
	t, ok := L.G.Registry.RawGetString(cBoundaryKey).(*lua.LTable)
	if !ok {
		return false
	}
	for th := L; th != nil; th = th.Parent {
		if t.RawGet(th) != lua.LNil {
			return true
		}
		if th == top || top == nil {
			break
		}
	}
	return false
}

// callNoYield calls the function below its nargs arguments on L with nret results, marked
// as a call that cannot be yielded across.
func callNoYield(L *lua.LState, nargs, nret int) {
	enterC(L)
	defer leaveC(L)
	L.Call(nargs, nret)
}

// errErrorHandling is what LuaJIT's xpcall returns when its handler fails.
const errErrorHandling = "error in error handling"

// runHandler calls an xpcall handler (below its argument on L) as LuaJIT does: inside a C
// call (no yield), and a handler that fails gives "error in error handling".
func runHandler(L *lua.LState) {
	enterC(L)
	defer leaveC(L)
	if err := L.PCall(1, 1, nil); err != nil {
		L.Push(lua.LString(errErrorHandling))
	}
}

// handlerCall is runHandler for Lua callers: handlerCall(handler, err) -> result.
func handlerCall(L *lua.LState) int {
	L.SetTop(2)
	runHandler(L)
	return 1
}
