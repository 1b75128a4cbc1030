package luajit

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Arithmetic in a chunk that names an arithmetic metamethod ("__add", "__sub", "__mul",
// "__div", "__mod", "__pow").
//
// gopher-lua's VM calls such a metamethod only when it is a function, and from Go (a
// nested VM loop): a callable table as __add fails with "cannot perform add operation",
// and a metamethod that yields the enclosing coroutine breaks it (a Go panic). LuaJIT
// calls any callable value and lets it yield. In a chunk naming the event, a + b (for
// each operator whose event the chunk names) therefore becomes a call of a function
// written in Lua, (add)(a, b): it asks a native which metamethod applies, and calls that
// from Lua, where a callable table works and a yield crosses. Numbers and numeric
// strings are computed by the VM's own instruction, in the helper.

// arithOps maps an operator to its event and the helper local that replaces it.
var arithOps = map[string]struct{ event, local string }{
	"+": {"__add", "(add)"},
	"-": {"__sub", "(sub)"},
	"*": {"__mul", "(mul)"},
	"/": {"__div", "(div)"},
	"%": {"__mod", "(mod)"},
	"^": {"__pow", "(pow)"},
}

// arithOrder is the order of the operators in arithSrc's results.
var arithOrder = []string{"+", "-", "*", "/", "%", "^"}

const arithSrc = `
local add, sub, mul, div, mod, pow = ...
return function(a, b)
  local h = add(a, b)
  if h == nil then return a + b end
  return (h(a, b))
end, function(a, b)
  local h = sub(a, b)
  if h == nil then return a - b end
  return (h(a, b))
end, function(a, b)
  local h = mul(a, b)
  if h == nil then return a * b end
  return (h(a, b))
end, function(a, b)
  local h = div(a, b)
  if h == nil then return a / b end
  return (h(a, b))
end, function(a, b)
  local h = mod(a, b)
  if h == nil then return a % b end
  return (h(a, b))
end, function(a, b)
  local h = pow(a, b)
  if h == nil then return a ^ b end
  return (h(a, b))
end
`

// arithHelpers are the helper functions by local name, and arithEvents the event each
// one's metamethod call is for (by prototype, for debug.getinfo's "metamethod" name).
// Made once: they read no globals and are never written, so every state shares them.
var arithHelpers, arithEvents = func() (map[string]*lua.LFunction, map[*lua.FunctionProto]string) {
	chunk, err := parse.Parse(strings.NewReader(arithSrc), shimSource)
	if err != nil {
		panic(err)
	}
	proto, err := lua.Compile(chunk, shimSource)
	if err != nil {
		panic(err)
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	L.Push(L.NewFunctionFromProto(proto))
	for _, op := range arithOrder {
		L.Push(L.NewFunction(arithMetamethod(arithOps[op].event)))
	}
	L.Call(len(arithOrder), len(arithOrder))
	helpers := map[string]*lua.LFunction{}
	events := map[*lua.FunctionProto]string{}
	for i, op := range arithOrder {
		fn := L.Get(i + 1).(*lua.LFunction)
		helpers[arithOps[op].local] = fn
		events[fn.Proto] = arithOps[op].event
	}
	return helpers, events
}()

// arithMetamethod is the native a helper asks: nothing when both operands are numbers or
// numeric strings (the VM computes), else the metamethod of the first operand, or of the
// second, as LuaJIT looks them up; LuaJIT's error, at the line of the arithmetic, when
// neither has one.
func arithMetamethod(event string) lua.LGFunction {
	return func(L *lua.LState) int {
		a, b := L.Get(1), L.Get(2)
		na, nb := numeric(a), numeric(b)
		if na && nb {
			return 0
		}
		h := L.GetMetaField(a, event)
		if h == lua.LNil {
			h = L.GetMetaField(b, event)
		}
		if h == lua.LNil {
			bad, arg := a, 1
			if na {
				bad, arg = b, 2
			}
			L.Error(lua.LString(where(L, 2)+"attempt to perform arithmetic on "+helperOperandName(L, bad, arg)), 0)
		}
		L.Push(h)
		return 1
	}
}

// numeric reports whether v takes part in arithmetic as a number.
func numeric(v lua.LValue) bool {
	switch x := v.(type) {
	case lua.LNumber:
		return true
	case lua.LString:
		_, err := parseNumber(string(x))
		return err == nil
	}
	return false
}

// helperOperandName names argument arg of the helper the running native serves, as LuaJIT
// names an operand ("local 't' (a table value)"): read in the registers of the helper's
// caller, the arithmetic's function.
func helperOperandName(L *lua.LState, v lua.LValue, arg int) string {
	what := "a " + v.Type().String() + " value"
	fr := frameAt(L, 2)
	if fr == nil || fr.fn.IsG || fr.pc < 0 {
		return what
	}
	inst := fr.fn.Proto.Code[fr.pc]
	if op := opcode(inst); op != lua.OP_CALL && op != lua.OP_TAILCALL {
		return what
	}
	if name := fr.nameOf(argA(inst)+arg, fr.pc, 0); name != "" {
		return name + " (" + what + ")"
	}
	return what
}
