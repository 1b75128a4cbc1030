-- ngx.thread.wait on a user thread that died of error(): lua-nginx-module returns the
-- argument error() was given (no position), not the message it logs (098-uthread-wait
-- TEST 7, 8, 14, 15). Runtime errors are left out: nginx returns whatever was left on the
-- dead coroutine's stack there.
local function f()
  ngx.say("hello in thread")
  error("bad bad!")
end
local t = ngx.thread.spawn(f)
ngx.say("thread created: ", coroutine.status(t))
local ok, res = ngx.thread.wait(t)
ngx.say(ok, " ", res)
local t2 = ngx.thread.spawn(function() ngx.sleep(0.001) error({}) end)
local ok2, res2 = ngx.thread.wait(t2)
ngx.say(ok2, " ", type(res2))
local t4 = ngx.thread.spawn(function() error("lvl0", 0) end)
ngx.say(ngx.thread.wait(t4))
local t5 = ngx.thread.spawn(function() ngx.sleep(0.001) error("with io") end)
local ok5, res5 = ngx.thread.wait(t5)
ngx.say(ok5, " ", res5)
