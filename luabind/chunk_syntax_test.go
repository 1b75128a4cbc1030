package luabind

import "testing"

// TestCompileSyntaxErrors: host chunks (handler files, inline nginx.conf blocks) report
// syntax errors as LuaJIT does (texts from OpenResty's luajit2 on the same sources).
func TestCompileSyntaxErrors(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"x.lua", "local t = {\n1,\nif x then end\n", "x.lua:3: unexpected symbol near 'if'"},
		{"x.lua", "local function f()\n  return 1\n", "x.lua:3: 'end' expected (to close 'function' at line 1) near '<eof>'"},
		{"content_by_lua(nginx.conf:12)", "ngx.say(1\nngx.say(2)", "content_by_lua(nginx.conf:12):2: ')' expected (to close '(' at line 1) near 'ngx'"},
		{"=name", "for i=1 do end", "name:1: ',' expected near 'do'"},
		{"x.lua", "while true do end\nbreak\n", "x.lua:2: no loop to break"},
	} {
		_, err := compile(c.name, []byte(c.src))
		if err == nil || err.Error() != c.want {
			t.Errorf("compile(%q, %q): got %v, want %s", c.name, c.src, err, c.want)
		}
	}
}
