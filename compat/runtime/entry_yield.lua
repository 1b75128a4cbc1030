-- coroutine.yield in a light thread itself (not a coroutine it made) yields to lua-nginx-module's
-- scheduler and the thread goes on at once (091-coroutine TEST 9, 093-uthread-spawn TEST 16); the
-- entry thread is coroutine.running() and "running".
local yield = coroutine.yield
local function f()
  local self = coroutine.running()
  ngx.say("f 1")
  yield(self)
  ngx.say("f 2")
  yield(self)
  ngx.say("f 3")
end
local self = coroutine.running()
ngx.say("0")
yield(self)
ngx.say("1")
ngx.thread.spawn(f)
ngx.say("2")
yield(self)
ngx.say("3")
yield(self)
ngx.say("4")
ngx.say(coroutine.status(self))
local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
ngx.say(coroutine.resume(co, 1))
ngx.say(coroutine.resume(co, 10))
