package luajit

import "testing"

// TestFidelity holds the library behaviours of issue 9 (string patterns, concatenation,
// table functions, argument checks, string.dump, literals), each checked against Debian's
// LuaJIT 2.1 (luajit2 2.1-20230119, the interpreter of OpenResty's branch) running the same
// chunk as "=test": results joined by "|" through tostring, trailing nils dropped, errors
// as "ERR msg" (pcall'ed ones as false|msg).
func TestFidelity(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"match no capture is nil", `return select("#", ("abc"):match("(%d+)")), tonumber(("abc"):match("(%d+)"))`, "1"},
		{"match captures", `return string.match("key=val", "(%w+)=(%w+)")`, "key|val"},
		{"match position captures", `return string.match("  x", "()x()")`, "3|4"},
		{"match anchored", `return string.match("abc", "^b"), string.match("abc", "^a")`, "nil|a"},
		{"find plain and init", `return string.find("a.b", ".", 1, true), string.find("abc", "b", 10), string.find("abc", "", 10), string.find("abc", "", 4)`, "2|nil|4|4|3"},
		{"find negative init", `return string.find("abcabc", "b", -2), string.find("abc", "a", -10)`, "5|1|1"},
		{"find lazy", `return string.find("aaa", "a-", 2)`, "2|1"},
		{"find captures", `return string.find("hello world", "(o)(r)")`, "8|9|o|r"},
		{"gmatch", `local t = {} for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do t[#t+1] = k .. v end return table.concat(t, ",")`, "a1,b2"},
		{"gmatch empty matches", `local t = {} for k in ("abc"):gmatch("") do t[#t+1] = "[" .. k .. "]" end return table.concat(t)`, "[][][][]"},
		{"gmatch no match", `local n = 0 for k in ("abc"):gmatch("x") do n = n + 1 end return n`, "0"},
		{"frontier", `return string.gsub("THE (quick) fox", "%f[%a]%a+", "W")`, "W (W) W|3"},
		{"frontier end", `return string.gsub("hello world", "%f[%w]%w+%f[%W]", "X")`, "X X|2"},
		{"gsub table and function", `return string.gsub("hello world", "o", {o="0"}), string.gsub("abc", "%w", "%0%0"), string.gsub("abc", "", "-")`, "hell0 w0rld|aabbcc|-a-b-c-|4"},
		{"gsub function false keeps", `return string.gsub("abc", "%w", function(c) if c == "b" then return false end return c:upper() end)`, "AbC|3"},
		{"gsub limit", `return string.gsub("aaaa", "a", "b", 2)`, "bbaa|2"},
		{"gsub anchored", `return string.gsub("aaa", "^a", "b")`, "baa|1"},
		{"gsub balance", `return string.gsub("f(a(b)c) g(x)", "%b()", "[]")`, "f[] g[]|2"},
		{"gsub backref", `return string.gsub("hello", "(l)%1", "<%1>")`, "he<l>o|1"},
		{"gsub number repl", `return string.gsub("abc", "b", 1/3)`, "a0.33333333333333c|1"},
		{"gsub bad capture index", `return pcall(string.gsub, "abc", "b", "%2")`, "false|invalid capture index"},
		{"gsub bad repl type", `return pcall(string.gsub, "abc", "b", true)`, "false|bad argument #3 to '?' (string/function/table expected)"},
		{"gsub bad repl value", `return pcall(string.gsub, "abc", "b", function() return {} end)`, "false|invalid replacement value (a table)"},
		{"pattern missing bracket", `return pcall(string.find, "abc", "[a-")`, "false|malformed pattern (missing ']')"},
		{"pattern ends with pct", `return pcall(string.find, "abc", "a%")`, "false|malformed pattern (ends with '%')"},
		{"pattern unfinished capture", `return pcall(string.match, "abc", "(a")`, "false|unfinished capture"},
		{"pattern invalid capture", `return pcall(string.match, "abc", "a)")`, "false|invalid pattern capture"},
		{"pattern frontier without bracket", `return pcall(string.find, "abc", "%fa")`, "false|missing '[' after '%f' in pattern"},
		{"pattern classes", `return string.gsub("aB1 _.\t", "[%a]", "a"), string.gsub("aB1 _.\t", "%W", "w"), string.gsub("x]y", "[]]", "!")`, "aa1 _.\t|aB1wwww|x!y|1"},
		{"byte char sub", `return select("#", string.byte("")), string.byte("abc", 0), string.byte("abc", -1), string.sub("abc", 2, 100), string.sub("abc", -2), string.sub("abc", 0), string.sub("abc", 3, 2)`, "0|nil|99|bc|bc|abc|"},
		{"char errors", `return pcall(string.char, 256), string.char(), string.char("65")`, "false||A"},
		{"sub errors", `return pcall(string.sub), pcall(string.sub, "x", {})`, "false|false|bad argument #2 to '?' (number expected, got table)"},
		{"len of number", `return string.len(1/3), string.len(1e15), #tostring(-0.0)`, "16|5|2"},
		{"upper lower reverse", `return ("aBc"):upper(), ("aBc"):lower(), ("abc"):reverse(), string.upper(12)`, "ABC|abc|cba|12"},
		{"string arg errors", `return pcall(string.len), pcall(string.upper, {}), pcall(string.find, "x")`, "false|false|false|bad argument #2 to '?' (string expected, got no value)"},
		{"concat numbers", `local x, y, z = 1e15, 1/3, -0.0 return "x" .. x, "" .. y, "" .. z, "" .. 0/0, "" .. math.huge, "" .. -math.huge, "" .. 2^53`, "x1e+15|0.33333333333333|-0|nan|inf|-inf|9.007199254741e+15"},
		{"concat constants", `return "a" .. 1e15 .. "b", 1 .. 2, "a" .. "b" .. "c"`, "a1e+15b|12|abc"},
		{"concat chain", `local a, b, c = "a", 2, "c" return a .. b .. c, (a .. b) .. c, a .. (b .. c)`, "a2c|a2c|a2c"},
		{"concat multiple results truncated", `local function f() return "x", "y" end return "[" .. f(), "[" .. f() .. "]"`, "[x|[x]"},
		{"concat metamethod", `local mt = {__concat = function(a, b) local x = type(a) == "table" and "T" or a local y = type(b) == "table" and "T" or b return x .. "+" .. y end} local t = setmetatable({}, mt) return t .. "s", "s" .. t, 1 .. t, "a" .. t .. "b"`, "T+s|s+T|1+T|aT+b"},
		{"concat error", `local t = {} return pcall(function() return "a" .. t end), pcall(function() return "a" .. nil end), pcall(function() return {} .. "a" end)`, "false|false|false|test:1: attempt to concatenate a table value"},
		{"table.concat numbers", `return table.concat({1/3, 1e15, -0.0}, " "), table.concat({1, 2, 3}, ", ", 2, 3), table.concat({}, "x")`, "0.33333333333333 1e+15 -0|2, 3|"},
		{"table.concat errors", `return pcall(table.concat, {{}}), pcall(table.concat, {1, 2}, ",", 1, 3)`, "false|false|invalid value (nil) at index 3 in table for 'concat'"},
		{"table.remove", `local t = {1, 2, 3} return select("#", table.remove({})), table.remove(t, 1), #t, select("#", table.remove(t, 5)), table.remove(t), #t, select("#", table.remove({}, 1))`, "0|1|2|0|3|1|0"},
		{"table.insert", `local t = {} table.insert(t, "a") table.insert(t, 1, "b") table.insert(t, 3, "c") return table.concat(t, ","), pcall(table.insert, {}, 1, 2, 3), pcall(table.insert, {}), pcall(table.insert, {}, "x", 1)`, "b,a,c|false|false|false|bad argument #2 to '?' (number expected, got string)"},
		{"table.move", `local t = table.move({1, 2, 3}, 1, 3, 2) local u = table.move({1, 2}, 1, 2, 1, {}) return table.concat(t, ","), table.concat(u, ","), table.unpack`, "1,1,2,3|1,2"},
		{"table.foreach", `local n = 0 table.foreachi({5, 6}, function(i, v) n = n + i * v end) return n, table.foreachi({1, 2}, function(i) if i == 2 then return "stop" end end), table.getn({1, 2, 3})`, "17|stop|3"},
		{"table extensions", `return table.maxn({1, nil, 3}), type(table.new), type(table.clear), type(table.nkeys)`, "3|function|function|nil"}, // OpenResty's: lua-resty-core requires table.new and table.clear
		{"math checks", `return pcall(math.abs), pcall(math.floor, "x"), math.abs("-1.5"), math.max(1, "2"), pcall(math.min), math.fmod(5.5, 2), math.modf(-3.5)`, "false|false|1.5|2|false|1.5|-3|-0.5"},
		{"math edge", `return 1/math.floor(-0.0), 1/math.ceil(-0.5), math.frexp(8), math.ldexp(1, 3), math.log(8, 2), math.log(100, 10)`, "-inf|-inf|0.5|8|3|2"},
		{"gcinfo newproxy", `return type(gcinfo()), type(newproxy()), type(getmetatable(newproxy(true)))`, "number|userdata|table"},
		{"setmetatable checks", `return pcall(setmetatable, 1, {}), pcall(setmetatable, {}, 1), pcall(getmetatable), getmetatable(setmetatable({}, {__metatable = "locked"})), pcall(setmetatable, setmetatable({}, {__metatable = 1}), {})`, "false|false|false|locked|false|cannot change a protected metatable"},
		{"dump and load", `local function f(a) return a * 2, "x" .. a end local d = string.dump(f) local g = loadstring(d) return d:sub(1, 3) == "\27LJ", g(21), string.dump(g) == d, pcall(string.dump, print)`, "true|42|true|false|unable to dump given function"},
		{"dump constants", `local function f1() return -0x80000000 end local function f2() return 0.971234567 end return loadstring(string.dump(f1))(), loadstring(string.dump(f2))()`, "-2147483648|0.971234567"},
		{"hex float literals", `return 0xA.8p0, 0x1p4, 0x.8, 0X1P-2, 0x10, loadstring("return 0xep+9")()`, "10.5|16|0.5|0.25|16|7168"},
		{"shebang", `return loadstring("#!/usr/bin/env resty\nreturn 1")(), loadstring("# comment line\nreturn 2")()`, "1|2"},
		{"goto as a name", `local f = loadstring("goto = 1 return goto") return f()`, "1"},
		{"negative zero constant", `return tostring(-0), 1/(-0), tostring(0 * -1)`, "-0|-inf|-0"},
		{"no vararg arg table", `arg = "global" local function f(...) return arg end return f(1, 2)`, "global"},
		{"format a rounding", `return string.format("%.0a|%.0a|%.1a|%.1a|%.3a", 1.7976931348623e+308, 1.5, 1.03125, 1+0x18/0x100, 255.5)`, "0x2p+1023|0x2p+0|0x1.1p+0|0x1.2p+0|0x1.ff0p+7"},
		{"require message", `package.path = "/nonexistent/?.lua" package.cpath = "" return pcall(require, "no.such")`, "false|module 'no.such' not found:\n\tno field package.preload['no.such']\n\tno file '/nonexistent/no/such.lua'"},
		{"tonumber of a number with base", `return tonumber(111, 2), tonumber(10, 16)`, "7|16"},
		{"upvalues without the concat one", `local a, b = "x", 1 local function f() return a .. b end return debug.getupvalue(f, 1), debug.getupvalue(f, 2), select("#", debug.getupvalue(f, 3)), debug.setupvalue(f, 2, 5), f()`, "a|b|0|b|x5"},
		{"library contents", `return string.gfind, table.unpack, os.setenv, _GOPHER_LUA_VERSION, math.mod, type(string.dump), getmetatable("").__index == string`, "nil|nil|nil|nil|nil|function|true"},
		// table.sort (tabsort.go): Lua 5.1's quicksort over 1..#t
		{"sort after trailing nils", `local t = {} t[1] = "b" t[2] = nil t[2] = "a" t[3] = nil table.sort(t) return table.concat(t, ",")`, "a,b"},
		{"sort ties in LuaJIT's order", `local r = {} for i = 1, 30 do r[i] = {k = i % 4, id = i} end table.sort(r, function(a, b) return a.k < b.k end) local o = {} for i = 1, #r do o[i] = r[i].id end return table.concat(o, " ")`, "20 12 24 4 8 16 28 13 1 29 21 9 17 25 5 26 22 18 30 14 2 10 6 7 11 23 27 19 3 15"},
		{"sort invalid order function", `return pcall(table.sort, {3, 1, 2, 5, 4, 7, 6, 9, 8, 10, 12, 11}, function() return true end)`, "false|invalid order function for sorting"},
		{"sort compare error has no position", `return pcall(table.sort, {1, "x", 2})`, "false|attempt to compare string with number"},
		{"sort two tables", `return pcall(table.sort, {{}, {}})`, "false|attempt to compare two table values"},
		{"sort bad comparator", `return pcall(table.sort, {1, 2}, 3)`, "false|bad argument #2 to '?' (function expected, got number)"},
		{"sort __lt", `local mt = {__lt = function(a, b) return a.v < b.v end} local o = {} for i = 1, 9 do o[i] = setmetatable({v = (i * 5) % 9}, mt) end table.sort(o) local r = {} for i = 1, 9 do r[i] = o[i].v end return table.concat(r, " ")`, "0 1 2 3 4 5 6 7 8"},
		// multiple assignment (massign.go): values are computed before any target changes
		{"massign reads old local", `local a, b = 0, 0 a, b = a + 1, a + b return a, b`, "1|0"},
		{"massign index of old local", `local e, t = {7, 8} e, t = e[1], e[2] return e, t`, "7|8"},
		{"massign field gets old local", `local b, s = 1, {} b, s.y = b + 1, b return b, s.y`, "2|1"},
		{"massign swap", `local x, y = 1, 2 x, y = y, x local p = {1, 2} p[1], p[2] = p[2], p[1] return x, y, p[1], p[2]`, "2|1|2|1"},
		{"massign after generic for", `local a = "::1" local at = string.find(a, "::", 1, true) for _ in a:gmatch(":") do end a, at = "0" .. a, at + 1 return a, at`, "0::1|2"},
		{"massign target table before values", `local o = {} local old = o o, o.x = {}, 5 return o.x, old.x`, "nil|5"},
		{"massign key before values", `local i, q = 1, {} i, q[i] = i + 1, 20 return i, q[1], q[2]`, "2|20"},
		{"massign call results", `local u, v, w = 1 u, v, w = (function() return 9, 8, 7 end)() return u, v, w`, "9|8|7"},
		{"massign fewer values", `local m, n = 1, 2 m, n = n return m, n`, "2"},
		{"massign upvalues", `local c, d = 1, 2 local function f() c, d = d, c end f() return c, d`, "2|1"},
		{"massign global target and key", `a = {} i = 3 i, a[i] = i + 1, 20 return i, a[3], a[4]`, "4|20"},
		{"massign stores right to left", `x, x = 1, 2 local y y, y = 1, 2 local t = {} t.x, t.x = 1, 2 return x, y, t.x`, "1|1|1"},
		{"massign error names the table", `local q return pcall(function() q.x, a = 1, 2 end)`, "false|test:1: attempt to index upvalue 'q' (a nil value)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			L := newState(t)
			if got := run(t, L, c.src); got != c.want {
				t.Errorf("%s\ngot  %q\nwant %q", c.src, got, c.want)
			}
		})
	}
}
