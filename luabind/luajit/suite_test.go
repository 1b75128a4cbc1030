package luajit

import "testing"

// TestSuiteFixes holds the behaviours LuaJIT's own test suite (LuaJIT-test-cleanup) checks
// that luaws once got wrong. The expected values are what Debian's LuaJIT 2.1 (luajit2)
// printed for each snippet run as chunk "=test" (results joined by "|" through tostring,
// trailing nils dropped; errors as "ERR msg").
func TestSuiteFixes(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{`assert nil`, `return pcall(assert, nil)`, `false|assertion failed!`},
		{`assert msg`, `return pcall(assert, false, "msg")`, `false|msg`},
		{`assert nil msg`, `return pcall(assert, false, nil)`, `false`},
		{`assert table msg`, `local ok, e = pcall(assert, false, {}) return ok, type(e)`, `false|table`},
		{`assert none`, `return pcall(assert)`, `false|bad argument #1 to '?' (value expected)`},
		{`assert passes`, `return assert(1, 2, 3)`, `1|2|3`},
		{`assert position`, `local ok, e = pcall(function() assert(false) end) return e`, `test:1: assertion failed!`},
		{`assert number msg`, `local ok, e = pcall(function() assert(false, 12) end) return e`, `test:1: 12`},
		{`assert tail`, `local ok, e = pcall(function() return assert(nil) end) return e`, `assertion failed!`},
		{`next invalid`, `return pcall(next, {a = 1}, "zz")`, `false|invalid key to 'next'`},
		{`next invalid int`, `return pcall(next, _G, 1)`, `false|invalid key to 'next'`},
		{`next invalid lua`, `local ok, e = pcall(function() next({a = 1}, "zz") end) return ok, e`, `false|invalid key to 'next'`},
		{`next cleared`, `local t = {a = 1, b = 2, c = 3} for k in next, t do t[k] = nil end return next(t)`, ``},
		{`next array nil`, `local t = {1, 2, 3} t[3] = nil return next(t, 3)`, ``},
		{`next empty`, `return next({}, nil)`, ``},
		{`next first`, `return next({10})`, `1|10`},
		{`for string bounds`, `local n = 0 for i = "1", "3" do n = n + i end return n, type(n)`, `6|number`},
		{`for string init var`, `local s, n = "2", 0 for i = s, 4 do n = n + 1 end return n`, `3`},
		{`for string loop var`, `for i = "1", 1 do return i, type(i) end`, `1|number`},
		{`for hex string`, `local n = 0 for i = 1, "0x3" do n = n + 1 end return n`, `3`},
		{`for nil init`, `return pcall(function() for i = nil, 3 do end end)`, `false|test:1: 'for' initial value must be a number`},
		{`for table limit`, `return pcall(function() for i = 1, {} do end end)`, `false|test:1: 'for' limit must be a number`},
		{`for bad string limit`, `return pcall(function() for i = 1, "3x" do end end)`, `false|test:1: 'for' limit must be a number`},
		{`for string step var`, `return pcall(function() local s = "x" for i = 1, 3, s do end end)`, `false|test:1: 'for' step must be a number`},
		{`for nil limit var`, `return pcall(function() local n for i = 1, n do end end)`, `false|test:1: 'for' limit must be a number`},
		{`for step zero`, `local n = 0 for i = 1, 3, 0 do n = n + 1 if n == 5 then break end end return n`, `5`},
		{`for step zero down`, `local n = 0 for i = 5, 3, 0 do n = n + 1 if n == 5 then break end end return n`, `0`},
		{`for step zero var`, `local z, n, last = 0, 0 for i = 1, 3, z do n = n + 1 last = i if n == 5 then break end end return n, last`, `5|1`},
		{`for step var`, `local s, n = -2, 0 for i = 10, 1, s do n = n + i end return n`, `30`},
		{`for step string`, `local n = 0 for i = 1, 6, "2" do n = n + i end return n`, `9`},
		{`for user pow`, `local x = "a" return pcall(function() print(x ^ 1) for i = 1, 2 do end end)`, `false|test:1: attempt to perform arithmetic on upvalue 'x' (a string value)`},
		{`len meta table`, `local t = setmetatable({1, 2, 3}, {__len = function() return 42 end}) return #t, #"abcdef"`, `3|6`},
		{`len meta userdata`, `local u = newproxy(true) getmetatable(u).__len = function(o, o2) return o2 == nil and 42 or 0 end return #u`, `42`},
		{`len meta number`, `local mt = {__len = function(o, o2) return o2 == nil and 42 or 0 end} debug.setmetatable(0, mt) local r = #1 debug.setmetatable(0, nil) return r`, `42`},
		{`len meta nil`, `local mt = {__len = 1} return pcall(function() local x return #x end)`, `false|test:1: attempt to get length of local 'x' (a nil value)`},
		{`len no meta chunk`, `return pcall(function() local x return #x end)`, `false|test:1: attempt to get length of local 'x' (a nil value)`},
		{`unm meta twice`, `local t = {} setmetatable(t, {__unm = function(a, b) return a == t and b == t end}) return -t`, `true`},
		{`unm meta string`, `local mt = {__unm = 1} local s = "2" return -s, type(-s)`, `-2|number`},
		{`unm meta error`, `local mt = {__unm = 1} return pcall(function() local x = {} return -x end)`, `false|test:1: attempt to perform arithmetic on local 'x' (a table value)`},
		{`negative zero beside zero`, `local t = {0, -0.0, -0, 0} local a, b = 0, -0 return 1/t[1], 1/t[2], 1/t[3], 1/t[4], 1/a, 1/b, tostring(-(-0))`, `inf|-inf|-inf|inf|inf|-inf|0`},
		{`arith callable table meta`, `local tc = setmetatable({}, {__call = function(o, a, b) return o end}) local ta = setmetatable({}, {__add = tc}) local o, a = ta + ta return o == tc, a`, `true`},
		{`arith meta yields`, `local co = coroutine.wrap(function() local o = setmetatable({}, {__add = function(a, b) coroutine.yield(1) return 99 end}) return o + o end) return co(), co()`, `1|99`},
		{`arith meta chunk error`, `local mt = {__add = 1} return pcall(function() local x = {} return x + 1 end)`, `false|test:1: attempt to perform arithmetic on local 'x' (a table value)`},
		{`arith meta chunk error rhs`, `local mt = {__mod = 1} return pcall(function() local x = {} return 2 % x end)`, `false|test:1: attempt to perform arithmetic on local 'x' (a table value)`},
		{`arith meta chunk numbers`, `local mt = {__add = 1} return "3" + 4, 7 % -3, 2 ^ 0.5, -0 + 0`, `7|-2|1.4142135623731|0`},
		{`arith meta second operand`, `local t = setmetatable({}, {__sub = function(a, b) return b end}) return 5 - t == t`, `true`},
		{`arith meta getinfo`, `local d = setmetatable({}, {__div = function() local i = debug.getinfo(1, "n") return i.namewhat .. " " .. i.name end}) return d / 1`, `metamethod __div`},
		{`arith meta pow`, `local mt = {__pow = 1} local t = setmetatable({}, {__pow = function(a, b) return a == 2 and b end}) return 2 ^ t == t, 3 ^ 2`, `true|9`},
		{`getinfo main`, `local i = debug.getinfo(1) return i.what, i.short_src, i.currentline, i.namewhat, i.nups, i.nparams, i.isvararg`, `main|test|1||0|0|true`},
		{`getinfo local`, `local function f() local i = debug.getinfo(1, "n") return i end local i = f() return i.name, i.namewhat`, `f|local`},
		{`getinfo global`, `function gf() local i = debug.getinfo(1, "nS") return i.name, i.namewhat, i.what, i.linedefined end local a, b, c, d = gf() return a, b, c, d`, `gf|global|Lua|1`},
		{`getinfo method`, `local t = {} function t:m() local i = debug.getinfo(1, "n") return i.name, i.namewhat end local a, b = t:m() return a, b`, `m|method`},
		{`getinfo field`, `local t = {} function t.m() local i = debug.getinfo(1, "n") return i.name, i.namewhat end local a, b = t.m() return a, b`, `m|field`},
		{`getinfo upvalue`, `local function f() local i = debug.getinfo(1, "n") return i.name, i.namewhat end return (function() local a, b = f() return a, b end)()`, `f|upvalue`},
		{`getinfo C`, `local i = debug.getinfo(print) return i.what, i.source, i.short_src, i.currentline, i.linedefined, i.lastlinedefined`, `C|=[C]|[C]|-1|-1|-1`},
		{`getinfo level 0`, `local i = debug.getinfo(0, "nS") return i.name, i.namewhat, i.what`, `getinfo|field|C`},
		{`getinfo out of range`, `return debug.getinfo(50)`, ``},
		{`getinfo bad option`, `return pcall(debug.getinfo, 1, "x")`, `false|bad argument #2 to '?' (invalid option)`},
		{`getinfo bad arg`, `return pcall(debug.getinfo, "x")`, `false|bad argument #1 to '?' (function or level expected)`},
		{`getinfo func`, `local function f(a, b, ...) end local i = debug.getinfo(f) return i.what, i.linedefined, i.nparams, i.isvararg, i.currentline, i.func == f`, `Lua|1|2|true|-1|true`},
		{`getinfo string chunk`, `local i = loadstring("local i = debug.getinfo(1, 'S') return i")() return i.source, i.short_src, i.what`, `local i = debug.getinfo(1, 'S') return i|[string "local i = debug.getinfo(1, 'S') return i"]|main`},
		{`getinfo named chunk`, `local i = loadstring("local i = debug.getinfo(1, 'S') return i", "=named")() return i.source, i.short_src, i.what`, `=named|named|main`},
		{`getinfo file chunk`, `local i = loadstring("local i = debug.getinfo(1, 'S') return i", "@x.lua")() return i.source, i.short_src, i.what`, `@x.lua|x.lua|main`},
		{`getinfo activelines`, `local i = debug.getinfo(1, "L") return type(i.activelines), i.activelines[1]`, `table|true`},
		{`getinfo metamethod index`, `local i local t = setmetatable({}, {__index = function() i = debug.getinfo(1, "n") end}) local x = t.y return i.name, i.namewhat`, `__index|metamethod`},
		{`getinfo metamethod add`, `local i local t = setmetatable({}, {__add = function() i = debug.getinfo(1, "n") end}) local x = t + 1 return i.name, i.namewhat`, `__add|metamethod`},
		{`getinfo metamethod unm`, `local i local t = setmetatable({}, {__unm = function() i = debug.getinfo(1, "n") end}) local x = -t return i.name, i.namewhat`, `__unm|metamethod`},
		{`getinfo metamethod concat`, `local i local t = setmetatable({}, {__concat = function() i = debug.getinfo(1, "n") end}) local x = t .. "a" return i.name, i.namewhat`, `__concat|metamethod`},
		{`getinfo metamethod lt`, `local i local t = setmetatable({}, {__lt = function() i = debug.getinfo(1, "n") return true end}) local x = t < t return i.name, i.namewhat`, `__lt|metamethod`},
		{`getinfo for iterator`, `local i local function it() i = debug.getinfo(1, "n") end for k in it do end return i.name, i.namewhat`, `(for generator)|local`},
		{`getinfo tail`, `local function f() return debug.getinfo(1, "n") end local i = (function() return f() end)() return i.namewhat, i.name`, ``},
		{`getinfo registry`, `return type(debug.getregistry())`, `table`},
		{`yield pcall`, `local co = coroutine.create(function() local a, b = pcall(coroutine.yield, "p") return a, b end) local _, y = coroutine.resume(co) local _, a, b = coroutine.resume(co, "back") return y, a, b`, `p|true|back`},
		{`yield pcall lua`, `local co = coroutine.create(function() return pcall(function(x) return coroutine.yield(x) + 1 end, 41) end) local _, y = coroutine.resume(co, 0) local _, ok, v = coroutine.resume(co, 1) return y, ok, v`, `41|true|2`},
		{`yield pcall error`, `local co = coroutine.create(function() local ok, e = pcall(function() coroutine.yield(1) error("boom", 0) end) return ok, e end) coroutine.resume(co) return coroutine.resume(co)`, `true|false|boom`},
		{`yield pcall twice`, `local co = coroutine.wrap(function() pcall(function() coroutine.yield(1) coroutine.yield(2) end) return 3 end) return co(), co(), co()`, `1|2|3`},
		{`yield xpcall`, `local co = coroutine.create(function() return xpcall(coroutine.yield, debug.traceback, 42) end) local _, y = coroutine.resume(co) local _, ok, v = coroutine.resume(co, 99) return y, ok, v`, `42|true|99`},
		{`yield xpcall error`, `local co = coroutine.create(function() return xpcall(function() coroutine.yield(1) error("e", 0) end, function(m) return "h:" .. m end) end) coroutine.resume(co) return coroutine.resume(co)`, `true|false|h:e`},
		{`yield pcall running`, `local co co = coroutine.create(function() local ok, r = pcall(coroutine.running) return r == co, coroutine.status(co) end) return coroutine.resume(co)`, `true|true|running`},
		{`yield pcall status`, `local co co = coroutine.create(function() return pcall(function() return coroutine.status(co) end) end) return coroutine.resume(co)`, `true|true|running`},
		{`pcall outside`, `return pcall(function(a) return a * 2 end, 21)`, `true|42`},
		{`pcall not callable`, `return pcall(42)`, `false|attempt to call a number value`},
		{`yield iterator`, `local co = coroutine.create(function(x, y) local n = 0 for i in function(o, k) coroutine.yield(o + k) if k ~= 0 then return k - 1 end end, x, y do n = n + 1 end return n end) local r = {} for i = 1, 6 do local ok, v = coroutine.resume(co, 42, 3) r[#r + 1] = tostring(v) end return table.concat(r, ",")`, `45,44,43,42,3,cannot resume dead coroutine`},
		{`yield for break`, `local t = {} local co = coroutine.wrap(function() for k, v in ipairs({10, 20, 30}) do t[#t + 1] = v if k == 2 then break end end return #t end) return co()`, `2`},
		{`yield for closures`, `local fs = {} local co = coroutine.wrap(function() for k in pairs({a = 1, b = 2}) do fs[#fs + 1] = function() return k end end return 0 end) co() return #fs, fs[1]() ~= fs[2]()`, `2|true`},
		{`package loaded`, `return package.loaded.package == package, package.loaded._G == _G`, `true|true`},
		{`debug functions`, `return type(debug.getregistry), type(debug.debug), type(debug.getinfo)`, `function|function|function`},
		{`gethook none`, `return debug.gethook()`, `nil||0`},
		{`sethook clear`, `return select("#", debug.sethook())`, `0`},
		{`label undefined`, `return load("local x = 1\ngoto y\nx = 2")`, `nil|[string "local x = 1..."]:2: undefined label 'y'`},
		{`label duplicate`, `return load("local x = 1\n::a::\nx = 2\n::a::\n")`, `nil|[string "local x = 1..."]:4: duplicate label 'a'`},
		{`label into scope`, `return load("do\n goto l\n local z = 1\n ::l::\n print(z)\nend")`, `nil|[string "do..."]:2: <goto l> jumps into the scope of local 'z'`},
		{`label continue`, `local n = 0 for i = 1, 3 do if i == 2 then goto continue end n = n + i ::continue:: end return n`, `4`},
		{`tail yield resumed`, `local co = coroutine.create(function() return coroutine.yield() end) coroutine.resume(co) return coroutine.resume(co, 5)`, `true|5`},
		{`tail yield values`, `local co = coroutine.wrap(function(...) local a = coroutine.yield(...) return coroutine.yield(a + 1) end) local r = {co(1, 2)} return #r, co(10), co("x", "y")`, `2|11|x|y`},
		{`syntax malformed number`, `return load("x = 1e")`, `nil|[string "x = 1e"]:1: malformed number near '1e'`},
		{`syntax double semicolon`, `return load("x=1;;")`, `nil|[string "x=1;;"]:1: unexpected symbol near ';'`},
		{`syntax ambiguous`, `return load("f\10(1)")`, `nil|[string "f..."]:2: ambiguous syntax (function call x new statement) near '('`},
		{`syntax label semicolon`, `return load("do ::a:: ;; end")`, `nil|[string "do ::a:: ;; end"]:1: unexpected symbol near ';'`},
		{`syntax fine`, `return load("local t = {1;2;} ; return #t")()`, `2`},
		{`name after for`, `local lim = "4" local n = 0 for i = 1, lim do n = n + 1 end local function named() local i = debug.getinfo(1, "n") return i.name, i.namewhat end local a, b = named() return a, b`, `named|local`},
		{`name after generic for`, `for k, v in pairs({1}) do end local function named() local i = debug.getinfo(1, "n") return i.name, i.namewhat end local a, b = named() return a, b`, `named|local`},
		{`name loop var`, `return pcall(function() for i = 1, 2 do local t = nil; return i.x end end)`, `false|test:1: attempt to index local 'i' (a number value)`},
		{`name generic loop var`, `return pcall(function() for k, v in pairs({a = 1}) do return v.x end end)`, `false|test:1: attempt to index local 'v' (a number value)`},
		{`name after loop error`, `return pcall(function() for i = 1, 2 do end local t return t.x end)`, `false|test:1: attempt to index local 't' (a nil value)`},
		{`name local in loop`, `return pcall(function() for i = 1, 2 do local t return t.x end end)`, `false|test:1: attempt to index local 't' (a nil value)`},
		{`name after do block`, `return pcall(function() do local x = 1 end local t = {} return t.f() end)`, `false|test:1: attempt to call field 'f' (a nil value)`},
		{`name do block local`, `return pcall(function() local a = 1 do local t return t.x end end)`, `false|test:1: attempt to index local 't' (a nil value)`},
		{`name params`, `return pcall(function(a, b) return b.x end, 1)`, `false|test:1: attempt to index local 'b' (a nil value)`},
		{`name multi local`, `return pcall(function() local a, b = 1 return b.x end)`, `false|test:1: attempt to index local 'b' (a nil value)`},
		{`concat local`, `return pcall(function() local x; return 'a' .. x end)`, `false|test:1: attempt to concatenate local 'x' (a nil value)`},
		{`concat field`, `return pcall(function() local t = {} return 'a' .. t.v end)`, `false|test:1: attempt to concatenate field 'v' (a nil value)`},
		{`concat global`, `return pcall(function() return g .. 'a' end)`, `false|test:1: attempt to concatenate global 'g' (a nil value)`},
		{`concat two locals`, `return pcall(function() local a, b = 1, nil; return a .. b end)`, `false|test:1: attempt to concatenate local 'b' (a nil value)`},
		{`concat table`, `return pcall(function() local a = 'x'; return a .. {} .. 'y' end)`, `false|test:1: attempt to concatenate a table value`},
		{`concat upvalue`, `local u return pcall(function() return u .. 'a' end)`, `false|test:1: attempt to concatenate upvalue 'u' (a nil value)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			L := newState(t)
			if got := run(t, L, c.src); got != c.want {
				t.Errorf("%s\n got: %q\nwant: %q", c.src, got, c.want)
			}
		})
	}
}

// TestSetHookUnsupported: setting a hook, which gopher-lua cannot run, is a clear error
// rather than a silent no-op.
func TestSetHookUnsupported(t *testing.T) {
	L := newState(t)
	got := run(t, L, `return pcall(debug.sethook, print, "l")`)
	if want := "false|debug.sethook: hooks are not supported by luaws (gopher-lua has no debug hooks)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
