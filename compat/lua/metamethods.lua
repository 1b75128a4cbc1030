-- Arithmetic metamethods as LuaJIT calls them (a callable table as __add, a metamethod that
-- yields), `return coroutine.yield()` resumed again, and goto/label errors
-- (luabind/luajit/arith.go, rewrite.go; LuaJIT-test-cleanup lang/meta/call.lua and
-- lib/coroutine/yield.lua "assorted").
local function show(...)
  local t = {n = select("#", ...), ...}
  local out = {}
  for i = 1, t.n do out[i] = tostring(t[i]) end
  ngx.say(t.n, ": ", table.concat(out, ","))
end

local tc = setmetatable({}, {__call = function(o, a, b) return o end})
local ta = setmetatable({}, {__add = tc})
local o, a = ta + ta
show(o == tc, a)
getmetatable(tc).__call = function(o, a, b) return a end
o, a = ta + ta
show(o == ta, a)

local co = coroutine.wrap(function(x)
  local v = setmetatable({x}, {__add = function(p, q) coroutine.yield(p[1] + q[1]) return 99 end})
  return v + v
end)
show(co(42), co())

local vec = {}
vec.__index = vec
vec.__sub = function(p, q) return setmetatable({x = p.x - q.x}, vec) end
vec.__mul = function(p, k) return setmetatable({x = p.x * k}, vec) end
vec.__div = function(p, k) return setmetatable({x = p.x / k}, vec) end
vec.__mod = function(p, k) return "mod" end
vec.__pow = function(p, k) return "pow" end
local v1, v2 = setmetatable({x = 5}, vec), setmetatable({x = 2}, vec)
show((v1 - v2).x, (v1 * 3).x, (v1 / 2).x, v1 % 2, 2 ^ v1, "10" + 5, 7 % -3, 2 ^ 0.5)
show(pcall(function() local t = {} return t + 1 end))
show(pcall(function() return 1 - {} end))
show(pcall(function() local q = {x = {}} return 2 * q.x end))
show(debug.getinfo ~= nil, setmetatable({}, {__div = function()
  local i = debug.getinfo(1, "n") return i.namewhat .. " " .. i.name end}) / 1)

local c2 = coroutine.create(function(...) local got = coroutine.yield(...) return coroutine.yield(got + 1) end)
show(coroutine.resume(c2, 1, 2))
show(coroutine.resume(c2, 10))
show(coroutine.resume(c2, "x", "y"))
show(coroutine.resume(c2))

show(loadstring("local x = 1\ngoto y\nx = 2", "=lbl"))
show(loadstring("local x = 1\n::a::\nx = 2\n::a::\n", "=lbl"))
show(loadstring("do\n goto l\n local z = 1\n ::l::\n print(z)\nend", "=lbl"))
local n = 0
for i = 1, 5 do
  if i % 2 == 0 then goto continue end
  n = n + i
  ::continue::
end
show(n)
