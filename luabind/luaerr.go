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

// newCatchHandler makes the errfunc of a state; traceback is the state's own
// debug.traceback as opened (a script replacing debug.traceback does not change logs).
func newCatchHandler(L *lua.LState) *lua.LFunction {
	var traceback lua.LGFunction
	if dbg, ok := L.GetGlobal("debug").(*lua.LTable); ok {
		if f, ok := dbg.RawGetString("traceback").(*lua.LFunction); ok && f.IsG {
			traceback = f.GFunction
		}
	}
	return L.NewFunction(func(L *lua.LState) int {
		v := L.Get(1)
		if s, ok := v.(lua.LString); ok {
			v = lua.LString(luajit.TranslateError(L, string(s), 1))
		}
		c := &caught{obj: v}
		if traceback != nil {
			L.SetTop(0)
			L.Push(lua.LString(""))
			L.Push(lua.LNumber(1)) // from the failing frame on, as PCall's own trace
			traceback(L)
			c.trace = L.Get(-1).String()
		}
		luajit.CloseUpvalues(L)
		L.SetTop(0)
		ud := L.NewUserData()
		ud.Value = c
		L.Push(ud)
		return 1
	})
}

// pcall is L.PCall(nargs, nret) with the error in LuaJIT's words: the *lua.ApiError's
// Object is the error value, its StackTrace gopher-lua's traceback.
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
