package luajit

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// TestTraceback: debug.traceback as LuaJIT 2.1 writes it (expectations from Debian's
// luajit2 and from lua-nginx-module, whose handler chunk is the bottom of its thread as
// the test's chunk is here).
func TestTraceback(t *testing.T) {
	L := newState(t)
	for _, tc := range []struct{ name, src, want string }{
		{"nested", `local function inner() local s = debug.traceback("m") return s end
			local function outer() local s = inner() return s end local r = outer() return r`,
			"m\nstack traceback:\n\ttest:1: in function 'inner'\n\ttest:2: in function 'outer'\n\ttest:2: in main chunk"},
		{"coroutine", `local co = coroutine.create(function() local s = debug.traceback("inco") coroutine.yield(s) end)
			local _, s = coroutine.resume(co) return s`,
			"inco\nstack traceback:\n\ttest:1: in function <test:1>"},
		{"xpcall handler", `local function f() error("boom") end return select(2, xpcall(f, debug.traceback))`,
			"test:1: boom\nstack traceback:\n\t[C]: in function 'error'\n\ttest:1: in function <test:1>\n\t[C]: in function 'xpcall'\n\ttest:1: in main chunk"},
		{"message values", `return debug.traceback(nil), debug.traceback(12, 1):match("^[^\n]*"), type(debug.traceback({}))`, "nil|12|table"},
		{"no message", `local t = {} function t.m() local s = debug.traceback() return s end local x = t.m() return x`,
			"stack traceback:\n\ttest:1: in function 'm'\n\ttest:1: in main chunk"},
		{"suspended coroutine", `local co = coroutine.create(function() local x = 1 coroutine.yield() end) coroutine.resume(co) return debug.traceback(co, "co")`,
			"co\nstack traceback:\n\t[C]: in function 'yield'\n\ttest:1: in function <test:1>"},
		{"dead coroutine", `local co = coroutine.create(function() end) coroutine.resume(co) return debug.traceback(co, "dead")`, "dead\nstack traceback:"},
		{"tail call named by caller", `local function g() return debug.getinfo(1, "n").name end local function f() return g() end local x = f() return x`, "f"},
		{"dead block local", `local function r(n) if n == 0 then local s = debug.getinfo(1, "n").name return s end local s = r(n - 1) return s end local x = r(1) return x`, "r"},
		{"deep", `local function r(n) if n == 0 then local s = debug.traceback() return s end local s = r(n - 1) return s end local x = r(30)
			local _, lines = x:gsub("\n", "\n") return lines, (x:find("\n\t...\n", 1, true)) ~= nil`, "22|true"},
		{"xpcall handler levels", `local ok, msg = xpcall(function() local x error("emsg") end, function(m) return debug.getlocal(3, 1) .. " " .. m end) return msg`, "x test:1: emsg"},
	} {
		if got := run(t, L, tc.src); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestThreadTraceback: the traceback of lua-nginx-module's "thread aborted" log, taken by
// an errfunc while the failing frames are on the stack: "coroutine 0:", and no line for the
// frame where the VM raised a runtime error.
func TestThreadTraceback(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"runtime error", "local function inner(t)\n  return t.x.y\nend\nlocal function outer()\n  local v = inner({})\n  return v\nend\nouter()",
			"stack traceback:\ncoroutine 0:\n\ttest: in function 'inner'\n\ttest:5: in function 'outer'\n\ttest:8: in main chunk"},
		{"error()", "local function f() error('boom') end\nlocal t = {}\nfunction t.m() f() end\nt.m()",
			"stack traceback:\ncoroutine 0:\n\t[C]: in function 'error'\n\ttest:1: in function 'f'\n\ttest:3: in function 'm'\n\ttest:4: in main chunk"},
	} {
		L := newState(t)
		chunk, err := parse.Parse(strings.NewReader(tc.src), "test")
		if err != nil {
			t.Fatal(err)
		}
		proto, err := Compile(chunk, "test")
		if err != nil {
			t.Fatal(err)
		}
		var trace string
		L.Push(NewFunction(L, proto))
		_ = L.PCall(0, 0, L.NewFunction(func(L *lua.LState) int {
			trace = ThreadTraceback(L, 1)
			return 1
		}))
		if trace != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, trace, tc.want)
		}
	}
}
