package luajit

import (
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// baseError is LuaJIT's error(message [, level]): the position is that of the function at
// level, and none when that function is not a Lua function (pcall(error, "m") gives "m"); a
// missing message is a nil error value.
func baseError(L *lua.LState) int {
	obj := L.Get(1)
	level := L.OptInt(2, 1)
	if s, ok := obj.(lua.LString); ok && level > 0 {
		if dbg, ok := L.GetStack(level); ok {
			if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.CurrentLine > 0 && dbg.What != "G" {
				obj = lua.LString(dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": " + string(s))
			}
		}
	}
	L.Error(obj, 0)
	return 0
}

// coroutineResume words gopher-lua's refusals to resume as LuaJIT does, then resumes.
func coroutineResume(orig lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		if th, ok := L.Get(1).(*lua.LState); ok {
			msg := ""
			if L.G.CurrentThread == th {
				msg = "cannot resume running coroutine"
			} else if L.Status(th) == "dead" {
				msg = "cannot resume dead coroutine"
			}
			if msg != "" {
				L.Push(lua.LFalse)
				L.Push(lua.LString(msg))
				return 2
			}
		}
		return orig(L)
	}
}
