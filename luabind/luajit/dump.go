package luajit

import (
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// string.dump and the load of its output. gopher-lua has no bytecode format of its own that
// can be read back from outside its package, so a dump is a handle: LuaJIT's "\27LJ"
// signature, a version byte, and the number of the function's prototype in dumps, the
// registry of the prototypes dumped by this process. load and loadstring of that string
// (in any state of the process) give a new closure of the same prototype, with fresh nil
// upvalues, as loading LuaJIT bytecode does. A dump read back by another process is
// refused as bytecode of another build is.

// dumpHeader starts every dump: ESC "LJ", LuaJIT 2.1's bytecode version 2, then luaws's mark.
const dumpHeader = "\x1bLJ\x02luaws:"

// dumps is the process's registry of dumped prototypes; a prototype is numbered once, so
// dumping a function twice (or dumping what a dump loaded) gives the same string.
var dumps = struct {
	sync.Mutex
	ids    map[*lua.FunctionProto]int
	protos []*lua.FunctionProto
}{ids: map[*lua.FunctionProto]int{}}

// strDump is string.dump(f [, strip]).
func strDump(L *lua.LState) int {
	fn, ok := L.Get(1).(*lua.LFunction)
	if !ok {
		typeError(L, 1, "function")
	}
	if fn.IsG {
		raise(L, "unable to dump given function")
	}
	dumps.Lock()
	id, ok := dumps.ids[fn.Proto]
	if !ok {
		id = len(dumps.protos)
		dumps.protos = append(dumps.protos, fn.Proto)
		dumps.ids[fn.Proto] = id
	}
	dumps.Unlock()
	L.Push(lua.LString(dumpHeader + strconv.Itoa(id)))
	return 1
}

// undump returns the closure a dump stands for, or "" and LuaJIT's message.
func undump(L *lua.LState, src []byte, name string) (*lua.LFunction, string) {
	s := string(src)
	if !strings.HasPrefix(s, dumpHeader) {
		return nil, name + ": cannot load incompatible bytecode"
	}
	id, err := strconv.Atoi(s[len(dumpHeader):])
	dumps.Lock()
	var proto *lua.FunctionProto
	if err == nil && id >= 0 && id < len(dumps.protos) {
		proto = dumps.protos[id]
	}
	dumps.Unlock()
	if proto == nil {
		return nil, name + ": cannot load malformed bytecode"
	}
	fn := NewFunction(L, proto)
	for i := range fn.Upvalues {
		if fn.Upvalues[i] == nil {
			uv := &lua.Upvalue{}
			uv.SetValue(lua.LNil)
			fn.Upvalues[i] = uv
		}
	}
	return fn, ""
}
