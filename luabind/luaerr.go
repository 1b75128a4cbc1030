package luabind

import (
	"errors"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/luajit"
)

// Errors of entry and user light threads are caught with an errfunc that runs while the
// failing frame is still on the stack: it words the error as LuaJIT does, naming the
// variable (luajit.TranslateError), and keeps the traceback gopher-lua would have taken
// for the "lua entry thread aborted" log. Nothing of this runs unless an error is raised.

// caught is what the errfunc hands back to pcall through the error value.
type caught struct {
	obj   lua.LValue
	trace string
}

// newCatchHandler makes the errfunc of a state: the traceback is lua-nginx-module's
// (luajit.ThreadTraceback), from the failing frame on.
func newCatchHandler(L *lua.LState) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		v := L.Get(1)
		if arg, ok := luajit.TakeErrorArg(L, v); ok {
			if t := threadOf(L); t != nil {
				t.errArg = arg
			}
		}
		if s, ok := v.(lua.LString); ok {
			v = lua.LString(luajit.TranslateError(L, string(s), 1))
		}
		c := &caught{obj: v, trace: luajit.ThreadTraceback(L, 1)}
		luajit.CloseUpvalues(L)
		L.SetTop(0)
		ud := L.NewUserData()
		ud.Value = c
		L.Push(ud)
		return 1
	})
}

// pcall is L.PCall(nargs, nret) with the error in LuaJIT's words: the *lua.ApiError's
// Object is the error value, its StackTrace lua-nginx-module's traceback.
func (v *vm) pcall(L *lua.LState, nargs, nret int) error {
	err := L.PCall(nargs, nret, v.catch)
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if ud, ok := ae.Object.(*lua.LUserData); ok {
			if c, ok := ud.Value.(*caught); ok {
				ae.Object = c.obj
				ae.StackTrace = c.trace
			}
		}
	}
	return err
}
