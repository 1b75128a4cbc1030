-- String functions as LuaJIT 2.1's: match/find returning nil, gmatch, the frontier
-- pattern, gsub replacements, argument errors, string.dump round trip.
local function show(...)
  local t = {n = select("#", ...), ...}
  local out = {}
  for i = 1, t.n do out[i] = tostring(t[i]) end
  ngx.say(t.n, ": ", table.concat(out, ","))
end
local function clean(ok, err) return ok, (tostring(err):gsub("^[^:]*:%d+: ", "")) end
show(("abc"):match("(%d+)"))
show(tonumber(("v=x"):match("(%d+)")))
show(("abc"):find("x"), string.find("abc", "", 10), string.find("abc", "b", -2))
show(string.match("key=val", "(%w+)=(%w+)"), string.match("  x", "()x()"))
local words = {}
for w in ("one two  three"):gmatch("%a+") do words[#words + 1] = w end
show(table.concat(words, "|"))
show(string.gsub("THE (quick) fox", "%f[%a]%a+", "W"))
show(string.gsub("hello world", "o", {o = "0"}), string.gsub("abc", "%w", "%0%0"))
show(string.gsub("abc", "", "-"), string.gsub("f(a(b)c) g(x)", "%b()", "[]"))
show(clean(pcall(string.gsub, "abc", "b", "%2")))
show(clean(pcall(string.find, "abc", "[a-")))
show(clean(pcall(string.rep)))
show(clean(pcall(string.sub, "x", {})))
show(string.byte("abc", -1), select("#", string.byte("")), string.sub("abc", 0), string.char(72, "105"))
show(clean(pcall(string.char, 256)))
local function f(a) return a * 2 end
local d = string.dump(f)
show(d:sub(1, 3) == "\27LJ", loadstring(d)(21), load(d)(4))
show(loadstring("return 0xA.8p0 + 0x1p4")(), loadstring("#!/usr/bin/env resty\nreturn 7")())
