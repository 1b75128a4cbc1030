-- cjson: arrays vs objects, null, empty tables, escaping, number formatting and errors.
local cjson = require "cjson"
ngx.say(cjson.encode({ 1, 2, 3 }))
ngx.say(cjson.encode({}))
ngx.say(cjson.encode({ a = cjson.null }))
ngx.say(cjson.encode("a/b\n\"q\"\1"))
ngx.say(cjson.encode({ 0.1, 1e15, 1/3, -0.0, 123456789012 }))
ngx.say(cjson.encode(setmetatable({}, cjson.empty_array_mt)))
ngx.say(cjson.null == ngx.null)
local t = cjson.decode('{"a":[1,2,{"b":null}],"c":"\\u00e9\\ud83d\\ude00"}')
ngx.say(#t.a, " ", tostring(t.a[3].b == cjson.null), " ", t.c)
for _, bad in ipairs({ "{", "[1,]", "nul", '{"a" 1}', "1 2" }) do
    ngx.say(bad, " -> ", select(2, pcall(cjson.decode, bad)))
end
ngx.say(select(2, pcall(cjson.encode, function() end)))
local safe = require "cjson.safe"
ngx.say(tostring(select(1, safe.decode("{"))), " ", select(2, safe.decode("{")))
