package luajit

import (
	"bytes"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestProbeGopherLuaLexer records what gopher-lua v1.1.2's own lexer does with each
// escape, without Translate: the reason each rewrite exists (and the ones that are not
// needed). If an upgrade fixes one, this test says so.
func TestProbeGopherLuaLexer(t *testing.T) {
	cases := []struct {
		src, got, luajit string
	}{
		{`return "\x41"`, "x41", "A"},             // backslash dropped
		{`return "a\z   b"`, "az   b", "ab"},      // backslash dropped
		{`return "\u{48}"`, "u{48}", "H"},         // backslash dropped
		{`return "\256"`, "\x00", "(error)"},      // wraps instead of failing
		{`return "\q"`, "q", "(error)"},           // accepted instead of failing
		{`return "\65\066\0677"`, "ABC7", "ABC7"}, // decimal: right
		{`return "\a\b\f\n\r\t\v\\\"\'"`, "\a\b\f\n\r\t\v\\\"'", "\a\b\f\n\r\t\v\\\"'"},
		{"return \"a\\\nb\"", "a\nb", "a\nb"}, // escaped newline: right
	}
	for _, c := range cases {
		L := lua.NewState()
		err := L.DoString(c.src)
		got := "(error)"
		if err == nil {
			got = L.ToString(-1)
		}
		L.Close()
		if got != c.got {
			t.Errorf("gopher-lua now reads %s as %q (was %q; LuaJIT: %q): revisit Translate", c.src, got, c.got, c.luajit)
		}
	}
}

func TestTranslateEscapes(t *testing.T) {
	cases := []struct {
		name, src, want string // want: results, or "ERR " + LuaJIT's message
	}{
		{"hex", `return "a\x41b\x7a\xFF" == "aAbz\255"`, "true"},
		{"hex quote", `return "\x22\x27\x5c", #"\x22\x27\x5c"`, "\"'\\|3"},
		{"hex then digit", `return "\x412"`, "A2"},
		{"hex single quotes", `return 'it\x27s'`, "it's"},
		{"hex in comment untouched", "-- \"\\q\" \\x41\nreturn 1", "1"},
		{"hex in long string untouched", `return [[\x41\q]]`, `\x41\q`},
		{"hex in long level-2 string", `return [==[a]]\x41]=]]==]`, `a]]\x41]=]`},
		{"hex in long comment", "--[==[ \"\\q ]] ]==] return 'ok'", "ok"},
		{"decimal", `return "\65\066\0677\0"`, "ABC7\x00"},
		{"decimal 255", `return #"\255", "\255" == "\xff"`, "1|true"},
		{"utf8 1-4 bytes", `return "\u{48}\u{E9}\u{20AC}\u{1F600}"`, "Hé€😀"},
		{"utf8 leading zeros", `return "\u{0000041}"`, "A"},
		{"utf8 max", `return #"\u{10FFFF}"`, "4"},
		{"utf8 quote", `return "\u{22}"`, `"`},
		{"z skips spaces", `return "a\z     b"`, "ab"},
		{"z skips newlines", "return \"a\\z  \n\n   b\"", "ab"},
		{"z at end", `return "a\z"`, "a"},
		{"z keeps decimal", "return \"\\1\\z  \n 2\" == string.char(1) .. '2'", "true"},
		{"z crlf", "return \"a\\z \r\n\r\n b\"", "ab"},
		{"escaped newline", "return \"a\\\nb\"", "a\nb"},
		{"simple escapes", `return "\a\b\f\n\r\t\v\\\"\'" == string.char(7,8,12,10,13,9,11,92,34,39)`, "true"},
		{"mixed", `return 'x\x41\u{42}\67\z  D'`, "xABCD"},
		{"brackets not long", `local t = {"\x41"} return t[1]`, "A"},
		{"minus not comment", `return 3 - -1, "\x41"`, "4|A"},
		// errors, with LuaJIT's texts (checked against Debian's LuaJIT 2.1)
		{"err unknown", `return "a\q"`, `ERR test:1: invalid escape sequence near '"a'`},
		{"err near value", `return "a\x41\q"`, `ERR test:1: invalid escape sequence near '"aA'`},
		{"err single quote", `return 'abc\q'`, `ERR test:1: invalid escape sequence near ''abc'`},
		{"err hex short", `return "a\x4"`, `ERR test:1: invalid escape sequence near '"a'`},
		{"err hex bad", `return "a\xg1"`, `ERR test:1: invalid escape sequence near '"a'`},
		{"err decimal big", `return "a\256"`, `ERR test:1: invalid escape sequence near '"a'`},
		{"err u no brace", `return "a\u48"`, `ERR test:1: invalid escape sequence near '"a'`},
		{"err u empty", `return "a\u{}"`, `ERR test:1: invalid escape sequence near '"a'`},
		{"err u range", `return "a\u{110000}"`, `ERR test:1: invalid escape sequence near '"a'`},
		{"err u surrogate", `return "a\u{D800}"`, `ERR test:1: invalid escape sequence near '"a'`},
		{"err u open", `return "a\u{48"`, `ERR test:1: invalid escape sequence near '"a'`},
		{"err line", "x=1\ny=2\nreturn \"abc\\q\"", `ERR test:3: invalid escape sequence near '"abc'`},
		{"err after z", "return \"a\\z \n \n \\q\"", `ERR test:3: invalid escape sequence near '"a'`},
		{"err unfinished eol", "return \"abc\nx\"", `ERR test:1: unfinished string near '"abc'`},
		{"err unfinished eof", `return "abc`, `ERR test:1: unfinished string near '<eof>'`},
		{"err backslash eof", `return "a\`, `ERR test:1: unfinished string near '<eof>'`},
		{"err z eof", `return "a\z`, `ERR test:1: unfinished string near '<eof>'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(t, newState(t), c.src); got != c.want {
				t.Errorf("%s\n got %q\nwant %q", c.src, got, c.want)
			}
		})
	}
}

// TestTranslateLines checks that every token keeps its line: runtime errors after a
// rewritten string report LuaJIT's line (verified with LuaJIT).
func TestTranslateLines(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"after z", "local x = 1\nreturn \"a\\z \r\n \n\r x\" .. (x+nil)", "ERR test:4:"},
		{"z then code", "local s = \"a\\z\n\n  b\"\nlocal y = nil + 1", "ERR test:4:"},
		{"hex then code", "local s = \"\\x41\"\n\nerror('here')", "ERR test:3: here"},
		{"two z", "local s = \"\\z\n\" .. '\\z\n\n'\nerror('x')", "ERR test:5: x"},
		// LuaJIT reports line 3 here (the line of "(1)"); gopher-lua reports a call spanning
		// lines at its first line, with or without Translate.
		{"z call arg", "local function f(s) return s end\nlocal r = f\"a\\z\n  b\"(1)", "ERR test:2:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := run(t, newState(t), c.src)
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("got %q, want prefix %q", got, c.want)
			}
			out, err := Translate("x", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := lines(c.src), lines(string(out)); a != b {
				t.Errorf("line count %d -> %d:\n%s", a, b, out)
			}
		})
	}
}

func lines(s string) int {
	return strings.Count(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n\r", "\n"), "\n") +
		strings.Count(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", ""), "\n\r", ""), "\r")
}

func TestTranslateUntouched(t *testing.T) {
	src := []byte("local s = 'plain' -- comment \\q\nreturn [[\\x]] .. \"\\n\\65\"\n")
	out, err := Translate("x", src)
	if err != nil {
		t.Fatal(err)
	}
	if &out[0] != &src[0] {
		t.Errorf("source without rewrites was copied")
	}
}

func TestTranslateChunkName(t *testing.T) {
	for name, want := range map[string]string{"@a/b.lua": "a/b.lua:1:", "=stdin": "stdin:1:", "handler.lua": "handler.lua:1:"} {
		_, err := Translate(name, []byte(`x = "\q"`))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v, want prefix %q", name, err, want)
		}
	}
}

// bench10K is a ~10 KB handler-like script with a few escapes to rewrite.
func bench10K() []byte {
	var b bytes.Buffer
	for b.Len() < 10*1024 {
		b.WriteString("local function handler(wb, data) -- echo a frame\n")
		b.WriteString("  local ok, err = wb:send_text(\"got: \" .. data .. \"\\n\")\n")
		b.WriteString("  if not ok then ngx.log(ngx.ERR, 'failed to send: ', err) return end\n")
		b.WriteString("  local s = [[long \\x string]] .. \"\\x41\\u{20AC}\\z\n     tail\"\n")
		b.WriteString("end\n")
	}
	return b.Bytes()
}

func BenchmarkTranslate10K(b *testing.B) {
	src := bench10K()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Translate("bench", src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCopy10K is the baseline: one plain copy of the same script.
func BenchmarkCopy10K(b *testing.B) {
	src := bench10K()
	b.SetBytes(int64(len(src)))
	var sink []byte
	for b.Loop() {
		sink = append(sink[:0:0], src...)
	}
	_ = sink
}

func BenchmarkTranslate10KNoEscapes(b *testing.B) {
	src := bytes.ReplaceAll(bytes.ReplaceAll(bench10K(), []byte(`\x41\u{20AC}\z`), []byte("AB")), []byte("\n     tail"), []byte("tail"))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Translate("bench", src); err != nil {
			b.Fatal(err)
		}
	}
}
