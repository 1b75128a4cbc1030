package luajit

import "testing"

// TestErrorPositions pins error()'s positions and coroutine.resume's refusals against
// LuaJIT 2.1 (OpenResty's luajit2) running the same chunk named "=test".
func TestErrorPositions(t *testing.T) {
	L := newState(t)
	for _, c := range []struct{ src, want string }{
		{`return select(2, pcall(error, "m", 1))`, "m"},
		{`return select(2, pcall(error, "m"))`, "m"},
		{`return select(2, pcall(error, "m", 2))`, "test:1: m"},
		{`return select("#", pcall(error)), type(select(2, pcall(error)))`, "2|nil"},
		{`return select(2, pcall(function() error() end)) == nil`, "true"},
		{`return select(2, pcall(function() error("x") end))`, "test:1: x"},
		{`return select(2, pcall(function() error("x", 2) end))`, "x"},
		{`return select(2, pcall(function() error("x", 0) end))`, "x"},
		{"local function f() error('x', 2) end\nreturn select(2, pcall(function()\nf() end))", "test:3: x"},
		{`return type(select(2, pcall(function() error({}) end)))`, "table"},
		{`local co = coroutine.create(function() end) coroutine.resume(co) return coroutine.resume(co)`, "false|cannot resume dead coroutine"},
		{`local co; co = coroutine.create(function() return coroutine.resume(co) end) return coroutine.resume(co)`, "true|false|cannot resume running coroutine"},
	} {
		if got := run(t, L, c.src); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}
