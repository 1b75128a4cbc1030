package luajit

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// errorFuncs are the base functions whose error values follow LuaJIT: pcall and xpcall
// translate what they catch (ErrorHandler), error places positions as LuaJIT does, and
// coroutine.resume / coroutine.wrap word a coroutine's error as LuaJIT.
type errorFuncs struct {
	handler *lua.LFunction // ErrorHandler, made once per state
}

// openErrors installs pcall, xpcall, error and the coroutine wrappers into L.
func openErrors(L *lua.LState) {
	ef := &errorFuncs{}
	ef.handler = L.NewFunction(ErrorHandler)
	g := L.G.Global
	g.RawSetString("pcall", L.NewFunction(ef.pcall))
	g.RawSetString("xpcall", L.NewFunction(ef.xpcall))
	g.RawSetString("error", L.NewFunction(baseError))
	if co, ok := g.RawGetString("coroutine").(*lua.LTable); ok {
		if resume, ok := co.RawGetString("resume").(*lua.LFunction); ok {
			co.RawSetString("resume", L.NewFunction(func(L *lua.LState) int { return coResume(L, resume) }))
		}
		if wrap, ok := co.RawGetString("wrap").(*lua.LFunction); ok {
			co.RawSetString("wrap", L.NewFunction(func(L *lua.LState) int { return coWrap(L, wrap) }))
		}
	}
}

// pcall is LuaJIT's: "attempt to call a T value" for a non-callable, and the caught error
// in LuaJIT's wording.
func (ef *errorFuncs) pcall(L *lua.LState) int {
	if L.GetTop() == 0 {
		L.RaiseError("bad argument #1 to 'pcall' (value expected)")
	}
	v := L.Get(1)
	if v.Type() != lua.LTFunction && L.GetMetaField(v, "__call").Type() != lua.LTFunction {
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a " + v.Type().String() + " value"))
		return 2
	}
	if err := L.PCall(L.GetTop()-1, lua.MultRet, ef.handler); err != nil {
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(errorValue(err))
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// xpcall(f, handler, ...) with the extra arguments passed to f (LuaJIT). The handler is
// PCall's errfunc itself, so that debug.traceback in it starts at the failing frame as
// before; what it returns, when a string, gets LuaJIT's wording (without variable names:
// the handler saw gopher-lua's message).
func (ef *errorFuncs) xpcall(L *lua.LState) int {
	if L.GetTop() < 2 || L.Get(2).Type() != lua.LTFunction {
		typeError(L, 2, "function")
	}
	handler := L.Get(2).(*lua.LFunction)
	fn := L.Get(1)
	top := L.GetTop()
	L.Push(fn)
	for i := 3; i <= top; i++ {
		L.Push(L.Get(i))
	}
	if err := L.PCall(top-2, lua.MultRet, handler); err != nil {
		v := errorValue(err)
		if s, ok := v.(lua.LString); ok {
			v = lua.LString(TranslateError(L, string(s), -1))
		}
		L.Push(lua.LFalse)
		L.Push(v)
		return 2
	}
	L.Insert(lua.LTrue, top+1)
	return L.GetTop() - top
}

func errorValue(err error) lua.LValue {
	if aerr, ok := err.(*lua.ApiError); ok {
		return aerr.Object
	}
	return lua.LString(err.Error())
}

// baseError is LuaJIT's error([v [, level]]): no value raises nil; a string or number
// gets the position of the function at level, none when that function is not Lua code
// (pcall(error, "m") gives "m"); any other value passes through untouched.
func baseError(L *lua.LState) int {
	v := L.Get(1)
	level := L.OptInt(2, 1)
	var msg string
	switch s := v.(type) {
	case lua.LString:
		msg = string(s)
	case lua.LNumber:
		msg = FormatNumber(float64(s))
	default:
		L.Error(v, 0)
		return 0
	}
	if level > 0 {
		msg = where(L, level) + msg
	}
	L.Error(lua.LString(msg), 0)
	return 0
}

// where is luaL_where: "chunk:line: " of the function at level, "" for a Go function.
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

// coResume words the error of a dead or failing coroutine as LuaJIT.
func coResume(L *lua.LState, resume *lua.LFunction) int {
	top := L.GetTop()
	L.Insert(resume, 1)
	L.Call(top, lua.MultRet)
	if L.Get(1) == lua.LFalse {
		if s, ok := L.Get(2).(lua.LString); ok {
			L.Replace(2, lua.LString(TranslateError(L, string(s), -1)))
		}
	}
	return L.GetTop()
}

// coWrap returns coroutine.wrap's function with its errors in LuaJIT's wording.
func coWrap(L *lua.LState, wrap *lua.LFunction) int {
	L.Push(wrap)
	L.Push(L.Get(1))
	L.Call(1, 1)
	inner := L.Get(-1)
	L.Push(L.NewFunction(func(L *lua.LState) int {
		top := L.GetTop()
		L.Insert(inner, 1)
		if err := L.PCall(top, lua.MultRet, nil); err != nil {
			v := errorValue(err)
			if s, ok := v.(lua.LString); ok {
				// the coroutine's own error gets the caller's position added, as
				// LuaJIT does; gopher-lua's "dead" error already has it
				pre := where(L, 1)
				if strings.HasSuffix(string(s), "can not resume a dead thread") {
					pre = ""
				}
				v = lua.LString(pre + TranslateError(L, string(s), -1))
			}
			L.Error(v, 0)
		}
		return L.GetTop()
	}))
	return 1
}
