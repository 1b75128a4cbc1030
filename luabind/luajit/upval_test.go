package luajit

import "testing"

// TestPcallClosesUpvalues: a closure made in a function that failed under pcall keeps the
// value it captured (the errfunc path must close upvalues as the plain path does).
func TestPcallClosesUpvalues(t *testing.T) {
	L := newState(t)
	for _, src := range []string{
		`local ok = pcall(function() local x = 1; G = function() return x end; error("e") end)
		local a, b, c, d = 10, 20, 30, 40 return G()`,
		`local ok = pcall(function() local x = 1; G = function() return x end; local t; t.y = 1 end)
		local a, b, c, d = 10, 20, 30, 40 return G()`,
	} {
		if got := run(t, L, src); got != "1" {
			t.Errorf("%s: got %s, want 1", src, got)
		}
	}
}
