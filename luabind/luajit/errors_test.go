package luajit

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// errorCases hold what Debian's LuaJIT 2.1 (luajit2 2.1-20230119) printed for
// print(select(2, pcall(loadstring(src, "=x")))).
var errorCases = []struct{ src, want string }{
	{"f()", "x:1: attempt to call global 'f' (a nil value)"},
	{"local t; t.x = 1", "x:1: attempt to index local 't' (a nil value)"},
	{"local t = {}; t.a.b = 1", "x:1: attempt to index field 'a' (a nil value)"},
	{"local t={}; t:m()", "x:1: attempt to call method 'm' (a nil value)"},
	{"local t={} return t.a.b", "x:1: attempt to index field 'a' (a nil value)"},
	{"local up; return (function() return up.x end)()", "x:1: attempt to index upvalue 'up' (a nil value)"},
	{"local up; return (function() up() end)()", "x:1: attempt to call upvalue 'up' (a nil value)"},
	{"return ('x')()", "x:1: attempt to call a string value"},
	{"return (nil)()", "x:1: attempt to call a nil value"},
	{"return (1)()", "x:1: attempt to call a number value"},
	{"return 1 + {}", "x:1: attempt to perform arithmetic on a table value"},
	{"local x; return x + 1", "x:1: attempt to perform arithmetic on local 'x' (a nil value)"},
	{"return {} + 1", "x:1: attempt to perform arithmetic on a table value"},
	{"local t={} return t.n + 1", "x:1: attempt to perform arithmetic on field 'n' (a nil value)"},
	{"local a = {}; local b = a.c + a.d", "x:1: attempt to perform arithmetic on field 'c' (a nil value)"},
	{"return 'a' + 1", "x:1: attempt to perform arithmetic on a string value"},
	{"local x = nil + 1", "x:1: attempt to perform arithmetic on a nil value"},
	{"return -{}", "x:1: attempt to perform arithmetic on a table value"},
	{"local x; return -x", "x:1: attempt to perform arithmetic on local 'x' (a nil value)"},
	{"return 'a' .. nil", "x:1: attempt to concatenate a nil value"},
	{"local x; return 'a' .. x", "x:1: attempt to concatenate local 'x' (a nil value)"},
	{"return {} .. 'a'", "x:1: attempt to concatenate a table value"},
	{"local t = {} return 'a' .. t.v", "x:1: attempt to concatenate field 'v' (a nil value)"},
	{"return g .. 'a'", "x:1: attempt to concatenate global 'g' (a nil value)"},
	{"local a, b = 1, nil; return a .. b", "x:1: attempt to concatenate local 'b' (a nil value)"},
	{"local a = 'x'; return a .. {} .. 'y'", "x:1: attempt to concatenate a table value"},
	{"return {} < {}", "x:1: attempt to compare two table values"},
	{"return {} <= {}", "x:1: attempt to compare two table values"},
	{"return 1 < nil", "x:1: attempt to compare number with nil"},
	{"return {} < 1", "x:1: attempt to compare table with number"},
	{"return nil < nil", "x:1: attempt to compare two nil values"},
	{"return #nil", "x:1: attempt to get length of a nil value"},
	{"local x; return #x", "x:1: attempt to get length of local 'x' (a nil value)"},
	{"return #g", "x:1: attempt to get length of global 'g' (a nil value)"},
	{"return #5", "x:1: attempt to get length of a number value"},
	{"for i = nil, 2 do end", "x:1: 'for' initial value must be a number"},
	{"for i = 1, 'x' do end", "x:1: 'for' limit must be a number"},
	{"for i = 1, 2, {} do end", "x:1: 'for' step must be a number"},
	{"return g.x.y", "x:1: attempt to index global 'g' (a nil value)"},
	{"return t[1]", "x:1: attempt to index global 't' (a nil value)"},
	{"local t = {}; return t[1][2]", "x:1: attempt to index a nil value"},
	{"return math.foo()", "x:1: attempt to call field 'foo' (a nil value)"},
	{"local s = 'x'; return s:bad()", "x:1: attempt to call method 'bad' (a nil value)"},
	{"local a = {}; a.b.c.d = 1", "x:1: attempt to index field 'b' (a nil value)"},
	{"x.y.z = 1", "x:1: attempt to index global 'x' (a nil value)"},
	{"local t = {}; t.x()", "x:1: attempt to call field 'x' (a nil value)"},
	{"local t = {}; t[1]()", "x:1: attempt to call a nil value"},
	{"local t = {x = {}}; t.x.y()", "x:1: attempt to call field 'y' (a nil value)"},
	{"local f; f()", "x:1: attempt to call local 'f' (a nil value)"},
	{"local function f() return g() end f()", "x:1: attempt to call global 'g' (a nil value)"},
	{"local t = {} function t.a() local y = t.b.c return y end t.a()", "x:1: attempt to index field 'b' (a nil value)"},
	{"local s = 'abc'; return s.x.y", "x:1: attempt to index field 'x' (a nil value)"},
	{"local co = coroutine.create(function() end); coroutine.resume(co); return select(2, coroutine.resume(co))", "cannot resume dead coroutine"},
	{"local co = coroutine.wrap(function() end); co(); co()", "x:1: cannot resume dead coroutine"},
	{"return select(2, xpcall(function() error(1) end, function() error('h') end))", "error in error handling"},
	{"return select(2, coroutine.wrap(function() return xpcall(function() error(1) end, function() error('h') end) end)())", "error in error handling"},
	{"return select(2, coroutine.resume(coroutine.create(function() error('x', 2) end)))", "x"},
	{"local co = coroutine.wrap(function() local t; t.x = 1 end); co()", "x:1: x:1: attempt to index local 't' (a nil value)"},
	{"local co = coroutine.create(function() coroutine.yield() local u; return u + 1 end); coroutine.resume(co); return select(2, coroutine.resume(co))", "x:1: attempt to perform arithmetic on local 'u' (a nil value)"},
	{"local co = coroutine.create(function() local s = 'x'; return s:bad() end); return select(2, coroutine.resume(co))", "x:1: attempt to call method 'bad' (a nil value)"},
	{"local co = coroutine.create(function() return pcall(function() local z; return z.q end) end); return select(3, coroutine.resume(co))", "x:1: attempt to index local 'z' (a nil value)"},
	{"local co = coroutine.create(function() error('in co') end); return select(2, coroutine.resume(co))", "x:1: in co"},
	// resuming a normal coroutine (it resumed the running one) overflowed the Go stack
	{"local a, b b = coroutine.create(function() return coroutine.resume(a) end) a = coroutine.create(function() return coroutine.resume(b) end) return select(4, coroutine.resume(a))", "cannot resume normal coroutine"},
	{"local co co = coroutine.create(function() return coroutine.resume(co) end) return select(3, coroutine.resume(co))", "cannot resume running coroutine"},
	{"local w1, w2 w2 = coroutine.wrap(function() return pcall(w1) end) w1 = coroutine.wrap(function() return w2() end) return select(2, w1())", "cannot resume normal coroutine"},
	{"return coroutine.resume(1)", "bad argument #1 to '?' (coroutine expected)"},
	{"error()", "nil"},
	{"error(nil)", "nil"},
	{"error('m')", "x:1: m"},
	{"error('m', 2)", "m"},
	{"error('m', 0)", "m"},
	{"error(42)", "x:1: 42"},
	{"error(setmetatable({}, {__tostring=function() return 'T' end}))", "T"},
	{"local function f() error('deep', 2) end f()", "x:1: deep"},
	{"local t = setmetatable({}, {__index = function(t, k) error('idx') end}); return t.x", "x:1: idx"},
	{"return string.rep()", "bad argument #1 to '?' (string expected, got no value)"},
	{"return ('x'):rep()", "bad argument #2 to '?' (number expected, got no value)"},
	{"return ('x'):rep({})", "bad argument #2 to '?' (number expected, got table)"},
	{"return string.sub()", "bad argument #1 to '?' (string expected, got no value)"},
	{"return math.floor('a')", "bad argument #1 to '?' (number expected, got string)"},
	{"return table.insert(1, 2)", "bad argument #1 to '?' (table expected, got number)"},
	{"local x = string.rep() return x", "x:1: bad argument #1 to 'rep' (string expected, got no value)"},
	{"local x = ('x'):rep() return x", "x:1: bad argument #1 to 'rep' (number expected, got no value)"},
	{"local x = ('%d'):format('x') return x", "x:1: bad argument #1 to 'format' (number expected, got string)"},
	{"local x = string.format('%d', 'x') return x", "x:1: bad argument #2 to 'format' (number expected, got string)"},
	{"local x = table.concat(1)", "x:1: bad argument #1 to 'concat' (table expected, got number)"},
}

func TestRuntimeErrorsAsLuaJIT(t *testing.T) {
	L := newState(t)
	for _, c := range errorCases {
		L.SetGlobal("SRC", lua.LString(c.src))
		got := run(t, L, `local f, e = loadstring(SRC, "=x") if not f then return "LOAD " .. e end
			local ok, e = pcall(f) return tostring(e)`)
		if got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

// TestPcallPositions: positions as LuaJIT adds them when pcall calls a built-in directly.
func TestPcallPositions(t *testing.T) {
	L := newState(t)
	for _, c := range []struct{ src, want string }{
		{`return pcall(error, "m", 1)`, "false|m"},
		{`return select('#', pcall(error))`, "2"},
		{`return pcall(error)`, "false"},
		{`return pcall(string.rep)`, "false|bad argument #1 to '?' (string expected, got no value)"},
		{`return pcall(1)`, "false|attempt to call a number value"},
		{`return xpcall(function() local t; return t.x end, function(e) return "H " .. e end)`, "false|H test:1: attempt to index local 't' (a nil value)"},
		{`return xpcall(function() local t; return t.x end, function(e) return (debug.traceback(e, 1):gsub("\n.*", "")) end)`, "false|test:1: attempt to index local 't' (a nil value)"},
		{`return xpcall(function() error("e") end, function(e) return select(2, xpcall(function() error("in") end, function(f) return f .. "+" .. e end)) end)`, "false|test:1: in+test:1: e"},
		{`local t = {} return pcall(error, t) == false and select(2, pcall(error, t)) == t`, "true"},
	} {
		if got := run(t, L, c.src); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}
