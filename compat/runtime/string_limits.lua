-- LuaJIT's string limit: string.rep's count is an int32 (2^31 gives ""), a result past the
-- limit fails at once with "not enough memory"; table.concat's elements and errors.
local function try(f, ...)
    local ok, res = pcall(f, ...)
    if ok then return "ok " .. #res end
    return "err " .. tostring(res)
end
ngx.say(try(string.rep, "x", 2^31))
ngx.say(try(string.rep, "x", 2^32 + 3))
ngx.say(try(string.rep, "x", 2^31 - 1))
ngx.say(try(string.rep, "xx", 2^30))
ngx.say(try(string.rep, "x", 2^30 + 1, "y"))
ngx.say(try(string.rep, "x", 3.9))
local t = {}
for i = 1, 2049 do t[i] = "x" end
ngx.say(try(table.concat, t, string.rep(",", 2^20)))
ngx.say(table.concat({ 1, 2.5, 1e15, "a" }, ",", 2))
ngx.say(try(table.concat, { 1, true }))
ngx.say(try(table.concat, { 1 }, ",", 1, 2))
