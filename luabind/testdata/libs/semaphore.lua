-- a post wakes the waiting light thread first: a wait(0) before it ran times out
local semaphore = require "ngx.semaphore"
local sem = semaphore.new(1)
local function wait_1s()
    ngx.say("enter 1s wait")
    local ok, err = sem:wait(1)
    ngx.say(ok and "wait success in 1s wait" or "err in wait 1s: " .. err)
end
local function wait_0()
    local ok, err = sem:wait(0)
    ngx.say(ok and "wait success" or "err: " .. err)
end
wait_0()
wait_0()
ngx.thread.spawn(wait_1s)
ngx.say("back in main thread")
wait_0()
sem:post(2)
wait_0()
ngx.say("count ", sem:count())
ngx.say("still in main thread")
ngx.sleep(0.01)
wait_0()
ngx.say("main thread end")
