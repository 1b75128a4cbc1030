-- string.buffer (LuaJIT 2.1): put/get/skip/set/putf, # and .., and the serialisation
-- format (encode bytes of arrays and one-key tables, decode of every tag, the errors).
local buffer = require "string.buffer"
local function hex(s)
    return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end
local b = buffer.new()
b:put("a", 1, 2.5, -0, 1e15):putf("|%d|%5.2f", 7, 1.5)
ngx.say("len ", #b, " ", b:tostring())
ngx.say("get ", b:get(2), " ", b:get(nil), " ", #b)
b:set("hello"):skip(1)
ngx.say("set/skip ", b .. "!", " ", "<" .. b)
ngx.say("meta ", getmetatable(b), " ", type(b))
for _, v in ipairs { 1.5, -1, "abc", true, false, {}, { 1, 2 }, { [0] = 1, 2 }, { a = 1 }, { 1, a = 2 } } do
    ngx.say("encode ", hex(buffer.encode(v)))
end
ngx.say("null ", hex(buffer.encode(ngx.null)), " ", buffer.decode("\003") == ngx.null)
ngx.say("long ", hex(buffer.encode(string.rep("x", 300)):sub(1, 3)), " ", hex(buffer.encode(string.rep("y", 9000)):sub(1, 5)))
local t = buffer.decode(buffer.encode({ 1, "two", { 3, x = { y = "z" } }, k = false }))
ngx.say("roundtrip ", t[1], " ", t[2], " ", t[3][1], " ", t[3].x.y, " ", tostring(t.k))
local s = buffer.new()
s:encode(1):encode("s"):encode({ 2 })
ngx.say("stream ", s:decode(), " ", s:decode(), " ", s:decode()[1], " ", #s)
local mt = {}
local o = buffer.new({ dict = { "foo" }, metatable = { mt } })
local d = o:encode(setmetatable({ foo = "foo" }, mt)):decode()
ngx.say("options ", getmetatable(d) == mt, " ", d.foo)
local self = {}
self.self = self
for _, f in ipairs {
    function() return buffer.encode(print) end,
    function() return buffer.encode(self) end,
    function() return buffer.decode("") end,
    function() return buffer.decode("\0\0") end,
    function() return buffer.decode("\020") end,
    function() return buffer.decode("\009\001\000\002") end,
    function() return buffer.decode("\015\000") end,
    function() return buffer.new({ dict = { 1 } }) end,
} do
    ngx.say("error ", (select(2, pcall(f)):gsub("^.-:%d+: ", "")))
end
-- argument errors raised straight into pcall (no Lua frame to name the function)
ngx.say("error ", select(2, pcall(b.put, b, {})))
ngx.say("error ", select(2, pcall(b.put, b, b)))
ngx.say("error ", select(2, pcall(b.get, b, -1)))
ngx.say("error ", select(2, pcall(b.get, {})))
ngx.say("error ", select(2, pcall(buffer.new, -1)))
ngx.say("error ", select(2, pcall(buffer.new, "x")))
