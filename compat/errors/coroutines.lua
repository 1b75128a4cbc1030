-- Coroutine errors: a coroutine's runtime error names the variable (read while its frames
-- are alive), resuming a running or normal coroutine is refused (gopher-lua recursed
-- until the Go stack overflowed, ending the process), -0 beside 0 in one function.
local function show(...)
  local t = {n = select("#", ...), ...}
  local out = {}
  for i = 1, t.n do out[i] = tostring(t[i]) end
  ngx.say(t.n, ": ", table.concat(out, ","))
end
show(coroutine.resume(coroutine.create(function() local t; return t.x end)))
show(coroutine.resume(coroutine.create(function() local s = "x"; return s:bad() end)))
local c = coroutine.create(function() coroutine.yield(1) local u; return u + 1 end)
show(coroutine.resume(c))
show(coroutine.resume(c))
show(coroutine.resume(c))
show(coroutine.resume(coroutine.create(function() return pcall(function() local z; return z.q end) end)))
local a, b
b = coroutine.create(function() return coroutine.resume(a) end)
a = coroutine.create(function() return coroutine.resume(b) end)
show(coroutine.resume(a))
local co
co = coroutine.create(function() return coroutine.resume(co) end)
show(coroutine.resume(co))
local t = {0, -0.0, -0, 0}
show(1 / t[1], 1 / t[2], 1 / t[3], 1 / t[4], tostring(-0.0), -0 == 0)
