package luajit

import (
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// LuaJIT 2.1's string functions where gopher-lua's differ: find, match, gmatch and gsub
// with the matcher of pattern.go (nil when nothing matches, %f, LuaJIT's errors), and
// byte, char, sub, len, upper, lower, reverse with LuaJIT's argument checks (numbers and
// numeric strings accepted alike) and texts.

var strFuncs = map[string]lua.LGFunction{
	"find":    strFind,
	"match":   strMatch,
	"gmatch":  strGmatch,
	"gsub":    strGsub,
	"byte":    strByte,
	"char":    strChar,
	"sub":     strSub,
	"len":     strLen,
	"upper":   strUpper,
	"lower":   strLower,
	"reverse": strReverse,
}

// checkInt is lj_lib_checkint: a number or numeric string, truncated to an integer.
func checkInt(L *lua.LState, n int) int {
	f := checkNum(L, n)
	if f != f || f >= math.MaxInt32+1.0 || f < math.MinInt32 {
		return int(int32(int64(f))) // wraps as LuaJIT's 32-bit conversion does
	}
	return int(f)
}

// optInt is lj_lib_optint: def when the argument is absent or nil.
func optInt(L *lua.LState, n, def int) int {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkInt(L, n)
}

// posRelat turns a negative string position into one from the start (Lua 5.1's posrelat).
func posRelat(pos, n int) int {
	if pos >= 0 {
		return pos
	}
	if -pos > n {
		return 0
	}
	return n + pos + 1
}

// withPattern runs f, turning a malformed pattern into LuaJIT's error.
func withPattern(L *lua.LState, f func() int) (n int) {
	defer func() {
		if p := recover(); p != nil {
			if msg, ok := p.(patternError); ok {
				raise(L, string(msg))
				return
			}
			panic(p)
		}
	}()
	return f()
}

// pushCaptures pushes the captures of a match of src[s:e] (the whole match with none, when
// whole); it returns how many.
func pushCaptures(L *lua.LState, ms *matchState, s, e int, whole bool) int {
	n := ms.level
	if n == 0 && whole {
		n = 1
	}
	for i := 0; i < n; i++ {
		str, pos, isPos := ms.captureValue(i, s, e)
		if isPos {
			L.Push(lua.LNumber(pos))
		} else {
			L.Push(lua.LString(str))
		}
	}
	return n
}

func strFind(L *lua.LState) int  { return strFindAux(L, true) }
func strMatch(L *lua.LState) int { return strFindAux(L, false) }

func strFindAux(L *lua.LState, find bool) int {
	s := checkString(L, 1)
	p := checkString(L, 2)
	init := posRelat(optInt(L, 3, 1), len(s)) - 1
	if init < 0 {
		init = 0
	} else if init > len(s) {
		init = len(s)
	}
	if find && (lua.LVAsBool(L.Get(4)) || !hasSpecials(p)) {
		if i := strings.Index(s[init:], p); i >= 0 {
			L.Push(lua.LNumber(init + i + 1))
			L.Push(lua.LNumber(init + i + len(p)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	return withPattern(L, func() int {
		ms := &matchState{src: s, pat: p}
		pi := 0
		anchor := len(p) > 0 && p[0] == '^'
		if anchor {
			pi = 1
		}
		for si := init; ; si++ {
			ms.level = 0
			if e := doMatch(ms, si, pi); e != -1 {
				if find {
					L.Push(lua.LNumber(si + 1))
					L.Push(lua.LNumber(e))
					return pushCaptures(L, ms, -1, -1, false) + 2
				}
				return pushCaptures(L, ms, si, e, true)
			}
			if anchor || si >= len(s) {
				break
			}
		}
		L.Push(lua.LNil)
		return 1
	})
}

func strGmatch(L *lua.LState) int {
	s := checkString(L, 1)
	p := checkString(L, 2)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		return withPattern(L, func() int {
			ms := &matchState{src: s, pat: p}
			for si := pos; si <= len(s); si++ {
				ms.level = 0
				if e := doMatch(ms, si, 0); e != -1 {
					pos = e
					if e == si {
						pos = e + 1 // an empty match: go on after it
					}
					return pushCaptures(L, ms, si, e, true)
				}
			}
			pos = len(s) + 1
			return 0
		})
	}))
	return 1
}

func strGsub(L *lua.LState) int {
	src := checkString(L, 1)
	p := checkString(L, 2)
	repl := L.Get(3)
	switch repl.(type) {
	case lua.LString, lua.LNumber, *lua.LTable, *lua.LFunction:
	default:
		argError(L, 3, "string/function/table expected")
	}
	maxN := optInt(L, 4, len(src)+1)
	return withPattern(L, func() int {
		anchor := len(p) > 0 && p[0] == '^'
		pi := 0
		if anchor {
			pi = 1
		}
		ms := &matchState{src: src, pat: p}
		var b strings.Builder
		si, n := 0, 0
		for n < maxN {
			ms.level = 0
			e := doMatch(ms, si, pi)
			if e != -1 {
				n++
				addValue(L, ms, &b, si, e, repl)
			}
			if e != -1 && e > si {
				si = e
			} else if si < len(src) {
				b.WriteByte(src[si])
				si++
			} else {
				break
			}
			if anchor {
				break
			}
		}
		b.WriteString(src[si:])
		L.Push(lua.LString(b.String()))
		L.Push(lua.LNumber(n))
		return 2
	})
}

// addValue appends the replacement of the match src[s:e].
func addValue(L *lua.LState, ms *matchState, b *strings.Builder, s, e int, repl lua.LValue) {
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LString, lua.LNumber:
		rs := lua.LVAsString(r)
		if n, ok := r.(lua.LNumber); ok {
			rs = FormatNumber(float64(n))
		}
		for i := 0; i < len(rs); i++ {
			c := rs[i]
			if c != '%' || i+1 >= len(rs) {
				b.WriteByte(c)
				continue
			}
			i++
			c = rs[i]
			switch {
			case c == '0':
				b.WriteString(ms.src[s:e])
			case isdigitc(c):
				str, pos, isPos := ms.captureValue(int(c-'1'), s, e)
				if isPos {
					b.WriteString(FormatNumber(float64(pos)))
				} else {
					b.WriteString(str)
				}
			default:
				b.WriteByte(c)
			}
		}
		return
	case *lua.LTable:
		str, pos, isPos := ms.captureValue(0, s, e)
		var key lua.LValue = lua.LString(str)
		if isPos {
			key = lua.LNumber(pos)
		}
		v = L.GetTable(r, key)
	case *lua.LFunction:
		top := L.GetTop()
		L.Push(r)
		n := pushCaptures(L, ms, s, e, true)
		L.Call(n, 1)
		v = L.Get(-1)
		L.SetTop(top)
	}
	switch x := v.(type) {
	case *lua.LNilType:
		b.WriteString(ms.src[s:e])
	case lua.LBool:
		if !x {
			b.WriteString(ms.src[s:e])
		} else {
			raise(L, "invalid replacement value (a boolean)")
		}
	case lua.LString:
		b.WriteString(string(x))
	case lua.LNumber:
		b.WriteString(FormatNumber(float64(x)))
	default:
		raise(L, "invalid replacement value (a "+v.Type().String()+")")
	}
}

func strByte(L *lua.LState) int {
	s := checkString(L, 1)
	start := posRelat(optInt(L, 2, 1), len(s))
	end := posRelat(optInt(L, 3, start), len(s))
	if start <= 0 {
		start = 1
	}
	if end > len(s) {
		end = len(s)
	}
	if start > end {
		return 0
	}
	for i := start; i <= end; i++ {
		L.Push(lua.LNumber(s[i-1]))
	}
	return end - start + 1
}

func strChar(L *lua.LState) int {
	n := L.GetTop()
	b := make([]byte, n)
	for i := 1; i <= n; i++ {
		c := checkInt(L, i)
		if c < 0 || c > 255 {
			argError(L, i, "invalid value")
		}
		b[i-1] = byte(c)
	}
	L.Push(lua.LString(b))
	return 1
}

func strSub(L *lua.LState) int {
	s := checkString(L, 1)
	start := posRelat(checkInt(L, 2), len(s))
	end := posRelat(optInt(L, 3, -1), len(s))
	if start < 1 {
		start = 1
	}
	if end > len(s) {
		end = len(s)
	}
	if start > end {
		L.Push(lua.LString(""))
	} else {
		L.Push(lua.LString(s[start-1 : end]))
	}
	return 1
}

func strLen(L *lua.LState) int {
	L.Push(lua.LNumber(len(checkString(L, 1))))
	return 1
}

func strUpper(L *lua.LState) int {
	s := []byte(checkString(L, 1))
	for i, c := range s {
		if islower(c) {
			s[i] = c - 32
		}
	}
	L.Push(lua.LString(s))
	return 1
}

func strLower(L *lua.LState) int {
	s := []byte(checkString(L, 1))
	for i, c := range s {
		if isupper(c) {
			s[i] = c + 32
		}
	}
	L.Push(lua.LString(s))
	return 1
}

func strReverse(L *lua.LState) int {
	s := []byte(checkString(L, 1))
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	L.Push(lua.LString(s))
	return 1
}
