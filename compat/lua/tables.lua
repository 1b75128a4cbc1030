-- Table and base functions as OpenResty's LuaJIT: table.remove on an empty table,
-- table.insert's argument count, table.move present, table.unpack absent, gcinfo,
-- newproxy, setmetatable checks, require's message.
local function show(...)
  local t = {n = select("#", ...), ...}
  local out = {}
  for i = 1, t.n do out[i] = tostring(t[i]) end
  ngx.say(t.n, ": ", table.concat(out, ","))
end
local function clean(ok, err) return ok, (tostring(err):gsub("^[^:]*:%d+: ", "")) end
show(table.remove({}))
local t = {1, 2, 3}
show(table.remove(t, 1), #t, table.remove(t, 5), table.remove(t))
show(clean(pcall(table.insert, {}, 1, 2, 3)))
show(clean(pcall(table.insert, {})))
show(clean(pcall(table.insert, nil, 1)))
show(type(table.move), table.unpack, table.pack, type(gcinfo()), type(newproxy(true)))
show(table.concat(table.move({1, 2, 3}, 1, 3, 2), ","))
show(clean(pcall(table.concat, {{}})))
show(clean(pcall(table.concat, {1, 2}, ",", 1, 3)))
show(clean(pcall(setmetatable, 1, {})))
show(clean(pcall(setmetatable, {}, 1)))
show(clean(pcall(math.floor, "x")), math.max(1, "2"), math.abs("-1.5"))
show(tonumber(111, 2), tonumber("0x10"), tonumber("z", 36), tonumber(""), tonumber("1e2"))
local ok, err = pcall(require, "no.such.module")
show(ok, (err:match("^[^\n]*")), (err:match("\n\t[^\n]*")))
show(string.gfind, os.setenv, _GOPHER_LUA_VERSION)
