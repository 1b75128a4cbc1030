package luajit

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// syntaxCases hold LuaJIT 2.1's (OpenResty's luajit2) loadstring message for each source
// ("" where LuaJIT loads it).
var syntaxCases = []struct{ src, want string }{
	{"x = = 1", "[string \x22x = = 1\x22]:1: unexpected symbol near '='"},
	{"t = {\x0a1,\x0aif", "[string \x22t = {...\x22]:3: unexpected symbol near 'if'"},
	{"function f()\x0a", "[string \x22function f()...\x22]:2: 'end' expected (to close 'function' at line 1) near '<eof>'"},
	{"for i=1 do end", "[string \x22for i=1 do end\x22]:1: ',' expected near 'do'"},
	{"x", "[string \x22x\x22]:1: '=' expected near '<eof>'"},
	{"x y", "[string \x22x y\x22]:1: '=' expected near 'y'"},
	{"local function (", "[string \x22local function (\x22]:1: '<name>' expected near '('"},
	{"f(1 do", "[string \x22f(1 do\x22]:1: ')' expected near 'do'"},
	{"if x end", "[string \x22if x end\x22]:1: 'then' expected near 'end'"},
	{"x = 0x", "[string \x22x = 0x\x22]:1: malformed number near '0x'"},
	{"x = 3..4", "[string \x22x = 3..4\x22]:1: malformed number near '3..4'"},
	{"(a) = 1", "[string \x22(a) = 1\x22]:1: syntax error near '='"},
	{"a, f() = 1", "[string \x22a, f() = 1\x22]:1: syntax error near '='"},
	{"a:b", "[string \x22a:b\x22]:1: function arguments expected near '<eof>'"},
	{"a:b.c", "[string \x22a:b.c\x22]:1: function arguments expected near '.'"},
	{"goto = 1", ""},
	{"while true do break x=1 end", "[string \x22while true do break x=1 end\x22]:1: 'end' expected near 'x'"},
	{"function f(1) end", "[string \x22function f(1) end\x22]:1: <name> or '...' expected near '1'"},
	{"function f(a,) end", "[string \x22function f(a,) end\x22]:1: <name> or '...' expected near ')'"},
	{"x = ...", ""},
	{"function f() return ... end", "[string \x22function f() return ... end\x22]:1: cannot use '...' outside a vararg function near '...'"},
	{"return 1 x", "[string \x22return 1 x\x22]:1: '<eof>' expected near 'x'"},
	{"x = @", "[string \x22x = @\x22]:1: unexpected symbol near '@'"},
	{"x = ~1", "[string \x22x = ~1\x22]:1: unexpected symbol near '~'"},
	{"x = 1 ~ 2", "[string \x22x = 1 ~ 2\x22]:1: unexpected symbol near '~'"},
	{"a = [=x", "[string \x22a = [=x\x22]:1: invalid long string delimiter near '[='"},
	{"a = [==[abc", "[string \x22a = [==[abc\x22]:1: unfinished long string near '<eof>'"},
	{"--[[ abc", "[string \x22--[[ abc\x22]:1: unfinished long comment near '<eof>'"},
	{"x = {a=1 b}", "[string \x22x = {a=1 b}\x22]:1: '}' expected near 'b'"},
	{"for a b", "[string \x22for a b\x22]:1: '=' or 'in' expected near 'b'"},
	{"for a,1 in", "[string \x22for a,1 in\x22]:1: '<name>' expected near '1'"},
	{"local 1", "[string \x22local 1\x22]:1: '<name>' expected near '1'"},
	{"x.1 = 2", "[string \x22x.1 = 2\x22]:1: '=' expected near '.1'"},
	{"x = \x22abc", "[string \x22x = \x22abc\x22]:1: unfinished string near '<eof>'"},
	{"x = 'a\x5cqb'", "[string \x22x = 'a\x5cqb'\x22]:1: invalid escape sequence near ''a'"},
	{"local t = {[1] 2}", "[string \x22local t = {[1] 2}\x22]:1: '=' expected near '2'"},
	{"repeat x=1", "[string \x22repeat x=1\x22]:1: 'until' expected near '<eof>'"},
	{"do x = 1", "[string \x22do x = 1\x22]:1: 'end' expected near '<eof>'"},
	{"while x x", "[string \x22while x x\x22]:1: 'do' expected near 'x'"},
	{"if x then else elseif", "[string \x22if x then else elseif\x22]:1: 'end' expected near 'elseif'"},
	{"x = function", "[string \x22x = function\x22]:1: '(' expected near '<eof>'"},
	{"a.b.c", "[string \x22a.b.c\x22]:1: '=' expected near '<eof>'"},
	{"x = #", "[string \x22x = #\x22]:1: unexpected symbol near '<eof>'"},
	{"x = not", "[string \x22x = not\x22]:1: unexpected symbol near '<eof>'"},
	{"return return", "[string \x22return return\x22]:1: unexpected symbol near 'return'"},
	{"f() = 1", "[string \x22f() = 1\x22]:1: unexpected symbol near '='"},
	{"x = a..", "[string \x22x = a..\x22]:1: unexpected symbol near '<eof>'"},
	{"x = \x01", "[string \x22x = ...\x22]:1: unexpected symbol near 'char(1)'"},
	{"local a <const> = 1", "[string \x22local a <const> = 1\x22]:1: unexpected symbol near '<'"},
	{"x = 0x1p4", ""},
	{"x = 1.5.3", "[string \x22x = 1.5.3\x22]:1: malformed number near '1.5.3'"},
	{"x = 08", ""},
	{"a = {\x0a[1\x0a= 2}", "[string \x22a = {...\x22]:3: ']' expected near '='"},
	{"f(\x0a1,\x0a2\x0ax", "[string \x22f(...\x22]:4: ')' expected (to close '(' at line 1) near 'x'"},
	{"x = (1\x0a+\x0a2", "[string \x22x = (1...\x22]:3: ')' expected (to close '(' at line 1) near '<eof>'"},
	{"local x = [[\x0aabc\x0a]] y", "[string \x22local x = [[...\x22]:3: '=' expected near '<eof>'"},
	{"x = '\x5c300'", "[string \x22x = '\x5c300'\x22]:1: invalid escape sequence near '''"},
	{"if x then\x0a  y()\x0aelse\x0a  z(\x0aend", "[string \x22if x then...\x22]:5: unexpected symbol near 'end'"},
	{"break", "[string \x22break\x22]:1: no loop to break"},
	{"return;", ""},
	{"f{}.x = 1", ""},
	{"f''", ""},
	{"f.''", "[string \x22f.''\x22]:1: '<name>' expected near ''''"},
	{"local x,", "[string \x22local x,\x22]:1: '<name>' expected near '<eof>'"},
	{"x = = 1", "[string \x22x = = 1\x22]:1: unexpected symbol near '='"},
	{"x = = 1", "[string \x22x = = 1\x22]:1: unexpected symbol near '='"},
	{"x = = 1 and a very long line that goes on and on and on for ever and ever", "[string \x22x = = 1 and a very long line that goes on and...\x22]:1: unexpected symbol near '='"},
	{"x = = 1\x0asecond line", "[string \x22x = = 1...\x22]:1: unexpected symbol near '='"},
	{"\x0ax = = 1", "[string \x22...\x22]:2: unexpected symbol near '='"},
	{"x=1\x0a\x0abreak\x0ax=2", "[string \x22x=1...\x22]:4: '<eof>' expected near 'x'"},
	{"while 1 do end\x0alocal function f()\x0a break\x0aend", "[string \x22while 1 do end...\x22]:3: no loop to break"},
	{"x = 1 y = 2", ""},
	{"t = {x\x0a=1}", ""},
	{"f{}.x = 1 f'' (1)", ""},
	{"x = [[\x0aa", "[string \x22x = [[...\x22]:2: unfinished long string near '<eof>'"},
	{"x = 'a\x0ab'", "[string \x22x = 'a...\x22]:1: unfinished string near ''a'"},
	{"local function f(...) return function() return ... end end", "[string \x22local function f(...) return function() retur...\x22]:1: cannot use '...' outside a vararg function near '...'"},
	{"x = {...}", ""},
	{"a = - - 1", ""},
	{"return 1;", ""},
	{"return 1; x = 2", "[string \x22return 1; x = 2\x22]:1: '<eof>' expected near 'x'"},
	{"x = 0x1.8p1", ""},
	{"x = 1e+5x", "[string \x22x = 1e+5x\x22]:1: malformed number near '1e+5x'"},
	{"x = 0xfg", "[string \x22x = 0xfg\x22]:1: malformed number near '0xfg'"},
	{"x = 5..", "[string \x22x = 5..\x22]:1: malformed number near '5..'"},
	{"x = a.b:c'x'.d", ""},
	{"local a.b = 1", "[string \x22local a.b = 1\x22]:1: unexpected symbol near '.'"},
	{"function a.b:c.d() end", "[string \x22function a.b:c.d() end\x22]:1: '(' expected near '.'"},
	{"function a:b:c() end", "[string \x22function a:b:c() end\x22]:1: '(' expected near ':'"},
	{"x = 'abc\x5c\x0adef'", ""},
	{"if x then elseif y end", "[string \x22if x then elseif y end\x22]:1: 'then' expected near 'end'"},
	{"x = {[1]=2, 3; 4,}", ""},
	{"for i = 1, 2, 3, 4 do end", "[string \x22for i = 1, 2, 3, 4 do end\x22]:1: 'do' expected near ','"},
	{"for k, v in pairs(t), 1 do end x", "[string \x22for k, v in pairs(t), 1 do end x\x22]:1: '=' expected near '<eof>'"},
	{"function f(a, ..., b) end", "[string \x22function f(a, ..., b) end\x22]:1: ')' expected near ','"},
	{"a.b.c = 1, 2 foo", "[string \x22a.b.c = 1, 2 foo\x22]:1: '=' expected near '<eof>'"},
	{"\x22x\x22 = 1", "[string \x22\x22x\x22 = 1\x22]:1: unexpected symbol near '\x22x\x22'"},
	{"x = a[1", "[string \x22x = a[1\x22]:1: ']' expected near '<eof>'"},
	{"x = a[1}", "[string \x22x = a[1}\x22]:1: ']' expected near '}'"},
	{"x = y = 1", "[string \x22x = y = 1\x22]:1: unexpected symbol near '='"},
	{"x, = 1", "[string \x22x, = 1\x22]:1: unexpected symbol near '='"},
}

func TestSyntaxErrorsAsLuaJIT(t *testing.T) {
	L := newState(t)
	for _, c := range syntaxCases {
		L.SetGlobal("src", lua.LString(c.src))
		if got := run(t, L, "return select(2, loadstring(src))"); got != c.want {
			t.Errorf("loadstring(%q):\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

// syntaxOnlyCases are rejected by LuaJIT and accepted by gopher-lua's parser, which runs
// first; CheckSyntax itself words them as LuaJIT.
var syntaxOnlyCases = []struct{ src, want string }{
	{"x = 1e", "[string \x22x = 1e\x22]:1: malformed number near '1e'"},
	{"f\x0a(1)", "[string \x22f...\x22]:2: ambiguous syntax (function call x new statement) near '('"},
	{"x = .5e+", "[string \x22x = .5e+\x22]:1: malformed number near '.5e+'"},
	{"x=1;;", "[string \x22x=1;;\x22]:1: unexpected symbol near ';'"},
	{"f(a)(b)\x0a(c)", "[string \x22f(a)(b)...\x22]:2: ambiguous syntax (function call x new statement) near '('"},
}

func TestCheckSyntaxDirect(t *testing.T) {
	for _, c := range append(syntaxOnlyCases, syntaxCases...) {
		var got string
		if err := CheckSyntax(ChunkID(c.src), []byte(c.src)); err != nil {
			got = err.Error()
		}
		if strings.Contains(c.want, "escape") || strings.Contains(c.want, "label") {
			continue // Translate's and the compiler's errors
		}
		if got != c.want {
			t.Errorf("CheckSyntax(%q):\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}
