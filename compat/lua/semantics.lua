-- Language semantics LuaJIT's own test suite checks, as OpenResty's LuaJIT has them:
-- numeric for bounds and steps, __len and __unm, next, assert, debug.getinfo names,
-- pcall across a coroutine yield, syntax errors gopher-lua's parser would accept.
local function show(...)
  local t = {n = select("#", ...), ...}
  local out = {}
  for i = 1, t.n do out[i] = tostring(t[i]) end
  ngx.say(t.n, ": ", table.concat(out, ","))
end
local function clean(ok, err) return ok, (tostring(err):gsub("^[^:]*:%d+: ", "")) end
local n = 0
for i = "1", "3" do n = n + i end
show(n, type(n))
local lim = ngx.var.arg_n or "4"
n = 0
for i = 1, lim do n = n + 1 end
show(n)
n = 0
for i = 1, 3, 0 do n = n + 1 if n == 5 then break end end
show(n)
show(clean(pcall(function() for i = 1, "3x" do end end)))
show(clean(pcall(function() local x for i = x, 2 do end end)))
local t = setmetatable({1, 2, 3}, {__len = function() return 42 end})
show(#t)
local u = {}
setmetatable(u, {__unm = function(a, b) return a == u and b == u end})
show(-u)
show(clean(pcall(next, {a = 1}, "zz")))
show(pcall(assert, false, "msg"))
show(pcall(assert, nil))
local t2 = {}
function t2.named() local i = debug.getinfo(1, "n") return i.name, i.namewhat end
local a, b = t2.named()
show(a, b)
local info
local m = setmetatable({}, {__index = function() info = debug.getinfo(1, "n") end})
local _ = m.x
show(info.name, info.namewhat)
local co = coroutine.create(function() local ok, v = pcall(coroutine.yield, "in") return ok, v end)
show(coroutine.resume(co))
show(coroutine.resume(co, "back"))
show(load("x = 1e"))
show(load("x=1;;"))
