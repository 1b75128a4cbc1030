package luajit

import (
	lua "github.com/yuin/gopher-lua"
)

// lua-nginx-module replaces coroutine.wrap: an error in the wrapped coroutine is not raised
// again in the caller with the caller's position (as plain LuaJIT does) but ends the light
// thread that called it, with the coroutine's own message, and the abort log's traceback
// lists the dead coroutines' frames ("coroutine 0:", "coroutine 1:", ...). The host decides
// through a WrapErrorHook; without one coroutine.wrap is plain LuaJIT's.

// WrapErrorHook is told of an error that ended a coroutine.wrap coroutine: L is the caller,
// v the error value (LuaJIT's words), frames the coroutine's frames as a traceback lists
// them ("\n\t..." lines) at the moment it failed. True: the host takes the error over, and
// the wrap function raises v as it is.
type WrapErrorHook func(L *lua.LState, v lua.LValue, frames string) bool

const (
	wrapHookKey = "luaws.luajit.wraphook"
	coFramesKey = "luaws.luajit.coframes"
)

// SetWrapErrorHook installs hook for L's coroutine.wrap functions (nil: none).
func SetWrapErrorHook(L *lua.LState, hook WrapErrorHook) {
	if hook == nil {
		L.G.Registry.RawSetString(wrapHookKey, lua.LNil)
		return
	}
	ud := L.NewUserData()
	ud.Value = hook
	L.G.Registry.RawSetString(wrapHookKey, ud)
}

func wrapHook(L *lua.LState) WrapErrorHook {
	if ud, ok := L.G.Registry.RawGetString(wrapHookKey).(*lua.LUserData); ok {
		h, _ := ud.Value.(WrapErrorHook)
		return h
	}
	return nil
}

// stashFrames keeps the frames of a coroutine failing now (its stack is gone once the
// error has left it), for the wrap function that resumed it; only with a hook installed.
func stashFrames(th *lua.LState) {
	if wrapHook(th) == nil {
		return
	}
	reg := th.G.Registry
	t, ok := reg.RawGetString(coFramesKey).(*lua.LTable)
	if !ok {
		t = th.NewTable()
		reg.RawSetString(coFramesKey, t)
	}
	t.RawSet(th, lua.LString(traceFrames(th, 0)))
}

// takeFrames returns and forgets what stashFrames kept for co.
func takeFrames(L *lua.LState, co lua.LValue) string {
	t, ok := L.G.Registry.RawGetString(coFramesKey).(*lua.LTable)
	if !ok || co == lua.LNil {
		return ""
	}
	s, _ := t.RawGet(co).(lua.LString)
	t.RawSet(co, lua.LNil)
	return string(s)
}
