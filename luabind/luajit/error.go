package luajit

import (
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// baseError is LuaJIT's error(msg, level): a string message gets the position of the
// function at that level (1: the caller of error, 2: its caller, ...), and nothing when
// that function is not a Lua one. gopher-lua skips Go frames and names the next Lua
// function instead, so error("bad argument", 2) called through pcall(f) carried f's own
// position where LuaJIT gives the bare message (lua-resty-redis's argument errors).
func baseError(L *lua.LState) int {
	msg := L.Get(1)
	level := L.OptInt(2, 1)
	if s, ok := msg.(lua.LString); ok && level > 0 {
		msg = lua.LString(where(L, level) + string(s))
	}
	L.Error(msg, 0)
	return 0
}

// where returns "source:line: " for the function level frames up (0: the running Go
// function), or "" when that frame is a Go function or does not exist.
func where(L *lua.LState, level int) string {
	dbg, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.CurrentLine < 0 {
		return ""
	}
	return dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": "
}
