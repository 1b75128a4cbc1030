package luabind

import (
	"io/fs"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/cjson"
	"github.com/luaws/luaws/luabind/luajit"
	"github.com/luaws/luaws/luabind/mysql"
	"github.com/luaws/luaws/luabind/resty"

	luasrc "github.com/luaws/luaws/lua"
)

// preloadEntry is one module require finds before looking at files: Lua source compiled at
// start-up, or a Go loader.
type preloadEntry struct {
	name  string
	proto *lua.FunctionProto
	fn    lua.LGFunction
}

// embeddedModules compiles lua/resty/websocket/*.lua once per host.
func embeddedModules(_ *protoCache) ([]preloadEntry, error) {
	var out []preloadEntry
	err := fs.WalkDir(luasrc.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".lua") {
			return err
		}
		src, err := fs.ReadFile(luasrc.FS, path)
		if err != nil {
			return err
		}
		name := strings.ReplaceAll(strings.TrimSuffix(path, ".lua"), "/", ".")
		proto, err := compile(path, src)
		if err != nil {
			return err
		}
		out = append(out, preloadEntry{name: name, proto: proto})
		return nil
	})
	return out, err
}

// stateOptions: registry growth on (table.concat of a few thousand items needs it) and a
// call stack deep enough for real recursion, grown only when used.
var stateOptions = lua.Options{
	SkipOpenLibs:        true,
	CallStackSize:       1024,
	RegistrySize:        128, // gopher-lua replaces anything smaller with 5120 slots (80 KiB)
	RegistryMaxSize:     1024 * 1024,
	RegistryGrowStep:    64,
	MinimizeStackMemory: true,
}

// newState builds a state with the standard libraries scripts use, luaws's modules on
// package.preload and package.path set to the host's lua_package_path.
func (h *Host) newState() *lua.LState {
	L := lua.NewState(stateOptions)
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
		{lua.OsLibName, lua.OpenOs},
		{lua.IoLibName, lua.OpenIo},
		{lua.DebugLibName, lua.OpenDebug},
	} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	L.GetGlobal("os").(*lua.LTable).RawSetString("exit", L.NewFunction(h.osExit))
	luajit.SetMemoryLimit(L, h.cfg.MemoryLimit)
	luajit.Open(L) // LuaJIT's tostring, math.random, xpcall, load, table.new, ...
	luajit.SetWrapErrorHook(L, onWrapError)
	// LuaJIT opens bit as a global too
	L.Push(L.NewFunction(openBit))
	L.Call(0, 1)
	bitlib := L.Get(-1)
	L.Pop(1)
	L.SetGlobal("bit", bitlib)
	pkg := L.GetGlobal("package").(*lua.LTable)
	pkg.RawSetString("path", lua.LString(h.luaPath))
	pkg.RawSetString("cpath", lua.LString(h.luaCPath))
	if loaders, ok := pkg.RawGetString("loaders").(*lua.LTable); ok {
		loaders.RawSetInt(2, L.NewFunction(h.fileLoader))
	}
	preload := pkg.RawGetString("preload").(*lua.LTable)
	for _, e := range h.preloaded {
		if e.proto != nil {
			preload.RawSetString(e.name, luajit.NewFunction(L, e.proto))
		} else {
			preload.RawSetString(e.name, L.NewFunction(e.fn))
		}
	}
	for name, fn := range goModules {
		preload.RawSetString(name, L.NewFunction(fn))
	}
	cjson.Preload(L)
	resty.Preload(L)
	mysql.Preload(L)
	if loaded, ok := pkg.RawGetString("loaded").(*lua.LTable); ok {
		loaded.RawSetString("bit", bitlib)
	}
	return L
}

// goModules are the Go-implemented modules require finds on package.preload.
var goModules = map[string]lua.LGFunction{
	"luaws.websocket": openWebsocket,
	"ngx.ssl":         openNgxSSL,
	"bit":             openBit,
}

// fileLoader is package.loaders[2]: it searches package.path and instantiates the module from
// the compiled-chunk cache (the stock loader would parse the file again for every request).
func (h *Host) fileLoader(L *lua.LState) int {
	name := L.CheckString(1)
	path, ok := L.GetField(L.GetGlobal("package"), "path").(lua.LString)
	if !ok {
		L.RaiseError("'package.path' must be a string")
	}
	file, miss := searchPath(name, string(path))
	if file == "" {
		L.Push(lua.LString(miss))
		return 1
	}
	proto, err := h.protos.file(file)
	if err != nil {
		L.RaiseError("error loading module '%s' from file '%s':\n\t%s", name, file, err.Error())
	}
	L.Push(luajit.NewFunction(L, proto))
	return 1
}
