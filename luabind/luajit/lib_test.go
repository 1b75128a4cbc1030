package luajit

import "testing"

// TestLib runs each snippet through Translate and a fresh state with Open. The expected
// results were produced by Debian's LuaJIT 2.1 running the same snippets as chunk "=test"
// (results joined by "|" through tostring, trailing nils dropped; errors as "ERR msg").
func TestLib(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{`tostring 1e15`, `return tostring(1e15)`, `1e+15`},
		{`tostring third`, `return tostring(1/3)`, `0.33333333333333`},
		{`tostring negzero`, `return tostring(-0.0)`, `-0`},
		{`tostring nan`, `local z = 0 return tostring(z/z), tostring(-(z/z))`, `nan|nan`},
		{`tostring inf`, `return tostring(math.huge), tostring(-math.huge)`, `inf|-inf`},
		{`tostring 2^53`, `return tostring(2^53), tostring(2^63), tostring(-2^63)`, `9.007199254741e+15|9.2233720368548e+18|-9.2233720368548e+18`},
		{`tostring ties`, `return tostring(123456789012345), tostring(1e13+0.5), tostring(1234567890123.25), tostring(1e14+5)`, `1.2345678901235e+14|10000000000001|1234567890123.3|1.0000000000001e+14`},
		{`tostring small`, `return tostring(0.1), tostring(100), tostring(-1e-6), tostring(1e-7), tostring(2^-1074), tostring(1e300*1e10)`, `0.1|100|-1e-06|1e-07|4.9406564584125e-324|inf`},
		{`tostring int`, `return tostring(12345678901234), tostring(-99), tostring(1e100)`, `12345678901234|-99|1e+100`},
		{`tostring meta`, `return tostring(setmetatable({}, {__tostring = function() return "T" end}))`, `T`},
		{`tostring novalue`, `return pcall(tostring)`, `false|bad argument #1 to '?' (value expected)`},
		{`format u`, `return string.format("%u %u %5u %d", 3.7, -3.7, 42, 3.7)`, `3 18446744073709551613    42 3`},
		{`format u big`, `return string.format("%u|%u|%u|%u|%x", 2^63, 2^64, 1e20, 0/0, -1)`, `9223372036854775808|0|9223372036854775808|9223372036854775808|ffffffffffffffff`},
		{`format int flags`, `return string.format("%-+ #05d|%+05d|%05s|%-5x|%#5o|%.3d|%i", 7, 7, "ab", 255, 8, 5, 3.9)`, `+7   |+0007|   ab|ff   |  010|005|3`},
		{`format float`, `return string.format("%.0f|%#.0f|%.3e|%10.4g|%-10.2f|%5.1f|%e|%g|%G", 2.5, 2.5, 123456, 1/3, 2.555, 3.14159, 12345.678, 1e20, 1e-10)`, `3|3.|1.235e+05|    0.3333|2.56      |  3.1|1.234568e+04|1e+20|1E-10`},
		{`format ties`, `return string.format("%.2f %.1f %.0f %.1e %.3g", 0.125, 0.25, 0.5, 0.125, 1.0625)`, `0.13 0.3 1 1.3e-01 1.06`},
		{`format inf nan`, `return string.format("%5.1f|%5s|%-6f|%+f|%05f|% f", 1/0, 1/0, -1/0, 1/0, 0/0, 1/0)`, `  inf|  inf|-inf  |+inf|  nan| inf`},
		{`format c`, `return string.format("%5c|%-3c|%c", 65, 66, 256+105)`, `    A|B  |i`},
		{`format a`, `return string.format("%a|%A|%.2a|%a|%a", 1, 255.5, 1/3, 0, -0.1)`, `0x1p+0|0X1.FFP+7|0x1.55p-2|0x0p+0|-0x1.999999999999ap-4`},
		{`format s`, `return string.format("%s|%10.3s|%.20f|%s|%s", 1/3, 2^53, 0.1, nil, true)`, `0.33333333333333|       9.0|0.10000000000000000555|nil|true`},
		{`format q`, `return string.format("%q", "a\0b\r\n\"\\\1\0012\127")`, `"a\0b\13\
\"\\\1\0012\127"`},
		{`format q num`, `return string.format("%q", 1/3)`, `"0.33333333333333"`},
		{`format s meta`, `return string.format("%s", setmetatable({}, {__tostring = function() return "T" end}))`, `T`},
		{`format missing`, `local s = string.format("%s %s", 1) return s`, `ERR test:1: bad argument #3 to 'format' (value expected)`},
		{`format bad num`, `local s = string.format("%d", {}) return s`, `ERR test:1: bad argument #2 to 'format' (number expected, got table)`},
		{`format bad opt`, `return pcall(string.format, "%y", 1)`, `false|invalid option '%y' to 'format'`},
		{`format bad prec`, `return pcall(string.format, "%10.123f", 1)`, `false|invalid option '%10.123' to 'format'`},
		{`format trailing pct`, `return pcall(string.format, "%", 1)`, `false|invalid option '%' to 'format'`},
		{`format no fmt`, `local s = string.format() return s`, `ERR test:1: bad argument #1 to 'format' (string expected, got no value)`},
		{`format str num`, `return string.format("%d|%5.1f", "12", "2.25")`, `12|  2.3`},
		{`xpcall args`, `return xpcall(function(a, b) return a + b end, print, 1, 2)`, `true|3`},
		{`xpcall nil args`, `return xpcall(function(...) return select('#', ...) end, print, nil, nil)`, `true|2`},
		{`xpcall handler`, `return xpcall(function(a) error({a}) end, function(e) return e[1] end, 4)`, `false|4`},
		{`xpcall msg`, `return xpcall(error, function(m) return "h:" .. m end, "boom", 0)`, `false|h:boom`},
		{`xpcall nohandler`, `return pcall(xpcall, function() end)`, `false|bad argument #2 to '?' (function expected, got no value)`},
		{`xpcall badhandler`, `return pcall(xpcall, function() end, 1)`, `false|bad argument #2 to '?' (function expected, got number)`},
		{`load string`, `return load("return 1 + ...")(41)`, `42`},
		{`load syntax`, `return load("x = = 1")`, `nil|[string "x = = 1"]:1: unexpected symbol near '='`},
		{`load syntax long`, `return load("x = = 1", "a very long chunk name that goes on and on and on and on forever")`, `nil|[string "a very long chunk name that goes on and on an..."]:1: unexpected symbol near '='`},
		{`load syntax file`, `return loadstring("x = = 1", "@file.lua")`, `nil|file.lua:1: unexpected symbol near '='`},
		{`load syntax name`, `return loadstring("x = = 1", "=name")`, `nil|name:1: unexpected symbol near '='`},
		{`load syntax eof`, `return load("return 1+")`, `nil|[string "return 1+"]:1: unexpected symbol near '<eof>'`},
		{`load syntax line`, `return load("x = 1\ny = = 2")`, `nil|[string "x = 1..."]:2: unexpected symbol near '='`},
		{`load eof`, `return load("x = 'abc")`, `nil|[string "x = 'abc"]:1: unfinished string near '<eof>'`},
		{`load escape`, `return load("return '\\q'")`, `nil|[string "return '\q'"]:1: invalid escape sequence near '''`},
		{`load translate`, `return load("return '\\x41\\z   \\u{42}'")()`, `AB`},
		{`load func`, `local n = 0 return load(function() n = n + 1 return ({"return ", "4", "2"})[n] end)()`, `42`},
		{`load reader bad`, `return pcall(load, function() return {} end)`, `true|nil|reader function must return a string`},
		{`load mode`, `return load("return 5", "x", "b")`, `nil|attempt to load chunk with wrong mode`},
		{`load env`, `return load("return y", "x", "t", {y = 9})()`, `9`},
		{`load runtime name`, `return pcall(load("error('e')", "chunk"))`, `false|[string "chunk"]:1: e`},
		{`load runtime default`, `return pcall(load("error('e')"))`, `false|[string "error('e')"]:1: e`},
		{`load bytecode`, `return load("\27Lua", "=bin")`, `nil|bin: cannot load incompatible bytecode`},
		{`load none`, `return pcall(load)`, `false|bad argument #1 to '?' (function expected, got no value)`},
		{`loadstring none`, `return pcall(loadstring)`, `false|bad argument #1 to '?' (function expected, got no value)`},
		{`gc count`, `return type(collectgarbage("count")), collectgarbage("count") > 0`, `number|true`},
		{`gc collect`, `return collectgarbage(), collectgarbage("collect")`, `0|0`},
		{`gc others`, `return collectgarbage("stop"), collectgarbage("isrunning"), collectgarbage("restart"), collectgarbage("isrunning"), collectgarbage("setpause", 100), collectgarbage("setpause", 200), collectgarbage("setstepmul", 300)`, `0|false|0|true|200|100|200`},
		{`gc step`, `return collectgarbage("step"), collectgarbage("step", 100)`, `false|true`},
		{`gc bad`, `return pcall(collectgarbage, "bogus")`, `false|bad argument #1 to '?' (invalid option 'bogus')`},
		{`unpack`, `return unpack({1, 2, 3}, 2)`, `2|3`},
		{`table.new`, `local t = require("table.new")(10, 2) t[1] = 1 return #t, type(table.new)`, `1|function`},
		{`table.new bad`, `return pcall(require("table.new"), 1)`, `false|bad argument #2 to '?' (number expected, got no value)`},
		{`table.clear`, `local t = {1, 2, x = 3} require("table.clear")(t) return #t, next(t)`, `0`},
		{`table.clear bad`, `return pcall(require("table.clear"), 1)`, `false|bad argument #1 to '?' (table expected, got number)`},
		{`table.nkeys`, `local nk = require "table.nkeys" return nk({}), nk({1, 2, 3, x = 1}), nk({nil, 2})`, `0|4|1`},
		{`table.isempty`, `local ie = require "table.isempty" return ie({}), ie({1}), ie({x = 1})`, `true|false|false`},
		{`table.isarray`, `local ia = require "table.isarray" return ia({}), ia({1, 2}), ia({1, nil, 3}), ia({x = 1}), ia({[1.5] = 1}), ia({[0] = 1}), ia({[-1] = 1})`, `true|true|true|false|false|true|true`},
		{`table.clone`, `local t = require("table.clone")({1, 2, x = 3}) return #t, t.x`, `2|3`},
		{`jit`, `local j = require "jit" return j.version, j.os, j.arch, j.version_num, type(j.on), type(j.off), type(j.flush), jit == j`, `LuaJIT 2.1.0-beta3|Linux|x64|20100|function|function|function|true`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(t, newState(t), c.src); got != c.want {
				t.Errorf("%s\n got %q\nwant %q", c.src, got, c.want)
			}
		})
	}
}
