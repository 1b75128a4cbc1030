package luajit

import (
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// tabConcat is LuaJIT 2.1's table.concat(t [, sep [, i [, j]]]): numbers formatted as LuaJIT
// does, LuaJIT's error for an element that is not a string or number, and the result's
// length checked against LuaJIT's limit (and the state's memory cap) before it is built.
func tabConcat(L *lua.LState) int {
	t := checkTable(L, 1)
	sep := ""
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		sep = checkString(L, 2)
	}
	i := int64(1)
	if L.GetTop() >= 3 && L.Get(3) != lua.LNil {
		i = int64(checkInt32(L, 3))
	}
	j := int64(t.Len())
	if L.GetTop() >= 4 && L.Get(4) != lua.LNil {
		j = int64(checkInt32(L, 4))
	}
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	parts := make([]string, 0, min(j-i+1, 1<<16))
	total := int64(len(sep)) * (j - i)
	for k := i; k <= j; k++ {
		var s string
		switch v := t.RawGetInt(int(k)).(type) {
		case lua.LString:
			s = string(v)
		case lua.LNumber:
			s = FormatNumber(float64(v))
		default:
			raise(L, "invalid value ("+t.RawGetInt(int(k)).Type().String()+") at index "+strconv.FormatInt(k, 10)+" in table for 'concat'")
		}
		total += int64(len(s))
		CheckBufLen(L, total)
		parts = append(parts, s)
	}
	b := make([]byte, 0, total)
	for n, s := range parts {
		if n > 0 {
			b = append(b, sep...)
		}
		b = append(b, s...)
	}
	L.Push(lua.LString(b))
	return 1
}
