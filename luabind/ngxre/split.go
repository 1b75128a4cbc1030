package ngxre

import (
	lua "github.com/yuin/gopher-lua"
)

// splitHelper runs one search for split from ctxPos (0-based); it returns 1-based from and
// to (to is one past the match, as lua-resty-core's helper), the first capture if any, and
// the new 0-based position.
func splitHelper(re *Regex, sj *subject, pos int) (from, to int, capture *string, next int, err error) {
	if pos < 0 {
		pos = 0
	}
	caps, err := re.exec(sj, pos, nil)
	if err != nil || caps == nil {
		return 0, 0, nil, pos, err
	}
	f, t := caps[0], caps[1]
	if f == t {
		next = t + 1
	} else {
		next = t
	}
	if re.NumCaptures() > 0 && caps[2] >= 0 {
		c := sj.s[caps[2]:caps[3]]
		capture = &c
	}
	return f + 1, t + 1, capture, next, nil
}

// reSplit is ngx.re.split(subj, regex, opts?, ctx?, max?, res?) from lua-resty-core's
// ngx.re module.
func reSplit(L *lua.LState) int {
	subj := argSubject(L, 1)
	ctx := optTable(L, 4)
	pos := 1
	if ctx != nil {
		switch p := ctx.RawGetString("pos").(type) {
		case lua.LNumber:
			pos = int(p)
		case *lua.LNilType:
			ctx.RawSetString("pos", lua.LNumber(1))
		default:
			L.RaiseError("attempt to compare %s with number", typeName(p))
		}
	}
	max := 0
	switch m := L.Get(5).(type) {
	case *lua.LNilType:
	case lua.LNumber:
		max = int(m)
	default:
		L.RaiseError("attempt to compare number with %s", typeName(m))
	}
	var res *lua.LTable
	switch r := L.Get(6).(type) {
	case *lua.LNilType:
		res = L.CreateTable(4, 0)
	case *lua.LTable:
		res = r
	default:
		L.RaiseError("res is not a table")
	}
	slen := len(subj)
	if pos > slen {
		res.RawSetInt(1, lua.LNil)
		L.Push(res)
		return 1
	}
	re, err := compileArgs(L, 2, 3)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	sj, err := newSubject(subj, re.flags)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	sub := func(i, j int) lua.LString { // string.sub(subj, i, j) for 1 <= i
		if j > slen {
			j = slen
		}
		if i < 1 {
			i = 1
		}
		if i > j {
			return ""
		}
		return lua.LString(subj[i-1 : j])
	}
	subIdx := pos
	resIdx := 0
	lastEmpty := 0 // 0: none
	cpos := subIdx - 1
	count := 1
	for max <= 0 || count < max {
		from, to, capture, next, err := splitHelper(re, sj, cpos)
		if err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
		if from == 0 {
			break
		}
		cpos = next
		if lastEmpty != 0 {
			subIdx = lastEmpty
		}
		if from == to {
			lastEmpty = from
		}
		if from > subIdx || lastEmpty == 0 {
			count++
			resIdx++
			res.RawSetInt(resIdx, sub(subIdx, from-1))
			if capture != nil {
				resIdx++
				res.RawSetInt(resIdx, lua.LString(*capture))
			}
			subIdx = to
			if subIdx > slen {
				break
			}
		}
	}
	if ctx != nil {
		ctx.RawSetString("pos", lua.LNumber(cpos))
	}
	if max <= 0 && subIdx > slen {
		for i := resIdx; i >= 1; i-- {
			if s, ok := res.RawGetInt(i).(lua.LString); !ok || s != "" {
				resIdx = i
				break
			}
			res.RawSetInt(i, lua.LNil)
		}
		// when every piece was empty, lua-resty-core leaves res_idx where it was
	} else {
		resIdx++
		res.RawSetInt(resIdx, sub(subIdx, slen))
	}
	res.RawSetInt(resIdx+1, lua.LNil)
	L.Push(res)
	return 1
}
