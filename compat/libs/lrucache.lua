-- resty.lrucache: eviction order, get's stale value and flags, get_keys, delete, count,
-- capacity, flush_all, non-string keys, and the pureffi variant's bucket_sz.
for _, name in ipairs { "resty.lrucache", "resty.lrucache.pureffi" } do
    local lrucache = require(name)
    ngx.say(name, ": ", select(2, lrucache.new(0)))
    local c = lrucache.new(3)
    c:set("a", 1) c:set("b", 2, nil, 7) c:set("c", 3)
    ngx.say(c:get("a"), " ", select(3, c:get("b")), " ", c:count(), " ", c:capacity())
    c:set("d", 4)
    ngx.say(tostring(c:get("c")), " ", table.concat(c:get_keys(), ","), " ", table.concat(c:get_keys(2), ","))
    c:set("e", 5, -1, 3)
    local v, stale, flags = c:get("e")
    ngx.say(tostring(v), " ", stale, " ", flags)
    ngx.say(tostring(c:delete("e")), " ", tostring(c:delete("e")), " ", c:count())
    local k = { 1 }
    c:set(k, "table key") c:set(1.5, "number key")
    ngx.say(c:get(k), " ", c:get(1.5))
    c:flush_all()
    ngx.say(c:count(), " ", #c:get_keys(), " ", tostring(c:get("a")))
end
local pureffi = require "resty.lrucache.pureffi"
ngx.say(pureffi.new(1, 0.25).bucket_sz, " ", pureffi.new(3, 0.05).bucket_sz, " ", pureffi.new(3, 2.1).bucket_sz)
