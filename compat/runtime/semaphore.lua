-- ngx.semaphore: return values of wait/post/count, and a post waking a waiting light thread.
local semaphore = require "ngx.semaphore"
local sema = semaphore.new(0)
ngx.say("wait(0): ", tostring(select(1, sema:wait(0))), " ", tostring(select(2, sema:wait(0))))
local a, b = sema:wait(0.01)
ngx.say("wait(0.01): ", tostring(a), " ", tostring(b))
ngx.say("type: ", type(sema), " count: ", sema:count())
local t = ngx.thread.spawn(function()
    local ok, err = sema:wait(1)
    return ok, err
end)
ngx.say("count with a waiter: ", sema:count())
ngx.say("post: ", tostring(sema:post(1)))
ngx.say("waiter: ", table.concat({tostring(select(2, ngx.thread.wait(t)))}, " "))
ngx.say("post(2), count: ", tostring(sema:post(2)), " ", sema:count())
ngx.say("new(-1): ", tostring(select(2, pcall(semaphore.new, -1))):gsub("^.-:%d+: ", ""))
