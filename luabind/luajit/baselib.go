package luajit

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// Base functions of LuaJIT 2.1 that gopher-lua lacks or checks differently.

func baseGcinfo(L *lua.LState) int {
	L.Push(lua.LNumber(math.Floor(heapKiB())))
	return 1
}

func baseSetmetatable(L *lua.LState) int {
	t := checkTable(L, 1)
	mt := L.Get(2)
	switch mt.(type) {
	case *lua.LNilType, *lua.LTable:
	default:
		argError(L, 2, "nil or table expected")
	}
	if cur, ok := t.Metatable.(*lua.LTable); ok && cur.RawGetString("__metatable") != lua.LNil {
		raise(L, "cannot change a protected metatable")
	}
	t.Metatable = mt
	L.Push(t)
	return 1
}

func baseGetmetatable(L *lua.LState) int {
	if L.GetTop() < 1 {
		argError(L, 1, "value expected")
	}
	mt := L.GetMetatable(L.Get(1))
	if t, ok := mt.(*lua.LTable); ok {
		if p := t.RawGetString("__metatable"); p != lua.LNil {
			L.Push(p)
			return 1
		}
	}
	L.Push(mt)
	return 1
}
