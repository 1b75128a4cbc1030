package luajit

import (
	"math"
	"reflect"

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

// baseAssert is LuaJIT's assert: with one argument a false value raises "assertion
// failed!", with a string or number message that message (both with the caller's position
// when the caller is Lua code), and with any other message that value untouched.
func baseAssert(L *lua.LState) int {
	top := L.GetTop()
	if top == 0 {
		argError(L, 1, "value expected")
	}
	if lua.LVAsBool(L.Get(1)) {
		return top
	}
	if top == 1 {
		raise(L, "assertion failed!")
	}
	switch m := L.Get(2).(type) {
	case lua.LString:
		raise(L, string(m))
	case lua.LNumber:
		raise(L, FormatNumber(float64(m)))
	default:
		L.Error(m, 0)
	}
	return 0
}

// baseNext is next(t [, k]) raising LuaJIT's "invalid key to 'next'" for a key that is
// not in the table (gopher-lua returns an arbitrary entry or nothing). A key whose value
// was set to nil during the traversal stays valid, as in LuaJIT.
func baseNext(L *lua.LState) int {
	tb := checkTable(L, 1)
	key := L.Get(2)
	if key != lua.LNil && tb.RawGet(key) == lua.LNil && !hasKeySlot(tb, key) {
		L.Error(lua.LString("invalid key to 'next'"), 0) // LuaJIT adds no position

	}
	k, v := tb.Next(key)
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

// hasKeySlot reports whether key has a slot in tb although its value is nil: an index
// of the array part, or a key the hash part has held (gopher-lua keeps a removed key's
// slot, which Next goes on from). The table's parts are not exported; this runs only for
// a key whose value is nil.
func hasKeySlot(tb *lua.LTable, key lua.LValue) bool {
	v := reflect.ValueOf(tb).Elem()
	if n, ok := key.(lua.LNumber); ok {
		if arr := v.FieldByName("array"); arr.IsValid() && float64(n) >= 1 && float64(n) <= float64(arr.Len()) && float64(n) == math.Floor(float64(n)) {
			return true
		}
	}
	k2i := v.FieldByName("k2i")
	if !k2i.IsValid() || k2i.IsNil() {
		return false
	}
	return k2i.MapIndex(reflect.ValueOf(&key).Elem()).IsValid()
}
