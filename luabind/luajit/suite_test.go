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
