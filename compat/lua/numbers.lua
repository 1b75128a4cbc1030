-- Numbers as LuaJIT turns them into strings: tostring, "..", table.concat,
-- string.format("%s"), string.len, ngx.say, cjson; -0 as a constant and at run time.
local cjson = require "cjson"
local x, third, nz, big = 1e15, 1/3, -0.0, 2^53
ngx.say(tostring(x), " ", tostring(third), " ", tostring(nz), " ", tostring(-0))
ngx.say("x" .. x, " ", "" .. third, " ", "" .. nz, " ", "" .. 0/0 ~= nil, " ", "" .. math.huge, " ", "" .. -math.huge, " ", "" .. big)
ngx.say("a" .. 1e15 .. "b", " ", 1 .. 2, " ", 1/(-0))
ngx.say(table.concat({third, x, nz, 42}, ","))
ngx.say(string.format("%s|%s|%.14g", third, x, big), " ", string.len(third), " ", #("" .. x))
ngx.say(third, " ", x, " ", nz, " ", big)
ngx.print(third, "\n")
ngx.say(cjson.encode({nz, third, x, 42, 0.1}))
local n = 0 * -1
ngx.say(tostring(n), " ", n .. "")
