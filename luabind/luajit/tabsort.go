package luajit

import lua "github.com/yuin/gopher-lua"

// tabSort is table.sort(t, comp?) as LuaJIT 2.1 has it: it sorts t[1..#t] (the border
// LuaJIT's # gives, not gopher-lua's array part, which may end in nils), with Lua 5.1's
// quicksort (median of three, pivot parked at u-1), so that elements the order calls
// equal come out where LuaJIT puts them, and it raises "invalid order function for
// sorting" where LuaJIT does. Elements are read and written raw, as lua_rawgeti/rawseti.
func tabSort(L *lua.LState) int {
	t := checkTable(L, 1)
	var comp *lua.LFunction
	switch f := L.Get(2).(type) {
	case *lua.LNilType:
	case *lua.LFunction:
		comp = f
	default:
		typeError(L, 2, "function")
	}
	s := &sorter{L: L, t: t, comp: comp}
	s.sort(1, t.Len())
	return 0
}

type sorter struct {
	L    *lua.LState
	t    *lua.LTable
	comp *lua.LFunction
}

func (s *sorter) get(i int) lua.LValue { return s.t.RawGetInt(i) }

func (s *sorter) swap(i, j int) {
	a, b := s.get(i), s.get(j)
	s.t.RawSetInt(i, b)
	s.t.RawSetInt(j, a)
}

// less is the order: comp(a, b) when given, else a < b with Lua's rules and metamethods.
func (s *sorter) less(a, b lua.LValue) bool {
	if s.comp == nil {
		return s.lessThan(a, b)
	}
	s.L.Push(s.comp)
	s.L.Push(a)
	s.L.Push(b)
	s.L.Call(2, 1)
	r := s.L.Get(-1)
	s.L.Pop(1)
	return lua.LVAsBool(r)
}

func (s *sorter) sort(l, u int) {
	for l < u {
		// order t[l], t[mid], t[u]
		if s.less(s.get(u), s.get(l)) {
			s.swap(l, u)
		}
		if u-l == 1 {
			return
		}
		mid := (l + u) / 2
		if s.less(s.get(mid), s.get(l)) {
			s.swap(mid, l)
		} else if s.less(s.get(u), s.get(mid)) {
			s.swap(mid, u)
		}
		if u-l == 2 {
			return
		}
		pivot := s.get(mid)
		s.swap(mid, u-1) // t[l] <= pivot == t[u-1] <= t[u]: partition l+1 .. u-2
		i, j := l, u-1
		for {
			for i++; s.less(s.get(i), pivot); i++ {
				if i > u {
					raise(s.L, "invalid order function for sorting")
				}
			}
			for j--; s.less(pivot, s.get(j)); j-- {
				if j < l {
					raise(s.L, "invalid order function for sorting")
				}
			}
			if j < i {
				break
			}
			s.swap(i, j)
		}
		s.swap(u-1, i)
		// recurse into the smaller part, loop on the larger one
		if i-l < u-i {
			s.sort(l, i-1)
			l = i + 1
		} else {
			s.sort(i+1, u)
			u = i - 1
		}
	}
}

// lessThan is Lua's a < b, with the error LuaJIT raises from inside a built-in (no position).
func (s *sorter) lessThan(a, b lua.LValue) bool {
	switch x := a.(type) {
	case lua.LNumber:
		if y, ok := b.(lua.LNumber); ok {
			return x < y
		}
	case lua.LString:
		if y, ok := b.(lua.LString); ok {
			return x < y
		}
	}
	if a.Type() == b.Type() {
		if mt := s.L.GetMetaField(a, "__lt"); mt != lua.LNil && s.L.GetMetaField(b, "__lt") == mt {
			s.L.Push(mt)
			s.L.Push(a)
			s.L.Push(b)
			s.L.Call(2, 1)
			r := s.L.Get(-1)
			s.L.Pop(1)
			return lua.LVAsBool(r)
		}
		raiseBare(s.L, "attempt to compare two "+a.Type().String()+" values")
	}
	raiseBare(s.L, "attempt to compare "+a.Type().String()+" with "+b.Type().String())
	return false
}
