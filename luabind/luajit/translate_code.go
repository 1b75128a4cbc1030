package luajit

import (
	"strconv"
	"strings"
)

// What Translate rewrites outside strings and comments, besides a first line starting
// with '#' (LuaJIT skips it, e.g. "#!/usr/bin/env resty"; it becomes an empty line):
//
//   - hexadecimal numerals with a fraction or a binary exponent (0xA.8p0, 0x1p-2), which
//     gopher-lua's lexer does not read, become the decimal numeral of the same value;
//   - goto used as a name (LuaJIT 2.1 without 5.2 compatibility reads "goto = 1" as an
//     assignment; it is a statement only when a name follows) becomes the name "__goto".
//
// Every line keeps its number.

func init() {
	for c := 'a'; c <= 'z'; c++ {
		special[c] = true
		special[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		special[c] = true
	}
	special['_'] = true
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// skipShebang returns where the code starts: past a first line starting with '#'.
func skipShebang(src []byte) int {
	if len(src) == 0 || src[0] != '#' {
		return 0
	}
	i := 0
	for i < len(src) && src[i] != '\n' && src[i] != '\r' {
		i++
	}
	return i
}

// scanCode reads the name or numeral at src[i], rewriting it into out when gopher-lua
// would read it differently; it returns where the token ends and the new out/copied.
func scanCode(src []byte, i int, out []byte, copied int) (int, []byte, int) {
	n := len(src)
	j := i
	if !isDigit(src[i]) { // a name
		for j < n && isIdent(src[j]) {
			j++
		}
		if j-i == 4 && string(src[i:j]) == "goto" && !gotoStatement(src, j) {
			out, copied = flush(out, src, copied, i)
			out = append(out, gotoName...)
			copied = j
		}
		return j, out, copied
	}
	// a numeral, as Lua's lexer reads one: alphanumerics, '.', and a sign after an exponent
	for j < n {
		c := src[j]
		if (c == '+' || c == '-') && j > i && strings.IndexByte("eEpP", src[j-1]) >= 0 {
			j++
			continue
		}
		if !isIdent(c) && c != '.' {
			break
		}
		j++
	}
	tok := string(src[i:j])
	if len(tok) > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X') && strings.ContainsAny(tok, ".pP") {
		t := tok
		if !strings.ContainsAny(t, "pP") {
			t += "p0"
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			out, copied = flush(out, src, copied, i)
			out = append(out, strconv.FormatFloat(f, 'g', -1, 64)...)
			copied = j
		}
	}
	return j, out, copied
}

// gotoName stands for goto used as a name.
const gotoName = "__goto"

// gotoStatement reports whether the goto ending at src[j] starts a goto statement: a name
// follows (on any line, after spaces and comments are not considered).
func gotoStatement(src []byte, j int) bool {
	for j < len(src) && isSpace(src[j]) {
		j++
	}
	return j < len(src) && isIdent(src[j]) && !isDigit(src[j])
}
