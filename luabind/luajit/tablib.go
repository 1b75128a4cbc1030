package luajit

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// LuaJIT 2.1's table functions where gopher-lua's differ: insert (argument count checked),
// remove (nothing returned for an empty table or a position outside 1..#t), concat
// (LuaJIT's number format and error), OpenResty's move, and foreach/foreachi.

var tabLibFuncs = map[string]lua.LGFunction{
	"insert":   tabInsert,
	"remove":   tabRemove,
	"concat":   tabConcat,
	"move":     tabMove,
	"foreach":  tabForeach,
	"foreachi": tabForeachi,
	"getn":     tabGetn,
	"sort":     tabSort,
}

func tabGetn(L *lua.LState) int {
	L.Push(lua.LNumber(checkTable(L, 1).Len()))
	return 1
}

func tabInsert(L *lua.LState) int {
	t := checkTable(L, 1)
	i := t.Len() + 1
	switch L.GetTop() {
	case 2:
	case 3:
		n := checkInt(L, 2)
		for ; i > n; i-- {
			t.RawSetInt(i, t.RawGetInt(i-1))
		}
		i = n
	default:
		raise(L, "wrong number of arguments to 'insert'")
	}
	t.RawSetInt(i, L.Get(L.GetTop()))
	return 0
}

func tabRemove(L *lua.LState) int {
	t := checkTable(L, 1)
	n := t.Len()
	if L.Get(2) == lua.LNil {
		if n == 0 {
			return 0
		}
		L.Push(L.GetTable(t, lua.LNumber(n)))
		L.SetTable(t, lua.LNumber(n), lua.LNil)
		return 1
	}
	pos := checkInt(L, 2)
	if pos < 1 || pos > n {
		return 0
	}
	old := L.GetTable(t, lua.LNumber(pos))
	for i := pos + 1; i <= n; i++ {
		L.SetTable(t, lua.LNumber(i-1), L.GetTable(t, lua.LNumber(i)))
	}
	L.SetTable(t, lua.LNumber(n), lua.LNil)
	L.Push(old)
	return 1
}

func tabConcat(L *lua.LState) int {
	t := checkTable(L, 1)
	sep := ""
	if L.Get(2) != lua.LNil {
		sep = checkString(L, 2)
	}
	i := optInt(L, 3, 1)
	j := 0
	if L.Get(4) == lua.LNil {
		j = t.Len()
	} else {
		j = checkInt(L, 4)
	}
	// The length is summed first, so that a result over LuaJIT's limit (or the state's memory
	// cap) fails before anything is allocated, at the element where LuaJIT's buffer would.
	var n int64
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			n += int64(len(v))
		case lua.LNumber:
			n += int64(len(FormatNumber(float64(v))))
		default:
			raise(L, "invalid value ("+v.Type().String()+") at index "+itoa(k)+" in table for 'concat'")
		}
		CheckBufLen(L, n)
		if k < j {
			n += int64(len(sep))
			CheckBufLen(L, n)
		}
		if k == j {
			break // j may be math.MaxInt
		}
	}
	var b strings.Builder
	b.Grow(int(n))
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			b.WriteString(string(v))
		case lua.LNumber:
			b.WriteString(FormatNumber(float64(v)))
		}
		if k < j {
			b.WriteString(sep)
		}
		if k == j {
			break
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// tabMove is table.move(a1, f, e, t [, a2]) as OpenResty's LuaJIT has it.
func tabMove(L *lua.LState) int {
	a1 := checkTable(L, 1)
	f, e, t := checkInt(L, 2), checkInt(L, 3), checkInt(L, 4)
	a2 := a1
	if L.Get(5) != lua.LNil {
		a2 = checkTable(L, 5)
	}
	if e >= f {
		d := t - f
		if t > e || t <= f || a1 != a2 {
			for i := f; i <= e; i++ {
				L.SetTable(a2, lua.LNumber(i+d), L.GetTable(a1, lua.LNumber(i)))
			}
		} else {
			for i := e; i >= f; i-- {
				L.SetTable(a2, lua.LNumber(i+d), L.GetTable(a1, lua.LNumber(i)))
			}
		}
	}
	L.Push(a2)
	return 1
}

func tabForeachi(L *lua.LState) int {
	t := checkTable(L, 1)
	fn := L.Get(2)
	if _, ok := fn.(*lua.LFunction); !ok {
		typeError(L, 2, "function")
	}
	n := t.Len()
	for i := 1; i <= n; i++ {
		L.Push(fn)
		L.Push(lua.LNumber(i))
		L.Push(t.RawGetInt(i))
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

func tabForeach(L *lua.LState) int {
	t := checkTable(L, 1)
	fn := L.Get(2)
	if _, ok := fn.(*lua.LFunction); !ok {
		typeError(L, 2, "function")
	}
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		L.Push(fn)
		L.Push(k)
		L.Push(v)
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}
