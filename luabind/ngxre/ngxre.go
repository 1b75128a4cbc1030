// Package ngxre implements OpenResty's ngx.re API (lua-nginx-module with lua-resty-core:
// match, find, gmatch, sub, gsub, and the "ngx.re" module's split and opt) for gopher-lua,
// on github.com/dlclark/regexp2.
//
// Results follow lua-resty-core 0.1.25 on lua-nginx-module 0.10.23 built with PCRE 8.x
// (Debian bookworm): byte offsets, captures as strings or false, named captures, the "D"
// option's arrays, ctx.pos in and out, and the same error strings
// (`pcre_compile() failed: missing ) in "("`, `unknown flag "z" (flags "z")`,
// `failed to compile the replacement template`, `pcre_exec() failed: -10`).
//
// Subjects are bytes. Without "u" every byte is one character (bytes >= 0x80 match as the
// Latin-1 characters of the same value); with "u" or "U" the subject is UTF-8 and offsets
// are converted between characters and bytes. See translate.go for the PCRE constructs
// that are mapped onto the engine and README.md for what differs from PCRE.
package ngxre

import (
	"errors"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Register sets ngx.re = {match, find, gmatch, sub, gsub, opt} on the given ngx table.
// logErr, when not nil, gets the error-log lines lua-nginx-module writes at level "error"
// outside of any request context (why a sub/gsub replacement template did not compile).
func Register(L *lua.LState, ngx *lua.LTable, logErr func(msg string)) {
	t := L.NewTable()
	L.SetFuncs(t, reFuncs)
	if logErr != nil {
		L.SetFuncs(t, map[string]lua.LGFunction{
			"sub":  func(L *lua.LState) int { return subHelper(L, false, logErr) },
			"gsub": func(L *lua.LState) int { return subHelper(L, true, logErr) },
		})
	}
	L.SetField(ngx, "re", t)
}

// Preload registers package.preload["ngx.re"] (lua-resty-core's module: split, opt).
func Preload(L *lua.LState) {
	L.PreloadModule("ngx.re", func(L *lua.LState) int {
		t := L.NewTable()
		L.SetFuncs(t, moduleFuncs)
		L.SetField(t, "version", lua.LString("0.1.25"))
		L.Push(t)
		return 1
	})
}

var reFuncs = map[string]lua.LGFunction{
	"match":  reMatch,
	"find":   reFind,
	"gmatch": reGmatch,
	"sub":    reSub,
	"gsub":   reGsub,
	"opt":    reOpt,
}

var moduleFuncs = map[string]lua.LGFunction{
	"split": reSplit,
	"opt":   reOpt,
}

// typeName is LuaJIT's name of a value's type, for error messages.
func typeName(v lua.LValue) string { return v.Type().String() }

// argRegex reads the pattern argument: lua-resty-core takes #regex, so only strings work.
func argRegex(L *lua.LState, n int) string {
	v := L.Get(n)
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	L.RaiseError("attempt to get length of local 'regex' (a %s value)", typeName(v))
	return ""
}

// argFlags reads and parses the options argument (nil, or a string; a table reads as "" as
// it does under LuaJIT, anything else fails on #opts).
func argFlags(L *lua.LState, n int) Flags {
	v := L.Get(n)
	var opts string
	switch o := v.(type) {
	case *lua.LNilType:
	case lua.LString:
		opts = string(o)
	case *lua.LTable:
	default:
		L.RaiseError("attempt to get length of local 'opts' (a %s value)", typeName(v))
	}
	f, err := ParseFlags(opts)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	return f
}

// argSubject is tostring(subj).
func argSubject(L *lua.LState, n int) string {
	v := L.Get(n)
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	return L.ToStringMeta(v).String()
}

// ctxPos reads ctx.pos as lua-resty-core does: nil or <= 0 means the start; it returns the
// 0-based byte offset.
func ctxPos(L *lua.LState, ctx *lua.LTable) int {
	if ctx == nil {
		return 0
	}
	v := ctx.RawGetString("pos")
	switch p := v.(type) {
	case *lua.LNilType:
		return 0
	case lua.LNumber:
		if p <= 0 {
			return 0
		}
		return int(p) - 1
	default:
		L.RaiseError("attempt to compare %s with number", typeName(v))
	}
	return 0
}

func optTable(L *lua.LState, n int) *lua.LTable {
	if t, ok := L.Get(n).(*lua.LTable); ok {
		return t
	}
	return nil
}

// captures builds (or refills) the match table from byte offsets.
func (r *Regex) captures(L *lua.LState, s string, caps []int, res *lua.LTable) *lua.LTable {
	n := len(caps)/2 - 1
	if res == nil {
		res = L.CreateTable(n, len(r.names))
	}
	for i := 0; i <= n; i++ {
		if caps[2*i] >= 0 {
			res.RawSetInt(i, lua.LString(s[caps[2*i]:caps[2*i+1]]))
		} else {
			res.RawSetInt(i, lua.LFalse)
		}
	}
	if n == 0 && r.flags.DFA {
		return res
	}
	if r.dupnames {
		var cur *lua.LTable
		curName := ""
		for _, nm := range r.names {
			v := res.RawGetInt(nm.num)
			if nm.name != curName {
				curName, cur = nm.name, nil
			}
			if v == lua.LNil || v == lua.LFalse {
				continue
			}
			if cur == nil {
				cur = L.CreateTable(2, 0)
				res.RawSetString(nm.name, cur)
			}
			cur.Append(v)
		}
		return res
	}
	for _, nm := range r.names {
		res.RawSetString(nm.name, res.RawGetInt(nm.num))
	}
	return res
}

// compileArgs gets the compiled pattern for (regex, opts) at argument positions rn, on.
func compileArgs(L *lua.LState, rn, on int) (*Regex, error) {
	pat := argRegex(L, rn)
	f := argFlags(L, on)
	return SharedCache.Get(pat, f)
}

func reMatch(L *lua.LState) int {
	subj := argSubject(L, 1)
	re, err := compileArgs(L, 2, 3)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	ctx := optTable(L, 4)
	pos := ctxPos(L, ctx)
	sj, err := newSubject(subj, re.flags)
	var caps []int
	if err == nil {
		caps, err = re.exec(sj, pos, nil)
		sj.release()
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	if caps == nil {
		L.Push(lua.LNil)
		return 1
	}
	if ctx != nil {
		ctx.RawSetString("pos", lua.LNumber(caps[1]+1))
	}
	L.Push(re.captures(L, subj, caps, optTable(L, 5)))
	return 1
}

func reFind(L *lua.LState) int {
	subj := argSubject(L, 1)
	re, err := compileArgs(L, 2, 3)
	fail := func(msg string) int {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 3
	}
	if err != nil {
		return fail(err.Error())
	}
	ctx := optTable(L, 4)
	pos := ctxPos(L, ctx)
	sj, err := newSubject(subj, re.flags)
	var caps []int
	if err == nil {
		caps, err = re.exec(sj, pos, nil)
		sj.release()
	}
	if err != nil {
		return fail(err.Error())
	}
	if caps == nil {
		L.Push(lua.LNil)
		return 1
	}
	if ctx != nil {
		ctx.RawSetString("pos", lua.LNumber(caps[1]+1))
	}
	nth := 0
	switch v := L.Get(5).(type) {
	case *lua.LNilType:
	case lua.LNumber:
		if v > 0 {
			nth = int(v)
		}
	default:
		L.RaiseError("attempt to compare %s with number", typeName(v))
	}
	if nth > re.NumCaptures() {
		return fail("nth out of bound")
	}
	from, to := caps[2*nth], caps[2*nth+1]
	if from < 0 || to < 0 {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		return 2
	}
	L.Push(lua.LNumber(from + 1))
	L.Push(lua.LNumber(to))
	return 2
}

// gmatchIter is the state of one ngx.re.gmatch iterator.
type gmatchIter struct {
	re   *Regex
	subj string
	sj   *subject
	err  error
	pos  int
	done bool
}

func (it *gmatchIter) next(L *lua.LState) int {
	if it.done {
		L.Push(lua.LNil)
		return 1
	}
	var caps []int
	err := it.err
	if err == nil {
		caps, err = it.re.exec(it.sj, it.pos, nil)
	}
	if err != nil {
		it.done = true
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	if caps == nil {
		it.done = true
		L.Push(lua.LNil)
		return 1
	}
	next := caps[1]
	if next == caps[0] {
		next++
		if next > len(it.subj) {
			it.done = true
		}
	}
	it.pos = next
	L.Push(it.re.captures(L, it.subj, caps, nil))
	return 1
}

// reGmatch returns, like lua-resty-core, a callable table.
func reGmatch(L *lua.LState) int {
	subj := argSubject(L, 1)
	re, err := compileArgs(L, 2, 3)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	it := &gmatchIter{re: re, subj: subj}
	it.sj, it.err = newSubject(subj, re.flags)
	mt := L.CreateTable(0, 1)
	mt.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		return it.next(L)
	}))
	t := L.CreateTable(0, 0)
	L.SetMetatable(t, mt)
	L.Push(t)
	return 1
}

func reSub(L *lua.LState) int  { return subHelper(L, false, nil) }
func reGsub(L *lua.LState) int { return subHelper(L, true, nil) }

func subHelper(L *lua.LState, global bool, logErr func(string)) int {
	fail := func(msg string) int {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 3
	}
	subjV := L.Get(1)
	var fn *lua.LFunction
	var tmpl *template
	rv := L.Get(3)
	re, err := compileArgs(L, 2, 4)
	if err != nil {
		return fail(err.Error())
	}
	if f, ok := rv.(*lua.LFunction); ok {
		fn = f
	} else {
		var rs string
		if s, ok := rv.(lua.LString); ok {
			rs = string(s)
		} else {
			rs = L.ToStringMeta(rv).String()
		}
		tmpl, err = compileTemplate(rs)
		if err != nil {
			var te *templateError
			if logErr != nil && errors.As(err, &te) {
				logErr(te.Detail)
			}
			return fail(err.Error())
		}
	}
	subj := argSubjectValue(L, subjV)
	sj, err := newSubject(subj, re.flags)
	if err != nil {
		return fail(err.Error())
	}
	var b strings.Builder
	count, pos, cp := 0, 0, 0
	var caps []int
	for {
		caps, err = re.exec(sj, pos, caps)
		if err != nil {
			return fail(err.Error())
		}
		if caps == nil {
			break
		}
		count++
		b.WriteString(subj[cp:caps[0]])
		if fn != nil {
			m := re.captures(L, subj, caps, nil)
			L.Push(fn)
			L.Push(m)
			L.Call(1, 1)
			v := L.Get(-1)
			L.Pop(1)
			if s, ok := v.(lua.LString); ok {
				b.WriteString(string(s))
			} else {
				b.WriteString(L.ToStringMeta(v).String())
			}
		} else {
			tmpl.expand(&b, subj, caps)
		}
		cp = caps[1]
		pos = cp
		if pos == caps[0] {
			pos++
			if pos > len(subj) {
				break
			}
		}
		if !global {
			break
		}
	}
	if count == 0 {
		L.Push(lua.LString(subj))
		L.Push(lua.LNumber(0))
		return 2
	}
	b.WriteString(subj[cp:])
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(count))
	return 2
}

func argSubjectValue(L *lua.LState, v lua.LValue) string {
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	return L.ToStringMeta(v).String()
}

// reOpt is ngx.re.opt(option, value). Only "jit_stack_size" exists in OpenResty; the engine
// has no JIT stack, so it is accepted and ignored (OpenResty refuses it once patterns are
// cached; that check is kept).
func reOpt(L *lua.LState) int {
	opt := L.Get(1)
	if s, ok := opt.(lua.LString); ok && s == "jit_stack_size" {
		if SharedCache.Len() > 0 {
			L.RaiseError("changing jit stack size is not allowed when some regexs have already been compiled and cached")
		}
		return 0
	}
	L.RaiseError("unrecognized option name")
	return 0
}
