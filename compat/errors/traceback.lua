-- debug.traceback as LuaJIT writes it: names from the calling instruction, main chunk at the
-- bottom, tail calls leave no frame, xpcall's handler gets the error in LuaJIT's words and
-- its traceback starts at the failing frame (luabind/luajit/traceback.go).
local function inner(t)
  return t.x.y
end
local function outer()
  return (inner({}))
end
ngx.say(debug.traceback("msg"))
local co = coroutine.create(function() ngx.say(debug.traceback("inco")) end)
coroutine.resume(co)
ngx.say(select(2, xpcall(outer, debug.traceback)))
ngx.say(select(2, xpcall(function() error("boom") end, debug.traceback)))
ngx.say(debug.traceback(co, "co"))
ngx.say(debug.traceback("lvl2", 2))
local t = setmetatable({}, {__index = function(t, k) return debug.traceback("idx") end})
ngx.say(t.foo)
ngx.say(select(2, pcall(string.rep)))
ngx.say(debug.traceback())
ngx.say(debug.traceback(nil))
ngx.say(debug.traceback({}))
ngx.say(debug.traceback(12))
