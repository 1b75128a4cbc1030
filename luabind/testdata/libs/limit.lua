local limit_req = require "resty.limit.req"
local limit_conn = require "resty.limit.conn"
local limit_count = require "resty.limit.count"
local limit_traffic = require "resty.limit.traffic"
ngx.say(limit_req._VERSION, " ", select(2, limit_req.new("nosuch", 1, 1)))
ngx.say(select(2, pcall(limit_req.new, "req", 0, 1)):match("assertion failed!$"))
local lr = limit_req.new("req", 1, 2)
for i = 1, 4 do
    local delay, err = lr:incoming("k", true)
    ngx.say("req ", i, ": ", delay and string.format("%.1f", delay) or "nil", " ", err and (type(err) == "number" and string.format("%.1f", err) or err) or "nil")
end
ngx.say("uncommit: ", lr:uncommit("k"), " ", select(2, lr:uncommit("nokey")))
ngx.shared.req:set("bad", "xx")
ngx.say("abused: ", select(2, lr:incoming("bad", true)))
local lc = limit_conn.new("conn", 1, 1, 0.5)
ngx.say("conn 1: ", lc:incoming("c", true))
ngx.say("committed: ", lc:is_committed())
ngx.say("conn 2: ", lc:incoming("c", true))
ngx.say("conn 3: ", lc:incoming("c", true))
ngx.say("leaving: ", lc:leaving("c", 0.1), " delay now ", lc.unit_delay)
ngx.say("uncommit: ", lc:uncommit("c"))
local cnt = limit_count.new("count", 2, 60)
ngx.say("count: ", cnt:incoming("n", true))
ngx.say("count: ", cnt:incoming("n", false))
ngx.say("count: ", cnt:incoming("n", true))
ngx.say("count: ", cnt:incoming("n", true))
ngx.say("uncommit: ", cnt:uncommit("n"), " ", cnt:uncommit("none"))
local states = {}
local l1 = limit_count.new("count", 1, 60)
local l2 = limit_conn.new("conn", 5, 0, 0.5)
ngx.say("combine: ", limit_traffic.combine({l2, l1}, {"x", "y"}, states), " ", states[1], " ", states[2])
ngx.say("combine: ", limit_traffic.combine({l2, l1}, {"x", "y"}, states))
ngx.say("conn x: ", ngx.shared.conn:get("x"))
