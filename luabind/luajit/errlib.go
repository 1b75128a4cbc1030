package luajit

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// errorFuncs are the base functions whose error values follow LuaJIT: pcall and xpcall
// translate what they catch (ErrorHandler), error places positions as LuaJIT does, and
// coroutine.resume / coroutine.wrap word a coroutine's error as LuaJIT.
type errorFuncs struct {
	handler *lua.LFunction // ErrorHandler, made once per state
	// active[1] counts the coroutine.resume calls (and wrap functions) running in the
	// state: while it is 0 no coroutine runs, nothing can yield, and pcall is the native.
	active *lua.LTable
	// the native pcall and xpcall, and the yieldable ones (yieldable.go) the globals
	// are while a coroutine runs
	global                    *lua.LTable
	nativePcall, nativeXpcall *lua.LFunction
	yieldPcall, yieldXpcall   *lua.LFunction
	// xhandler is the errfunc of xpcall: it calls the innermost running xpcall's
	// handler (the last of handlers) with the error in LuaJIT's words
	xhandler *lua.LFunction
	handlers []*lua.LFunction
}

// openErrors installs pcall, xpcall, error and the coroutine wrappers into L.
func openErrors(L *lua.LState) {
	ef := &errorFuncs{}
	ef.handler = L.NewFunction(ErrorHandler)
	g := L.G.Global
	ef.active = L.CreateTable(1, 0)
	ef.active.RawSetInt(1, lua.LNumber(0))
	ef.global = g
	ef.nativePcall, ef.nativeXpcall = L.NewFunction(ef.pcall), L.NewFunction(ef.xpcall)
	ef.xhandler = L.NewFunction(ef.callHandler)
	L.G.Registry.RawSetString(hiddenFrameKey, ef.xhandler)
	g.RawSetString("pcall", ef.nativePcall)
	g.RawSetString("xpcall", ef.nativeXpcall)
	g.RawSetString("error", L.NewFunction(baseError))
	co, ok := g.RawGetString("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	if create, ok := co.RawGetString("create").(*lua.LFunction); ok {
		co.RawSetString("create", L.NewFunction(func(L *lua.LState) int {
			L.Replace(1, armed(L.Get(1)))
			L.Insert(create, 1)
			L.Call(L.GetTop()-1, 1)
			return 1
		}))
	}
	if resume, ok := co.RawGetString("resume").(*lua.LFunction); ok {
		co.RawSetString("resume", L.NewFunction(func(L *lua.LState) int { return ef.coResume(L, resume) }))
	}
	if wrap, ok := co.RawGetString("wrap").(*lua.LFunction); ok {
		co.RawSetString("wrap", L.NewFunction(func(L *lua.LState) int { return ef.coWrap(L, wrap) }))
	}
	// pcall and xpcall that a coroutine can yield across (yieldable.go)
	L.Push(NewFunction(L, yieldableProto))
	L.Push(ef.nativePcall)
	L.Push(ef.nativeXpcall)
	L.Push(ef.active)
	L.Push(co)
	L.Push(L.NewFunction(handlerCall))
	L.Call(5, 2)
	ef.yieldPcall, _ = L.Get(-2).(*lua.LFunction)
	ef.yieldXpcall, _ = L.Get(-1).(*lua.LFunction)
	L.Pop(2)
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

// xpcall(f, handler, ...) with the extra arguments passed to f (LuaJIT). The handler runs
// from PCall's errfunc (callHandler) while the failing frame is on the stack, with the
// error in LuaJIT's words; tracebacks leave the errfunc's frame out, so debug.traceback
// in the handler starts at the failing frame as in LuaJIT.
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
	ef.handlers = append(ef.handlers, handler)
	err := L.PCall(top-2, lua.MultRet, ef.xhandler)
	ef.handlers = ef.handlers[:len(ef.handlers)-1]
	if err != nil {
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

// hiddenFrameKey holds, in a state's registry, the Go function tracebacks leave out
// (xpcall's errfunc).
const hiddenFrameKey = "luaws.hidden_frame"

// inHandlerKey counts, in a state's registry, the xpcall handlers running (their callers'
// frames are hidden from level counts: stackAt).
const inHandlerKey = "luaws.in_handler"

func addInHandler(L *lua.LState, d lua.LNumber) {
	n, _ := L.G.Registry.RawGetString(inHandlerKey).(lua.LNumber)
	L.G.Registry.RawSetString(inHandlerKey, n+d)
}

// callHandler is xpcall's errfunc: the running xpcall's handler called with the error,
// a string translated with the failing frame at level 1.
func (ef *errorFuncs) callHandler(L *lua.LState) int {
	v := L.Get(1)
	if s, ok := v.(lua.LString); ok {
		v = lua.LString(TranslateError(L, string(s), 1))
	}
	h := ef.handlers[len(ef.handlers)-1]
	L.SetTop(0)
	L.Push(h)
	L.Push(v)
	addInHandler(L, 1)
	defer addInHandler(L, -1)
	runHandler(L)
	return 1
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
	L.G.Registry.RawSetString(errorArgKey, v)
	L.G.Registry.RawSetString(errorMsgKey, lua.LString(msg))
	L.Error(lua.LString(msg), 0)
	return 0
}

// The last error() call's argument and the message it raised, in a state's registry.
const (
	errorArgKey = "luaws.error_arg"
	errorMsgKey = "luaws.error_msg"
)

// TakeErrorArg is, for an error value being caught, the argument of the error() call that
// raised it (a string before error added the position), when error() did; it forgets it.
// lua-nginx-module's ngx.thread.wait returns that argument for a thread that died of
// error(), not the message.
func TakeErrorArg(L *lua.LState, raised lua.LValue) (lua.LValue, bool) {
	reg := L.G.Registry
	msg := reg.RawGetString(errorMsgKey)
	if msg == lua.LNil {
		return nil, false
	}
	arg := reg.RawGetString(errorArgKey)
	reg.RawSetString(errorArgKey, lua.LNil)
	reg.RawSetString(errorMsgKey, lua.LNil)
	if s, ok := raised.(lua.LString); !ok || s != msg {
		return nil, false
	}
	return arg, true
}

// where is luaL_where: "chunk:line: " of the function at level, "" for a Go function.
func where(L *lua.LState, level int) string {
	dbg, ok := stackAt(L, level)
	if !ok || level > 1 && pastBottom(L, level) {
		return ""
	}
	fn, err := L.GetInfo("Slf", dbg, lua.LNil)
	if err != nil || dbg.What == "G" || dbg.CurrentLine < 0 {
		return ""
	}
	if f, ok := fn.(*lua.LFunction); ok && isShim(f) {
		return ""
	}
	return dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": "
}

// enter and leave count a running resume (see active). While one runs, the globals pcall
// and xpcall are the yieldable ones (unless a script replaced them); outside coroutines
// they are the natives, so that code which cannot yield pays nothing and its tracebacks
// and error positions have no extra frame.
func (ef *errorFuncs) enter() {
	n := ef.active.RawGetInt(1).(lua.LNumber) + 1
	ef.active.RawSetInt(1, n)
	if n == 1 && ef.yieldPcall != nil {
		ef.swap(ef.nativePcall, ef.yieldPcall, ef.nativeXpcall, ef.yieldXpcall)
	}
}

func (ef *errorFuncs) leave() {
	n := ef.active.RawGetInt(1).(lua.LNumber) - 1
	ef.active.RawSetInt(1, n)
	if n == 0 && ef.yieldPcall != nil {
		ef.swap(ef.yieldPcall, ef.nativePcall, ef.yieldXpcall, ef.nativeXpcall)
	}
}

func (ef *errorFuncs) swap(fromP, toP, fromX, toX *lua.LFunction) {
	if ef.global.RawGetString("pcall") == fromP {
		ef.global.RawSetString("pcall", toP)
	}
	if ef.global.RawGetString("xpcall") == fromX {
		ef.global.RawSetString("xpcall", toX)
	}
}

// coResume words the error of a dead or failing coroutine as LuaJIT.
func (ef *errorFuncs) coResume(L *lua.LState, resume *lua.LFunction) int {
	if _, ok := L.Get(1).(*lua.LState); !ok {
		argError(L, 1, "coroutine expected")
	}
	if msg := activeError(L, L.Get(1)); msg != "" {
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(lua.LString(msg))
		return 2
	}
	co := L.Get(1)
	top := L.GetTop()
	L.Insert(resume, 1)
	ef.enter()
	err := L.PCall(top, lua.MultRet, nil) // resume raises only on a bad argument
	ef.leave()
	if err != nil {
		L.Error(errorValue(err), 0)
	}
	if L.Get(1) == lua.LFalse {
		takeFrames(L, co) // kept for a wrap function only
		if s, ok := L.Get(2).(lua.LString); ok {
			L.Replace(2, lua.LString(TranslateError(L, string(s), -1)))
		}
	}
	return L.GetTop()
}

// armed is a coroutine's body f made to word its errors as LuaJIT, variable names
// included: a closure that first arms the coroutine's panic function, then tail-calls f
// (so it adds no frame). gopher-lua has dropped a coroutine's frames when resume returns
// the error, but its panic function (LState.Panic) runs at the raise, frames intact; an
// error caught by a pcall inside the coroutine does not go through it. Anything but a Lua
// function is returned as is (resume's own checks apply).
func armed(f lua.LValue) lua.LValue {
	fn, ok := f.(*lua.LFunction)
	if !ok || fn.IsG {
		return f
	}
	c := &lua.LFunction{IsG: false, Env: fn.Env, Proto: armProto, Upvalues: []*lua.Upvalue{armUpvalue, {}}}
	c.Upvalues[1].SetValue(fn)
	return c
}

// armSrc is the closure armed makes (its prototype is armProto, its upvalues arm and f).
const armSrc = `local arm, f return function(...) arm() return f(...) end`

var armProto = func() *lua.FunctionProto {
	chunk, err := parse.Parse(strings.NewReader(armSrc), shimSource)
	if err != nil {
		panic(err)
	}
	p, err := lua.Compile(chunk, shimSource)
	if err != nil {
		panic(err)
	}
	return p.FunctionPrototypes[0]
}()

var armUpvalue = closedUpvalue(armPanic)

// armPanic makes the running coroutine's panic function translate a string error before
// it unwinds (level 0: the frame that raised it).
func armPanic(L *lua.LState) int {
	orig := L.Panic
	L.Panic = func(th *lua.LState) {
		if s, ok := th.Get(-1).(lua.LString); ok {
			th.Pop(1)
			th.Push(lua.LString(TranslateError(th, string(s), 0)))
		}
		stashFrames(th)
		orig(th)
	}
	return 0
}

// activeError is the error of resuming co when it is the running coroutine or one that
// resumed it (status "normal"), "" otherwise. gopher-lua checks only the running one:
// resuming a normal coroutine recursed until the Go stack overflowed, which ends the
// process. The words are lua-nginx-module's coroutine API's, which every luaws context
// has ("cannot resume normal coroutine"; plain LuaJIT says "running" for both).
func activeError(L *lua.LState, co lua.LValue) string {
	th, ok := co.(*lua.LState)
	if !ok {
		return ""
	}
	if th == L {
		return "cannot resume running coroutine"
	}
	for p := L.Parent; p != nil; p = p.Parent {
		if p == th {
			return "cannot resume normal coroutine"
		}
	}
	return ""
}

// coWrap returns coroutine.wrap's function with its errors in LuaJIT's wording.
func (ef *errorFuncs) coWrap(L *lua.LState, wrap *lua.LFunction) int {
	L.Push(wrap)
	L.Push(armed(L.Get(1)))
	L.Call(1, 1)
	inner := L.Get(-1)
	var co lua.LValue = lua.LNil
	if w, ok := inner.(*lua.LFunction); ok && len(w.Upvalues) > 0 {
		co = w.Upvalues[0].Value() // gopher-lua's wrap function holds its coroutine
	}
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if msg := activeError(L, co); msg != "" {
			raise(L, msg)
		}
		top := L.GetTop()
		L.Insert(inner, 1)
		ef.enter()
		err := L.PCall(top, lua.MultRet, nil)
		ef.leave()
		if err != nil {
			v := errorValue(err)
			frames := takeFrames(L, co)
			s, isStr := v.(lua.LString)
			dead := isStr && strings.HasSuffix(string(s), "can not resume a dead thread")
			if !dead {
				if hook := wrapHook(L); hook != nil {
					hv := v
					if isStr {
						hv = lua.LString(TranslateError(L, string(s), -1))
					}
					if hook(L, hv, frames) {
						L.Error(hv, 0)
					}
				}
			}
			if isStr {
				// the coroutine's own error gets the caller's position added, as
				// LuaJIT does; gopher-lua's "dead" error already has it
				pre := where(L, 1)
				if dead {
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
