-- Behaviours lua-nginx-module's own test suite pins (docs/lua-nginx-module-suite.md):
-- ngx.re.sub/gsub with templates that do not compile, ngx.var.args set to nil and back,
-- ngx.sleep's argument errors, ngx.worker.pids, coroutine.status of light threads.
local function strip(s) return (tostring(s):gsub("^.-:%d+: ", "")) end
for _, t in ipairs{"[$0] [$1] [$hello]", "[${hello}]", "[${134]", "[${134", "[${", "[$", "$$ $a",
                   "${1a}", "${}", "$ ", "${-1}", "[$1$2$$]"} do
    local s, n, err = ngx.re.sub("b c d", "(b) (c)", t)
    local gs, gn, gerr = ngx.re.gsub("b c d", "(b) (c)", t)
    ngx.say(t, " => ", tostring(s), " ", tostring(n), " ", tostring(err), " | ",
            tostring(gs), " ", tostring(gn), " ", tostring(gerr))
end
ngx.say("args: ", tostring(ngx.var.args))
ngx.var.args = nil
ngx.say("args nil: ", tostring(ngx.var.args), " ", tostring(ngx.var.arg_a))
ngx.var.args = "a=1&b=2"
ngx.say("args set: ", ngx.var.args, " ", ngx.var.arg_b, " ", ngx.var.request_uri)
ngx.var.args = 7
ngx.say("args number: ", ngx.var.args)
for _, a in ipairs{"x", -1, -2.5, -0.0001, {}} do
    ngx.say("sleep(", tostring(type(a) == "table" and "{}" or a), "): ", strip(select(2, pcall(ngx.sleep, a))))
end
ngx.say("sleep(): ", strip(select(2, pcall(ngx.sleep))))
ngx.say("sleep(1, 2): ", strip(select(2, pcall(ngx.sleep, 1, 2))))
local pids = ngx.worker.pids()
local found = false
for i = 1, #pids do found = found or pids[i] == ngx.worker.pid() end
ngx.say("pids: ", type(pids), " ", #pids == ngx.worker.count(), " ", found)
local t = ngx.thread.spawn(function() return "done" end)
ngx.say("uthread ended: ", coroutine.status(t))
ngx.thread.wait(t)
ngx.say("uthread waited: ", coroutine.status(t))
local s = ngx.thread.spawn(function() ngx.sleep(0.01) end)
ngx.say("uthread sleeping: ", coroutine.status(s))
ngx.thread.wait(s)
