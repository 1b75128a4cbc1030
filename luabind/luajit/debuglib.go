package luajit

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The debug library functions LuaJIT 2.1 has and gopher-lua lacks or answers differently.

// debugGetInfo is debug.getinfo([thread,] f | level [, what]) with LuaJIT's fields: what
// "Lua", "C" or "main", source "@file" / "=[C]", short_src, nparams, isvararg, name and
// namewhat ("global", "local", "method", "field", "upvalue", "metamethod", "" when called
// from a built-in or in tail position) and activelines ("L").
func debugGetInfo(L *lua.LState) int {
	co, first := L, 1
	if th, ok := L.Get(1).(*lua.LState); ok {
		co, first = th, 2
	}
	what := "flnSu"
	if L.GetTop() > first {
		what = checkString(L, first+1)
	}
	for _, c := range what {
		if !strings.ContainsRune("SlunfL", c) {
			argError(L, first+1, "invalid option")
		}
	}
	var fn *lua.LFunction
	var fr *frameInfo
	switch v := L.Get(first).(type) {
	case *lua.LFunction:
		fn = v
	case lua.LNumber:
		level := int(v)
		if co == L && level >= 1 {
			// called in tail position: LuaJIT's caller frame is gone, gopher-lua's not
			if c := frameAt(L, 1); c != nil && !c.fn.IsG && c.pc >= 0 && opcode(c.fn.Proto.Code[c.pc]) == lua.OP_TAILCALL {
				level++
			}
		}
		if fr = frameAt(co, level); fr == nil {
			L.Push(lua.LNil)
			return 1
		}
		fn = fr.fn
	default:
		argError(L, first, "function or level expected")
	}
	t := L.CreateTable(0, 12)
	for _, c := range what {
		switch c {
		case 'S':
			if fn.IsG {
				t.RawSetString("source", lua.LString("=[C]"))
				t.RawSetString("short_src", lua.LString("[C]"))
				t.RawSetString("what", lua.LString("C"))
				t.RawSetString("linedefined", lua.LNumber(-1))
				t.RawSetString("lastlinedefined", lua.LNumber(-1))
				break
			}
			p := fn.Proto
			t.RawSetString("source", lua.LString(chunkSource(L, p.SourceName)))
			t.RawSetString("short_src", lua.LString(p.SourceName))
			w := "Lua"
			if p.LineDefined == 0 {
				w = "main"
			}
			t.RawSetString("what", lua.LString(w))
			t.RawSetString("linedefined", lua.LNumber(p.LineDefined))
			t.RawSetString("lastlinedefined", lua.LNumber(p.LastLineDefined))
		case 'l':
			line := -1
			if fr != nil && !fn.IsG && fr.pc >= 0 && fr.pc < len(fn.Proto.DbgSourcePositions) {
				line = fn.Proto.DbgSourcePositions[fr.pc]
			}
			t.RawSetString("currentline", lua.LNumber(line))
		case 'u':
			nups, nparams, vararg := len(fn.Upvalues), 0, true
			if !fn.IsG {
				nups = 0
				for _, name := range fn.Proto.DbgUpvalues {
					if _, ok := helperUpvalues[name]; !ok {
						nups++
					}
				}
				nparams, vararg = int(fn.Proto.NumParameters), fn.Proto.IsVarArg != 0
			}
			t.RawSetString("nups", lua.LNumber(nups))
			t.RawSetString("nparams", lua.LNumber(nparams))
			t.RawSetString("isvararg", lua.LBool(vararg))
		case 'n':
			namewhat, name := "", ""
			if fr != nil {
				namewhat, name = calledAs(co, fr)
			}
			t.RawSetString("namewhat", lua.LString(namewhat))
			if name != "" {
				t.RawSetString("name", lua.LString(name))
			}
		case 'f':
			t.RawSetString("func", fn)
		case 'L':
			if fn.IsG {
				break
			}
			lines := L.CreateTable(0, len(fn.Proto.DbgSourcePositions))
			for _, l := range fn.Proto.DbgSourcePositions {
				lines.RawSetInt(l, lua.LTrue)
			}
			t.RawSetString("activelines", lines)
		}
	}
	L.Push(t)
	return 1
}

// chunkSourcesKey holds, in a state's registry, the "=name" chunk names load was given,
// by display name (gopher-lua keeps only the display name a chunk was compiled with).
const chunkSourcesKey = "luaws.chunk_sources"

func noteChunkSource(L *lua.LState, display, source string) {
	t, ok := L.G.Registry.RawGetString(chunkSourcesKey).(*lua.LTable)
	if !ok {
		t = L.CreateTable(0, 4)
		L.G.Registry.RawSetString(chunkSourcesKey, t)
	}
	t.RawSetString(display, lua.LString(source))
}

// chunkSource is the source (chunk name) behind a display name as ChunkID makes it: an
// "=name" load noted, `[string "x"]` from the string x, any other from a file "@name".
func chunkSource(L *lua.LState, display string) string {
	if t, ok := L.G.Registry.RawGetString(chunkSourcesKey).(*lua.LTable); ok {
		if s, ok := t.RawGetString(display).(lua.LString); ok {
			return string(s)
		}
	}
	if s, ok := strings.CutPrefix(display, `[string "`); ok {
		return strings.TrimSuffix(s, `"]`)
	}
	if inlineChunk.MatchString(display) {
		return "=" + display // nginx names its inline *_by_lua* chunks "=content_by_lua(nginx.conf:12)"
	}
	return "@" + display
}

// inlineChunk matches the names luaws gives inline *_by_lua* chunks, as nginx names them.
var inlineChunk = regexp.MustCompile(`^[a-z_]+_by_lua(\([^()]*\))?$`)

// FunctionSource is "source:linedefined" of a Lua function as lua-nginx-module names one in
// its log lines ("=content_by_lua(nginx.conf:12):3", "@/path/f.lua:5").
func FunctionSource(L *lua.LState, fn *lua.LFunction) string {
	if fn.Proto == nil {
		return "=[C]:-1"
	}
	return chunkSource(L, fn.Proto.SourceName) + ":" + strconv.Itoa(fn.Proto.LineDefined)
}

// metaEvents is the metamethod an instruction calls when its operands need one.
var metaEvents = map[int]string{
	lua.OP_GETTABLE: "__index", lua.OP_GETTABLEKS: "__index", lua.OP_SELF: "__index",
	lua.OP_GETGLOBAL: "__index", lua.OP_SETTABLE: "__newindex", lua.OP_SETTABLEKS: "__newindex",
	lua.OP_SETGLOBAL: "__newindex", lua.OP_ADD: "__add", lua.OP_SUB: "__sub", lua.OP_MUL: "__mul",
	lua.OP_DIV: "__div", lua.OP_MOD: "__mod", lua.OP_POW: "__pow", lua.OP_UNM: "__unm",
	lua.OP_LEN: "__len", lua.OP_CONCAT: "__concat", lua.OP_EQ: "__eq", lua.OP_LT: "__lt",
	lua.OP_LE: "__le",
}

// helperEvents is the metamethod a rewrite's native calls.
var helperEvents = map[string]string{concatLocal: "__concat", lenLocal: "__len", unmLocal: "__unm"}

// calledAs is LuaJIT's namewhat and name of the function running in fr, read from the
// instruction of its caller.
func calledAs(L *lua.LState, fr *frameInfo) (string, string) {
	// a tail-called function is named by the caller of the frame it replaced, as in
	// LuaJIT; gopher-lua counts a level for each replaced frame (see tbFrames)
	up := 1
	if fr.dbg != nil {
		if k, ok := frameField(fr.dbg, "TailCall"); ok && k > 0 && !fr.fn.IsG {
			up += k
		}
	}
	caller := frameAt(L, fr.level+up)
	if caller == nil {
		return "", ""
	}
	if ev, ok := arithEvents[caller.fn.Proto]; ok && isShim(caller.fn) {
		return "metamethod", ev
	}
	if caller.fn.IsG {
		for name, ev := range helperEvents {
			if caller.fn == helperUpvalues[name].Value() {
				return "metamethod", ev
			}
		}
		return "", ""
	}
	if caller.pc < 0 {
		return "", ""
	}
	inst := caller.fn.Proto.Code[caller.pc]
	switch op := opcode(inst); op {
	case lua.OP_CALL, lua.OP_TAILCALL:
		name := caller.nameOf(argA(inst), caller.pc, 0)
		q := strings.IndexByte(name, '\'')
		if q < 1 {
			return "", ""
		}
		return name[:q-1], strings.Trim(name[q:], "'")
	case lua.OP_TFORLOOP:
		return "local", "(for generator)"
	default:
		if ev, ok := metaEvents[op]; ok {
			return "metamethod", ev
		}
	}
	return "", ""
}

// isTailCalled reports whether the frame was entered by a tail call.
func isTailCalled(fr *frameInfo) bool {
	v, ok := frameField(fr.dbg, "TailCall")
	return ok && v > 0
}

// debugGetLocal is debug.getlocal([thread,] level | f, n), levels counted as LuaJIT counts
// them (stackAt); for a function, the name of its n-th parameter.
func debugGetLocal(L *lua.LState) int {
	co, arg := L, 1
	if th, ok := L.Get(1).(*lua.LState); ok {
		co, arg = th, 2
	}
	n := checkInt(L, arg+1)
	if fn, ok := L.Get(arg).(*lua.LFunction); ok {
		if !fn.IsG && n >= 1 && n <= int(fn.Proto.NumParameters) && n <= len(fn.Proto.DbgLocals) {
			L.Push(lua.LString(fn.Proto.DbgLocals[n-1].Name))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}
	dbg, ok := stackAt(co, checkInt(L, arg))
	if !ok {
		argError(L, arg, "level out of range")
	}
	name, v := co.GetLocal(dbg, n)
	if name == "" {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(name))
	L.Push(v)
	return 2
}

// debugSetLocal is debug.setlocal([thread,] level, n, value), levels as debugGetLocal's.
func debugSetLocal(L *lua.LState) int {
	co, arg := L, 1
	if th, ok := L.Get(1).(*lua.LState); ok {
		co, arg = th, 2
	}
	n := checkInt(L, arg+1)
	if L.GetTop() < arg+2 {
		argError(L, arg+2, "value expected")
	}
	dbg, ok := stackAt(co, checkInt(L, arg))
	if !ok {
		argError(L, arg, "level out of range")
	}
	if name := co.SetLocal(dbg, n, L.Get(arg+2)); name != "" {
		L.Push(lua.LString(name))
		return 1
	}
	L.Push(lua.LNil)
	return 1
}

// debugGetRegistry is debug.getregistry: the state's registry table.
func debugGetRegistry(L *lua.LState) int {
	L.Push(L.G.Registry)
	return 1
}

// debugDebug is debug.debug: reads lines from standard input and runs each until a line
// "cont", printing errors to standard error, as LuaJIT's.
func debugDebug(L *lua.LState) int {
	in := bufio.NewReader(os.Stdin)
	for {
		os.Stderr.WriteString("lua_debug> ")
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return 0
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "cont" {
			return 0
		}
		fn, msg := compile(L, []byte(line), "=(debug command)")
		if fn != nil {
			L.Push(fn)
			if err := L.PCall(0, 0, nil); err != nil {
				msg = tostring(L, errorValue(err))
			} else {
				msg = ""
			}
		}
		if msg != "" {
			os.Stderr.WriteString(msg + "\n")
		}
	}
}

// debugGetHook is debug.gethook: no hook is ever set (gopher-lua has no hooks), which
// LuaJIT reports as nil, "", 0.
func debugGetHook(L *lua.LState) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(""))
	L.Push(lua.LNumber(0))
	return 3
}

// debugSetHook is debug.sethook: removing the hook (no function, or an empty mask and no
// count) is done; setting one raises a clear error, gopher-lua's VM having no hooks.
func debugSetHook(L *lua.LState) int {
	first := 1
	if _, ok := L.Get(1).(*lua.LState); ok {
		first = 2
	}
	fn := L.Get(first)
	mask := L.OptString(first+1, "")
	count := L.OptInt(first+2, 0)
	if fn == lua.LNil || (mask == "" && count == 0) {
		return 0
	}
	raise(L, "debug.sethook: hooks are not supported by luaws (gopher-lua has no debug hooks)")
	return 0
}
