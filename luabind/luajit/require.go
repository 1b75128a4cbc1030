package luajit

import (
	"os"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// require and package.loaders as LuaJIT 2.1's: "module 'x' not found:" followed by what
// each searcher tried ("\n\tno field package.preload['x']", "\n\tno file '...'"), the four
// searchers (preload, Lua, C, all-in-one C; the C ones only report what they tried, as no
// C module can be loaded here), and "loop or previous error loading module 'x'".

// requireSentinel marks a module being loaded.
var requireSentinel = &lua.LUserData{}

func openRequire(L *lua.LState) {
	L.G.Global.RawSetString("require", L.NewFunction(baseRequire))
	// LuaJIT registers the package library in package.loaded as the others
	if loaded, ok := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable); ok {
		if pkg, ok := L.G.Global.RawGetString("package").(*lua.LTable); ok && loaded.RawGetString("package") == lua.LNil {
			loaded.RawSetString("package", pkg)
		}
	}
	loaders, ok := L.GetField(L.Get(lua.RegistryIndex), "_LOADERS").(*lua.LTable)
	if !ok {
		return
	}
	loaders.RawSetInt(1, L.NewFunction(searchPreload))
	loaders.RawSetInt(2, L.NewFunction(searchLua))
	loaders.RawSetInt(3, L.NewFunction(searchC))
	loaders.RawSetInt(4, L.NewFunction(searchCRoot))
}

func baseRequire(L *lua.LState) int {
	name := checkString(L, 1)
	loaded, _ := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable)
	if loaded == nil {
		raise(L, "'package.loaded' must be a table")
	}
	if v := loaded.RawGetString(name); lua.LVAsBool(v) {
		if v == requireSentinel {
			raise(L, "loop or previous error loading module '"+name+"'")
		}
		L.Push(v)
		return 1
	}
	loaders, ok := L.GetField(L.Get(lua.RegistryIndex), "_LOADERS").(*lua.LTable)
	if !ok {
		raise(L, "'package.loaders' must be a table")
	}
	var msg strings.Builder
	var loader lua.LValue
	for i := 1; ; i++ {
		f := loaders.RawGetInt(i)
		if f == lua.LNil {
			raise(L, "module '"+name+"' not found:"+msg.String())
		}
		L.Push(f)
		L.Push(lua.LString(name))
		L.Call(1, 1)
		r := L.Get(-1)
		L.Pop(1)
		if fn, ok := r.(*lua.LFunction); ok {
			loader = fn
			break
		}
		if s, ok := r.(lua.LString); ok {
			msg.WriteString(string(s))
		}
	}
	loaded.RawSetString(name, requireSentinel)
	L.Push(loader)
	L.Push(lua.LString(name))
	callNoYield(L, 1, 1) // require is a C function in LuaJIT
	r := L.Get(-1)
	L.Pop(1)
	if r != lua.LNil {
		loaded.RawSetString(name, r)
	}
	if loaded.RawGetString(name) == requireSentinel {
		loaded.RawSetString(name, lua.LTrue)
	}
	L.Push(loaded.RawGetString(name))
	return 1
}

func searchPreload(L *lua.LState) int {
	name := checkString(L, 1)
	pkg, _ := L.GetGlobal("package").(*lua.LTable)
	var preload *lua.LTable
	if pkg != nil {
		preload, _ = pkg.RawGetString("preload").(*lua.LTable)
	}
	if preload == nil {
		raise(L, "'package.preload' must be a table")
	}
	if v := preload.RawGetString(name); v != lua.LNil {
		L.Push(v)
		return 1
	}
	L.Push(lua.LString("\n\tno field package.preload['" + name + "']"))
	return 1
}

// searchLua is the Lua file searcher over package.path (a host may put its own, cached
// one in its place).
func searchLua(L *lua.LState) int {
	name := checkString(L, 1)
	pkg, _ := L.GetGlobal("package").(*lua.LTable)
	path := ""
	if pkg != nil {
		if s, ok := pkg.RawGetString("path").(lua.LString); ok {
			path = string(s)
		}
	}
	var msg strings.Builder
	base := strings.ReplaceAll(name, ".", "/")
	for _, tmpl := range strings.Split(path, ";") {
		if tmpl == "" {
			continue
		}
		file := strings.ReplaceAll(tmpl, "?", base)
		if st, err := os.Stat(file); err == nil && !st.IsDir() {
			L.Push(lua.LString(file))
			fn, err := loadFile(L, L.GetTop())
			if fn == nil {
				raise(L, "error loading module '"+name+"' from file '"+file+"':\n\t"+err)
			}
			L.Push(fn)
			return 1
		}
		msg.WriteString("\n\tno file '" + file + "'")
	}
	L.Push(lua.LString(msg.String()))
	return 1
}

// searchCPath reports the package.cpath files tried for name (none can be loaded).
func searchCPath(L *lua.LState, name string) int {
	pkg, _ := L.GetGlobal("package").(*lua.LTable)
	cpath := ""
	if pkg != nil {
		if s, ok := pkg.RawGetString("cpath").(lua.LString); ok {
			cpath = string(s)
		}
	}
	var msg strings.Builder
	base := strings.ReplaceAll(name, ".", "/")
	for _, tmpl := range strings.Split(cpath, ";") {
		if tmpl == "" {
			continue
		}
		file := strings.ReplaceAll(tmpl, "?", base)
		if st, err := os.Stat(file); err == nil && !st.IsDir() {
			raise(L, "error loading module '"+name+"' from file '"+file+"':\n\tC modules cannot be loaded by luaws")
		}
		msg.WriteString("\n\tno file '" + file + "'")
	}
	L.Push(lua.LString(msg.String()))
	return 1
}

func searchC(L *lua.LState) int { return searchCPath(L, checkString(L, 1)) }

func searchCRoot(L *lua.LState) int {
	name := checkString(L, 1)
	root, _, ok := strings.Cut(name, ".")
	if !ok {
		return 0
	}
	return searchCPath(L, root)
}
