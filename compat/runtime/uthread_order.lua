-- lua-nginx-module's scheduler: spawn and coroutine.yield in a light thread post the thread,
-- and posted threads run in the order they were posted once the running one yields, blocks
-- or ends (093-uthread-spawn TEST 10, 11, 14, 17; 098-uthread-wait TEST 18).
local out = {}
local function say(...) out[#out + 1] = table.concat({...}) end

-- nested spawns: the grandchild ends, the entry thread goes on before the child
local function g() say("hello in g()") end
local function f() say("before g") ngx.thread.spawn(g) say("after g") end
say("before f")
local t = ngx.thread.spawn(f)
say("after f")
ngx.thread.wait(t)

-- nested spawns with I/O in the grandchild
local function g2() ngx.sleep(0.1) say("hello in g2()") end
local t2
local function f2() say("before g2") t2 = ngx.thread.spawn(g2) say("after g2") ngx.thread.wait(t2) end
say("before f2")
local t3 = ngx.thread.spawn(f2)
say("after f2")
ngx.thread.wait(t3)

-- manual time slicing between two user threads; yield's results
local function slicer(name)
  return function()
    say(name, " 1 ", select("#", coroutine.yield()))
    say(name, " 2")
    coroutine.yield()
    say(name, " 3")
  end
end
local a = ngx.thread.spawn(slicer("a"))
local b = ngx.thread.spawn(slicer("b"))
say("spawned both")
ngx.thread.wait(a, b)
ngx.thread.wait(a, b)
say("alone: ", select("#", coroutine.yield()))

-- a user thread blocked in a coroutine it resumed is "normal"
local co
local t4 = ngx.thread.spawn(function()
  co = coroutine.running()
  coroutine.resume(coroutine.create(function() ngx.sleep(0.1) end))
end)
say("status: ", coroutine.status(co))
ngx.thread.wait(t4)
say("status after: ", coroutine.status(co))

-- a thread spawned in a coroutine belongs to that coroutine
local t5
coroutine.resume(coroutine.create(function() t5 = ngx.thread.spawn(function() ngx.sleep(0.01) return "done" end) end))
local _, err = pcall(function() local r = ngx.thread.wait(t5) return r end)
say("wait from entry: ", (err:gsub("^[^:]*/", "")))
say("kill from entry: ", select(2, ngx.thread.kill(t5)))

ngx.say(table.concat(out, "\n"))
