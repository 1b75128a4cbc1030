package ngxre

import (
	"os"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// showLua prints values as the probe handler run on Debian's nginx + lua-nginx-module did:
// tables with sorted "k=v" pairs (one level of nesting), values joined by " | ".
const showLua = `
local function fmtv(v)
  if type(v) ~= "table" then return tostring(v) end
  local p = {}
  for k, x in pairs(v) do
    if type(x) == "table" then
      local q = {}
      for kk, xx in pairs(x) do q[#q+1] = tostring(kk) .. "=" .. tostring(xx) end
      table.sort(q)
      x = "{" .. table.concat(q, ",") .. "}"
    end
    p[#p+1] = tostring(k) .. "=" .. tostring(x)
  end
  table.sort(p)
  return "{" .. table.concat(p, ",") .. "}"
end
function show(...)
  local n = select('#', ...)
  local t = {...}
  local out = {}
  for i = 1, n do out[#out+1] = fmtv(t[i]) end
  emit(table.concat(out, " | "))
end
`

// newState builds a fresh state with an ngx table carrying ngx.re, and package.preload["ngx.re"].
func newState(t testing.TB, out *strings.Builder) *lua.LState {
	L := lua.NewState()
	ngx := L.NewTable()
	L.SetGlobal("ngx", ngx)
	Register(L, ngx, nil)
	Preload(L)
	L.SetGlobal("emit", L.NewFunction(func(L *lua.LState) int {
		out.WriteString(L.CheckString(1))
		out.WriteString("\n")
		return 0
	}))
	if err := L.DoString(showLua); err != nil {
		t.Fatal(err)
	}
	return L
}

func runLua(t *testing.T, code string) (string, error) {
	var out strings.Builder
	L := newState(t, &out)
	defer L.Close()
	err := L.DoString(code)
	return out.String(), err
}

// Expected outputs were printed by the same snippets on nginx 1.22.1 + lua-nginx-module
// 0.10.23 + lua-resty-core (PCRE 8.x), Debian bookworm, unless marked "not from nginx".
var cases = []struct {
	name, code, want string
}{
	// match: captures, names, false for unmatched groups
	{"match numbered", `show(ngx.re.match("hello, 1234", "([0-9])[0-9]+"))`, "{0=1234,1=1}"},
	{"match named", `show(ngx.re.match("hello, 1234", "(?<first>[0-9])(?<second>[0-9])(x)?"))`,
		"{0=12,1=1,2=2,3=false,first=1,second=2}"},
	{"match pcre numbering", `show(ngx.re.match("ab", "(?<y>a)(b)"))`, "{0=ab,1=a,2=b,y=a}"},
	{"match trailing unmatched", `show(ngx.re.match("aa", "(a)(?<n>a)?(x)?"))`, "{0=aa,1=a,2=a,3=false,n=a}"},
	{"match no match", `show(ngx.re.match("abc", "x"))`, "nil"},
	{"match number subject", `show(ngx.re.match(12345, "3"))`, "{0=3}"},
	{"match nil subject", `show(ngx.re.match(nil, "nil"))`, "{0=nil}"},
	{"match D dupnames", `show(ngx.re.match("hello, world", "(?<named>w)(?<named>o)", "D"))`,
		"{0=wo,1=w,2=o,named={1=w,2=o}}"},
	{"match D unmatched dup", `show(ngx.re.match("hello, world", "(?<named>w)|(?<named>o)", "D"))`,
		"{0=o,1=false,2=o,named={1=o}}"},
	{"match dup without D", `show(ngx.re.match("hello, world", "(?<n>a)(?<n>b)"))`,
		`nil | pcre_compile() failed: two named subpatterns have the same name in "(?<n>a)(?<n>b)" at ">b)"`},
	{"match res table reused", `local r = {x=1}; local m = ngx.re.match("ab", "(a)", nil, nil, r); show(m == r, r)`,
		"true | {0=a,1=a,x=1}"}, // not from nginx
	// ctx.pos
	{"match ctx pos", `local ctx = {pos = 2}; show(ngx.re.match("1234, hello", "[0-9]+", "", ctx), ctx.pos)`, "{0=234} | 5"},
	{"find ctx out", `local ctx = {}; show(ngx.re.find("1234, hello", "[0-9]+", "", ctx), ctx.pos)`, "1 | 5"},
	{"ctx pos string", `show(pcall(ngx.re.match, "x", "x", nil, {pos="a"}))`, "false | <string>:1: attempt to compare string with number"},
	{"anchored at ctx pos", `local c = {pos=2}; show(ngx.re.match("xfoo", "foo", "a", c), c.pos)`, "{0=foo} | 5"},
	// find
	{"find", `show(ngx.re.find("hello", "l+"))`, "3 | 4"},
	{"find nth", `show(ngx.re.find("hello, 1234", "([0-9])([0-9]+)", "jo", nil, 2))`, "9 | 11"},
	{"find nth out of bound", `show(ngx.re.find("hello, 1234", "([0-9])([0-9]+)", "jo", nil, 3))`, "nil | nil | nth out of bound"},
	{"find utf8 byte offsets", `show(ngx.re.find("héllo wörld", "w\\S+", "u"))`, "8 | 13"},
	{"find bytes offsets", `show(ngx.re.find("héllo wörld", "w\\S+"))`, "8 | 13"},
	// options
	{"opt a", `show(ngx.re.match("xfoo", "foo", "a"), ngx.re.match("foo", "foo", "a"))`, "nil | {0=foo}"},
	{"opt i s", `show(ngx.re.match("A\nB", "a.b", "is"))`, "{0=A\nB}"},
	{"opt x", `show(ngx.re.match("abc", "a b  c # comment", "x"))`, "{0=abc}"},
	{"opt m ^", `show(ngx.re.gsub("a\nb\n", "^", ">", "m"))`, ">a\n>b\n | 2"},
	{"$ before final newline", `show(ngx.re.gsub("a\nb\n", "$", "<"))`, "a\nb<\n< | 2"},
	{"opt m $", `show(ngx.re.gsub("a\nb\n", "$", "<", "m"))`, "a<\nb<\n< | 3"},
	{"\\Z", `show(ngx.re.match("a\nb\n", "b\\Z"))`, "{0=b}"},
	{"opt d longest", `show(ngx.re.match("aaa", "a|aa|aaa", "d"))`, "{0=aaa}"},
	{"opt d no captures", `show(ngx.re.match("aaab", "(a)(a)+", "d"))`, "{0=aaa}"},
	{"opt u \\w ascii", `show(ngx.re.match("héllo", "\\w+", "u"))`, "{0=h}"},
	{"bytes \\w", `show(ngx.re.match("héllo", "\\w+"))`, "{0=h}"},
	{"opt u dot", `show(ngx.re.match("héllo", "h.l", "u"))`, "{0=hél}"},
	{"bytes dot dot", `show(ngx.re.match("héllo", "h..l"))`, "{0=hél}"},
	{"opt i bytes no fold of utf8", `show(ngx.re.match("ÉCOLE", "é", "i"))`, "nil"},
	{"opt iu folds", `show(ngx.re.match("ÉCOLE", "é", "iu"))`, "{0=É}"},
	{"\\s has VT", `show(ngx.re.match("a\tb\vc", "\\s\\S\\s"))`, "{0=\tb\v}"},
	{"lookahead \\b", `show(ngx.re.match("foobar", "foo(?=bar)bar\\b"))`, "{0=foobar}"},
	{"\\xe9 byte", `show(ngx.re.match(string.char(0xe9), "\\xe9"))`, "{0=\xe9}"},
	{"\\x{e9} utf8", `show(ngx.re.match("é", "\\x{e9}", "u"))`, "{0=é}"},
	{"^.$ utf8", `show(ngx.re.match("é", "^.$", "u"))`, "{0=é}"},
	{"bad utf8 u", `show(ngx.re.match(string.char(0xff), ".", "u"))`, "nil | pcre_exec() failed: -10"},
	{"bad utf8 U", `show(ngx.re.match(string.char(0xff), ".", "U"))`, "{0=\xff}"},
	{"unknown flag", `show(pcall(ngx.re.match, "x", "a", "z"))`, `false | <string>:1: unknown flag "z" (flags "z")`},
	{"number regex", `show(pcall(ngx.re.match, "x", 1))`, "false | <string>:1: attempt to get length of local 'regex' (a number value)"},
	{"number opts", `show(pcall(ngx.re.match, "x", "x", 1))`, "false | <string>:1: attempt to get length of local 'opts' (a number value)"},
	// PCRE-isms
	{"possessive", `show(ngx.re.match("x", "x++"), ngx.re.match("aaa", "a++a"))`, "{0=x} | nil"},
	{"\\K", `show(ngx.re.match("x", "\\K"), ngx.re.match("foobar", "foo\\Kbar"))`, "{0=} | {0=bar}"},
	{"\\Q", `show(ngx.re.match("x", "\\Qa"), ngx.re.match("a.b", "\\Q.\\E"))`, "nil | {0=.}"},
	{"(*UTF8)", `show(ngx.re.match("x", "(*UTF8)x"))`, "{0=x}"},
	{"\\X", `show(ngx.re.match("x", "\\X", "u"))`, "{0=x}"},
	{"forward ref", `show(ngx.re.match("x", "\\1(a)"))`, "nil"},
	{"P named", `show(ngx.re.match("abab", "(?P<x>ab)(?P=x)"))`, "{0=abab,1=ab,x=ab}"},                                                 // not from nginx
	{"\\g", `show(ngx.re.match("abab", "(ab)\\g{-1}"), ngx.re.match("abab", "(?<x>ab)\\k{x}"))`, "{0=abab,1=ab} | {0=abab,1=ab,x=ab}"}, // not from nginx
	{"atomic", `show(ngx.re.match("aaa", "(?>a+)a"))`, "nil"},                                                                          // not from nginx
	{"lookbehind", `show(ngx.re.match("xab", "(?<=a)b"))`, "{0=b}"},                                                                    // not from nginx
	{"posix class", `show(ngx.re.match("ab1", "[[:digit:]]"), ngx.re.match("1a", "[[:^digit:]]"))`, "{0=1} | {0=a}"},                   // not from nginx
	// compile errors
	{"err (", `show(ngx.re.match("x", "("))`, `nil | pcre_compile() failed: missing ) in "("`},
	{"err )", `show(ngx.re.find("x", ")"))`, `nil | nil | pcre_compile() failed: unmatched parentheses in ")" at ")"`},
	{"err **", `show(ngx.re.match("x", "a**"))`, `nil | pcre_compile() failed: nothing to repeat in "a**" at "*"`},
	{"err [", `show(ngx.re.match("x", "[a"))`, `nil | pcre_compile() failed: missing terminating ] for character class in "[a"`},
	{"err \\", `show(ngx.re.match("x", "a\\"))`, `nil | pcre_compile() failed: \ at end of pattern in "a\"`},
	{"err \\k", `show(ngx.re.match("x", "\\k"))`, `nil | pcre_compile() failed: \k is not followed by a braced, angle-bracketed, or quoted name in "\k" at "k"`},
	{"err {2,1}", `show(ngx.re.match("x", "a{2,1}"))`, `nil | pcre_compile() failed: numbers out of order in {} quantifier in "a{2,1}" at "}"`},
	{"err [b-a]", `show(ngx.re.match("x", "[b-a]"))`, `nil | pcre_compile() failed: range out of order in character class in "[b-a]"`},
	{"err (?z)", `show(ngx.re.match("x", "(?z)"))`, `nil | pcre_compile() failed: unrecognized character after (? or (?- in "(?z)" at "z)"`},
	{"err \\2", `show(ngx.re.match("x", "(a)\\2"))`, `nil | pcre_compile() failed: reference to non-existent subpattern in "(a)\2"`},
	{"err \\p", `show(ngx.re.match("x", "\\p{Foo}", "u"))`, `nil | pcre_compile() failed: unknown property name after \P or \p in "\p{Foo}" at "}"`},
	{"err posix", `show(ngx.re.match("x", "[[:foo:]]"))`, `nil | pcre_compile() failed: unknown POSIX class name in "[[:foo:]]" at "foo:]]"`},
	{"err comment", `show(ngx.re.match("x", "(?#abc"))`, `nil | pcre_compile() failed: missing ) after comment in "(?#abc"`},
	{"err big", `show(ngx.re.match("x", "x{99999}"))`, `nil | pcre_compile() failed: number too big in {} quantifier in "x{99999}" at "}"`},
	{"err ?", `show(ngx.re.match("x", "?"))`, `nil | pcre_compile() failed: nothing to repeat in "?" at "?"`},
	{"err \\c", `show(ngx.re.match("x", "\\c"))`, `nil | pcre_compile() failed: \c at end of pattern in "\c"`},
	{"err \\x{100}", `show(ngx.re.match("x", "\\x{100}"))`, `nil | pcre_compile() failed: character value in \x{} or \o{} is too large in "\x{100}" at "}"`},
	{"err name digit", `show(ngx.re.match("x", "(?P<1a>x)"))`, `nil | pcre_compile() failed: group name must start with a non-digit in "(?P<1a>x)" at "1a>x)"`},
	{"err name term", `show(ngx.re.match("x", "(?<a"))`, `nil | pcre_compile() failed: syntax error in subpattern name (missing terminator) in "(?<a"`},
	{"err \\g", `show(ngx.re.match("x", "\\g"))`, `nil | pcre_compile() failed: a numbered reference must not be zero in "\g" at "g"`},
	// gmatch
	{"gmatch", `local it = ngx.re.gmatch("hello, world", "([a-z]+)"); show(type(it), it(), it(), it(), it())`,
		"table | {0=hello,1=hello} | {0=world,1=world} | nil | nil"},
	{"gmatch empty", `local it = ngx.re.gmatch("abc", ""); show(it(), it(), it(), it(), it())`, "{0=} | {0=} | {0=} | {0=} | nil"},
	{"gmatch for", `local t = {}; for m in ngx.re.gmatch("a1b2", "\\d") do t[#t+1] = m[0] end; show(table.concat(t, ","))`, "1,2"}, // not from nginx
	{"gmatch error", `show(ngx.re.gmatch("x", "("))`, `nil | pcre_compile() failed: missing ) in "("`},                             // not from nginx
	// sub / gsub
	{"gsub template", `show(ngx.re.gsub("hello, world", "([a-z])[a-z]+", "[$0,$1]", "i"))`, "[hello,h], [world,w] | 2"},
	{"gsub ${0} $$", `show(ngx.re.gsub("hello, world", "([a-z])[a-z]+", "${0}x$$", "i"))`, "hellox$, worldx$ | 2"},
	{"sub func", `show(ngx.re.sub("hello, world", "[a-z]+", function(m) return "[" .. m[0] .. "]" end))`, "[hello], world | 1"},
	{"gsub empty", `show(ngx.re.gsub("abc", "", "-"))`, "-a-b-c- | 4"},
	{"gsub x*", `show(ngx.re.gsub("abc", "x*", "-"))`, "-a-b-c- | 4"},
	{"gsub empty utf8 mid-char", `show(ngx.re.gsub("héllo", "", "-", "u"))`, "nil | nil | pcre_exec() failed: -11"},
	{"gsub $0$0", `show(ngx.re.gsub("a.b.c", "\\.", "$0$0"))`, "a..b..c | 2"},
	{"gsub func nil", `show(ngx.re.gsub("abc", "b", function(m) return nil end))`, "anilc | 1"},
	{"gsub func number", `show(ngx.re.gsub("abc", "b", function(m) return 12 end))`, "a12c | 1"},
	{"gsub unset $2", `show(ngx.re.gsub("abc", "(b)(x)?", "[$2]"))`, "a[]c | 1"},
	{"gsub $10", `show(ngx.re.gsub("abc", "(b)", "[$10]"))`, "a[]c | 1"},
	{"gsub ${10}", `show(ngx.re.gsub("abc", "(b)", "[${10}]"))`, "a[]c | 1"},
	{"gsub ${n}", `show(ngx.re.gsub("abc", "(?<n>b)", "[${n}]"))`, "nil | nil | failed to compile the replacement template"},
	{"gsub $0a", `show(ngx.re.gsub("abc", "b", "[$0a]"))`, "a[ba]c | 1"},
	{"gsub \\$", `show(ngx.re.gsub("abc", "b", "\\$"))`, "nil | nil | failed to compile the replacement template"},
	{"sub $", `show(ngx.re.sub("x", "x", "$", ""))`, "nil | nil | failed to compile the replacement template"},
	{"sub ${1", `show(ngx.re.sub("x", "x", "${1", ""))`, "nil | nil | failed to compile the replacement template"},
	{"sub $a", `show(ngx.re.sub("x", "x", "$a", ""))`, "nil | nil | failed to compile the replacement template"},
	{"gsub $2 missing", `show(ngx.re.gsub("x", "(x)", "$2", ""))`, " | 1"},
	{"sub number repl", `show(ngx.re.sub("abc", "b", 5))`, "a5c | 1"},
	{"sub nil repl", `show(ngx.re.sub("abc", "b", nil))`, "anilc | 1"},
	{"sub bool repl", `show(ngx.re.sub("abc", "b", true))`, "atruec | 1"},
	{"sub no match", `show(ngx.re.sub("abc", "x", "y"))`, "abc | 0"}, // not from nginx
	// ngx.re module
	{"split", `local re = require "ngx.re"; show(re.split("a,b,c", ","))`, "{1=a,2=b,3=c}"},
	{"split empties", `show(require("ngx.re").split("a,b,,c,,", ","))`, "{1=a,2=b,3=,4=c}"},
	{"split capture", `show(require("ngx.re").split("a,b,c", "(,)"))`, "{1=a,2=,,3=b,4=,,5=c}"},
	{"split empty regex", `show(require("ngx.re").split("abc", ""))`, "{1=a,2=b,3=c}"},
	{"split max", `show(require("ngx.re").split("a,b,c,d", ",", nil, nil, 2))`, "{1=a,2=b,c,d}"},
	{"split ctx", `show(require("ngx.re").split("a,b,c", ",", nil, {pos=3}))`, "{1=b,2=c}"},
	{"split leading", `show(require("ngx.re").split(",a,b", ","))`, "{1=,2=a,3=b}"},
	{"split empty subject", `show(require("ngx.re").split("", ","))`, "{}"},
	{"split \\d*", `show(require("ngx.re").split("a1b22c", "\\d*"))`, "{1=a,2=a1,3=b,4=b22,5=c}"},
	{"opt unknown", `show(pcall(require("ngx.re").opt, "foo", 1))`, "false | <string>:1: unrecognized option name"},
}

func TestNgxRe(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := runLua(t, c.code)
			if err != nil {
				t.Fatalf("lua error: %v", err)
			}
			if got != c.want+"\n" {
				t.Errorf("\n got: %q\nwant: %q", got, c.want+"\n")
			}
		})
	}
}

// TestNginxTranscript runs testdata/nginx_probe.lua and compares its output with
// testdata/nginx_probe.out, which the same script printed on Debian's nginx + lua module.
func TestNginxTranscript(t *testing.T) {
	code, err := os.ReadFile("testdata/nginx_probe.lua")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/nginx_probe.out")
	if err != nil {
		t.Fatal(err)
	}
	got, err := runLua(t, string(code))
	if err != nil {
		t.Fatalf("lua error: %v", err)
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("line %d:\n got: %q\nwant: %q", i+1, g, w)
		}
	}
}
