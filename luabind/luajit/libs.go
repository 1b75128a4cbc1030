package luajit

import (
	"io"
	"os"
	"syscall"

	lua "github.com/yuin/gopher-lua"
)

// openLibs installs the library functions of strlib.go, tablib.go, mathlib.go and
// baselib.go, and takes away what gopher-lua has and OpenResty's LuaJIT does not
// (_GOPHER_LUA_VERSION, _printregs, string.gfind, math.mod, os.setenv, table.unpack).
func openLibs(L *lua.LState) {
	g := L.G.Global
	for name, fn := range map[string]lua.LGFunction{
		"gcinfo":       baseGcinfo,
		"setmetatable": baseSetmetatable,
		"getmetatable": baseGetmetatable,
		"loadfile":     baseLoadfile,
		"dofile":       baseDofile,
		"error":        baseError,
		"assert":       baseAssert,
		"next":         baseNext,
	} {
		g.RawSetString(name, L.NewFunction(fn))
	}
	openRequire(L)
	g.RawSetString("_GOPHER_LUA_VERSION", lua.LNil)
	g.RawSetString("_printregs", lua.LNil)
	if tbl, ok := g.RawGetString("string").(*lua.LTable); ok {
		for name, fn := range strFuncs {
			tbl.RawSetString(name, L.NewFunction(fn))
		}
		tbl.RawSetString("gfind", lua.LNil)
		tbl.RawSetString("__index", lua.LNil)
		mt := L.CreateTable(0, 1)
		mt.RawSetString("__index", tbl)
		L.SetMetatable(lua.LString(""), mt)
	}
	if tbl, ok := g.RawGetString("table").(*lua.LTable); ok {
		for name, fn := range tabLibFuncs {
			tbl.RawSetString(name, L.NewFunction(fn))
		}
		tbl.RawSetString("unpack", lua.LNil)
		// OpenResty has table.new and table.clear at hand (lua-resty-core requires them); the
		// others appear when required, as in LuaJIT
		for _, name := range []string{"nkeys", "isempty", "isarray", "clone"} {
			tbl.RawSetString(name, lua.LNil)
		}
	}
	if tbl, ok := g.RawGetString("math").(*lua.LTable); ok {
		for name, fn := range mathFuncs {
			tbl.RawSetString(name, L.NewFunction(fn))
		}
		tbl.RawSetString("mod", lua.LNil) // Lua 5.0's, which LuaJIT does not have
	}
	if tbl, ok := g.RawGetString("io").(*lua.LTable); ok {
		// io.write and file:write print numbers as LuaJIT does ("%.14g")
		if w, ok := tbl.RawGetString("write").(*lua.LFunction); ok {
			tbl.RawSetString("write", numbersAsLuaJIT(L, w, 1))
		}
		if mt, ok := L.GetMetatable(tbl.RawGetString("stdout")).(*lua.LTable); ok {
			if idx, ok := mt.RawGetString("__index").(*lua.LTable); ok {
				if w, ok := idx.RawGetString("write").(*lua.LFunction); ok {
					idx.RawSetString("write", numbersAsLuaJIT(L, w, 2))
				}
				// LuaJIT's files close when collected; gopher-lua never runs __gc, but a
				// script calling it gets LuaJIT's effect (the standard files stay open)
				if cl, ok := idx.RawGetString("close").(*lua.LFunction); ok {
					std := []lua.LValue{tbl.RawGetString("stdin"), tbl.RawGetString("stdout"), tbl.RawGetString("stderr")}
					mt.RawSetString("__gc", L.NewFunction(func(L *lua.LState) int {
						f := L.Get(1)
						for _, s := range std {
							if f == s {
								return 0
							}
						}
						L.Push(cl)
						L.Push(f)
						_ = L.PCall(1, 0, nil) // closing a closed file is no error here
						return 0
					}))
				}
			}
		}
	}
	if tbl, ok := g.RawGetString("debug").(*lua.LTable); ok {
		tbl.RawSetString("getupvalue", L.NewFunction(debugUpvalue(false)))
		tbl.RawSetString("setupvalue", L.NewFunction(debugUpvalue(true)))
		tbl.RawSetString("getinfo", L.NewFunction(debugGetInfo))
		tbl.RawSetString("traceback", L.NewFunction(debugTraceback))
		tbl.RawSetString("getlocal", L.NewFunction(debugGetLocal))
		tbl.RawSetString("setlocal", L.NewFunction(debugSetLocal))
		tbl.RawSetString("getregistry", L.NewFunction(debugGetRegistry))
		tbl.RawSetString("debug", L.NewFunction(debugDebug))
		tbl.RawSetString("gethook", L.NewFunction(debugGetHook))
		tbl.RawSetString("sethook", L.NewFunction(debugSetHook))
	}
	if tbl, ok := g.RawGetString("os").(*lua.LTable); ok {
		tbl.RawSetString("setenv", lua.LNil)
	}
}

// loadFile reads and compiles a Lua file as LuaJIT's loadfile does (chunk "@name", a first
// "#" line skipped, standard input when name is nil).
func loadFile(L *lua.LState, n int) (*lua.LFunction, string) {
	var src []byte
	var err error
	name := "=stdin"
	if L.Get(n) == lua.LNil {
		src, err = io.ReadAll(os.Stdin)
		if err != nil {
			return nil, "cannot read stdin"
		}
	} else {
		file := checkString(L, n)
		name = "@" + file
		f, err := os.Open(file)
		if err != nil {
			return nil, "cannot open " + file + ": " + errnoString(err)
		}
		src, err = io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, "cannot read " + file + ": " + errnoString(err)
		}
	}
	return compile(L, src, name)
}

func errnoString(err error) string {
	var errno syscall.Errno
	if pe, ok := err.(*os.PathError); ok {
		if e, ok := pe.Err.(syscall.Errno); ok {
			errno = e
		}
	}
	switch errno {
	case syscall.ENOENT:
		return "No such file or directory"
	case syscall.EACCES:
		return "Permission denied"
	case syscall.EISDIR:
		return "Is a directory"
	}
	if errno != 0 {
		return errno.Error()
	}
	return err.Error()
}

func baseLoadfile(L *lua.LState) int {
	fn, msg := loadFile(L, 1)
	if fn == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	L.Push(fn)
	return 1
}

func baseDofile(L *lua.LState) int {
	fn, msg := loadFile(L, 1)
	if fn == nil {
		L.Error(lua.LString(msg), 0)
	}
	top := L.GetTop()
	L.Push(fn)
	L.Call(0, lua.MultRet)
	return L.GetTop() - top
}

// numbersAsLuaJIT wraps a gopher-lua function so that number arguments from the first-th
// on reach it as LuaJIT's strings of them.
func numbersAsLuaJIT(L *lua.LState, orig *lua.LFunction, first int) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		n := L.GetTop()
		for i := first; i <= n; i++ {
			if v, ok := L.Get(i).(lua.LNumber); ok {
				L.Replace(i, lua.LString(FormatNumber(float64(v))))
			}
		}
		L.Insert(orig, 1)
		L.Call(n, lua.MultRet)
		return L.GetTop() // the results, in place of the function and its arguments
	})
}
