package luajit

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// pcall and xpcall a coroutine can yield across, as in LuaJIT.
//
// gopher-lua runs a Go function's PCall in a nested VM loop, out of which a coroutine
// cannot yield: "pcall(coroutine.yield, x)" inside a coroutine misbehaves. The pcall and
// xpcall made here are Lua functions, which the globals are while a coroutine runs in the
// state (errlib.go swaps them): they run the function as a coroutine of its own, resumed
// in a loop that passes each yield on to the enclosing coroutine and its resume values
// back, so that yields cross them; when no coroutine runs (a copy kept in a local) they
// tail-call the natives. Errors come back as from resume (in LuaJIT's wording, without
// variable names); coroutine.running inside such a call answers the enclosing coroutine.
const yieldableSrc = `
local native_pcall, native_xpcall, active, co, handler_call = ...
local create, resume, status, yield, running = co.create, co.resume, co.status, co.yield, co.running
local type, select = type, select
local outer = setmetatable({}, {__mode = "k"}) -- protected-call coroutine -> its caller's

local function finish(c, ok, ...)
  if not ok then
    return false, ...
  end
  if status(c) == "dead" then
    return true, ...
  end
  return finish(c, resume(c, yield(...)))
end

local function pass(...)
  return ...
end

local function start(f, ...)
  -- gopher-lua cannot resume a coroutine that yielded from a Go function its body
  -- called in tail position (pcall(coroutine.yield, v)): f is called, not tail-called
  local c = create(function(...) return pass(f(...)) end)
  outer[c] = running()
  return finish(c, resume(c, ...))
end

local function ypcall(...)
  if active[1] == 0 then
    return native_pcall(...)
  end
  local f = ...
  if type(f) ~= "function" then
    return native_pcall(...)
  end
  return start(...)
end

local function xfinish(handler, ok, ...)
  if ok then
    return true, ...
  end
  return false, handler_call(handler, (...))
end

local function yxpcall(...)
  if active[1] == 0 then
    return native_xpcall(...)
  end
  local f, handler = ...
  if type(f) ~= "function" or type(handler) ~= "function" then
    return native_xpcall(...)
  end
  return xfinish(handler, start(f, select(3, ...)))
end

co.running = function()
  local c = running()
  while c and outer[c] do
    c = outer[c]
  end
  return c
end

co.status = function(c)
  local s = status(c)
  if s == "normal" then
    local r = running()
    while r and outer[r] do
      r = outer[r]
      if r == c then
        return "running"
      end
    end
  end
  return s
end

return ypcall, yxpcall
`

// shimSource is the chunk name of the library functions written in Lua; error
// positions skip their frames as a built-in's.
const shimSource = "[C]"

func isShim(fn *lua.LFunction) bool {
	return fn != nil && !fn.IsG && fn.Proto.SourceName == shimSource
}

var yieldableProto = func() *lua.FunctionProto {
	chunk, err := parse.Parse(strings.NewReader(yieldableSrc), shimSource)
	if err != nil {
		panic(err)
	}
	p, err := Compile(chunk, shimSource)
	if err != nil {
		panic(err)
	}
	return p
}()
