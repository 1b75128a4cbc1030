package luajit

import (
	"strconv"
)

// SyntaxError is a lexical error found by Translate, formatted as LuaJIT formats it:
// "chunk:line: message near 'token'".
type SyntaxError struct {
	Chunk string // chunk name as shown (a leading '@' or '=' removed)
	Line  int    // 1-based line where LuaJIT reports the error
	Msg   string // e.g. "invalid escape sequence"
	Near  string // the token text LuaJIT quotes, e.g. `"abc` or `<eof>`
}

func (e *SyntaxError) Error() string {
	if e.Near == "" { // a scope error such as "no loop to break"
		return e.Chunk + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.Chunk + ":" + strconv.Itoa(e.Line) + ": " + e.Msg + " near '" + e.Near + "'"
}

// displayChunk is the chunk name as Translate's errors show it: LuaJIT drops a leading
// '@' (file) or '=' (verbatim) marker; other names are used as given (the host's names are
// plain paths, which is also what gopher-lua prints in runtime errors).
func displayChunk(name string) string {
	if len(name) > 0 && (name[0] == '@' || name[0] == '=') {
		return name[1:]
	}
	return name
}

// Translate rewrites Lua source written for LuaJIT into source that gopher-lua v1.1.2
// parses with the same meaning, keeping every line number identical.
//
// Only escape sequences inside short strings ('...' and "...") are rewritten, and only the
// ones gopher-lua gets wrong: "\xNN", "\u{XXX}" and "\z" (gopher-lua drops the backslash
// and keeps the letter), and decimal escapes above 255 (gopher-lua wraps them; LuaJIT
// rejects them). "\xNN" and "\u{...}" become three-digit decimal escapes; "\z" and the
// whitespace it skips are removed, and the newlines it skipped are written right after the
// closing quote, so every later token keeps its line (a newline between tokens changes
// nothing in gopher-lua's grammar after a string token). Long strings, comments and code
// pass through byte for byte.
//
// Escapes LuaJIT rejects, and strings left open, give LuaJIT's error text as a
// *SyntaxError ("chunk:3: invalid escape sequence near '"abc'").
//
// When nothing needs rewriting (the usual case), src itself is returned, not a copy.
func Translate(chunkname string, src []byte) ([]byte, error) {
	var out []byte // nil until the first rewrite
	copied := 0    // src[:copied] is already in out
	n := len(src)
	i := skipShebang(src)
	if i > 0 {
		out, copied = []byte{}, i
	}
	for i < n {
		if !special[src[i]] {
			i++
			continue
		}
		switch src[i] {
		case '-':
			if i+1 < n && src[i+1] == '-' {
				i = skipComment(src, i+2)
			} else {
				i++
			}
		case '[':
			if lvl, ok := longOpen(src, i); ok {
				i = skipLong(src, i+lvl+2, lvl)
			} else {
				i++
			}
		case '"', '\'':
			j, o, c, err := scanShort(chunkname, src, i, out, copied)
			if err != nil {
				return nil, err
			}
			out, copied, i = o, c, j
		default:
			i, out, copied = scanCode(src, i, out, copied)
		}
	}
	if out == nil {
		return src, nil
	}
	return append(out, src[copied:]...), nil
}

// special marks the bytes that may start a comment or a string.
var special = [256]bool{'-': true, '[': true, '"': true, '\'': true}

// longOpen reports whether src[i] starts a long bracket "[", "="*lvl, "[".
func longOpen(src []byte, i int) (int, bool) {
	j := i + 1
	for j < len(src) && src[j] == '=' {
		j++
	}
	if j < len(src) && src[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// skipLong returns the index just past the long bracket closing "]", "="*lvl, "]" searched
// from i, or len(src) if it is missing (the parser reports that).
func skipLong(src []byte, i, lvl int) int {
	n := len(src)
	for ; i < n; i++ {
		if src[i] != ']' {
			continue
		}
		j := i + 1
		for j < n && src[j] == '=' {
			j++
		}
		if j < n && src[j] == ']' && j-i-1 == lvl {
			return j + 1
		}
		i = j - 1
	}
	return n
}

// skipComment skips a comment whose "--" ends just before i.
func skipComment(src []byte, i int) int {
	if i < len(src) && src[i] == '[' {
		if lvl, ok := longOpen(src, i); ok {
			return skipLong(src, i+lvl+2, lvl)
		}
	}
	for i < len(src) && src[i] != '\n' && src[i] != '\r' {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func hexVal(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// eol returns the index past the line end starting at src[i] ('\n' or '\r'), treating
// "\r\n" and "\n\r" as one line end, as both lexers do.
func eol(src []byte, i int) int {
	c := src[i]
	i++
	if i < len(src) && (src[i] == '\n' || src[i] == '\r') && src[i] != c {
		i++
	}
	return i
}

// escape decodes the escape whose backslash is at src[i]. It returns the index past it,
// the decoded bytes (up to 4), how many newlines it consumed, and kind:
// 0 = gopher-lua reads it the same (copy as is), 1 = rewrite as decoded bytes,
// 2 = "\z" (drop), -1 = invalid escape, -2 = source ends inside it.
func escape(src []byte, i int) (next int, val [4]byte, nval, lines, kind int) {
	n := len(src)
	i++
	if i >= n {
		return i, val, 0, 0, -2
	}
	c := src[i]
	switch c {
	case 'a', 'b', 'f', 'n', 'r', 't', 'v', '\\', '"', '\'':
		val[0] = simpleEscape(c)
		return i + 1, val, 1, 0, 0
	case '\n', '\r':
		val[0] = '\n'
		return eol(src, i), val, 1, 1, 0
	case 'x':
		if i+2 < n {
			h, ok1 := hexVal(src[i+1])
			l, ok2 := hexVal(src[i+2])
			if ok1 && ok2 {
				val[0] = byte(h<<4 | l)
				return i + 3, val, 1, 0, 1
			}
		}
		return i, val, 0, 0, -1
	case 'u':
		if i+1 >= n || src[i+1] != '{' {
			return i, val, 0, 0, -1
		}
		j := i + 2
		r := 0
		for {
			if j >= n {
				return j, val, 0, 0, -1
			}
			h, ok := hexVal(src[j])
			if !ok {
				return j, val, 0, 0, -1
			}
			r = r<<4 | h
			if r >= 0x110000 {
				return j, val, 0, 0, -1
			}
			j++
			if j < n && src[j] == '}' {
				break
			}
		}
		j++
		switch {
		case r < 0x80:
			val[0] = byte(r)
			nval = 1
		case r < 0x800:
			val[0], val[1] = byte(0xc0|r>>6), byte(0x80|r&0x3f)
			nval = 2
		case r < 0x10000:
			if r >= 0xd800 && r < 0xe000 {
				return j, val, 0, 0, -1
			}
			val[0], val[1], val[2] = byte(0xe0|r>>12), byte(0x80|(r>>6)&0x3f), byte(0x80|r&0x3f)
			nval = 3
		default:
			val[0], val[1], val[2], val[3] = byte(0xf0|r>>18), byte(0x80|(r>>12)&0x3f), byte(0x80|(r>>6)&0x3f), byte(0x80|r&0x3f)
			nval = 4
		}
		return j, val, nval, 0, 1
	case 'z':
		j := i + 1
		for j < n && isSpace(src[j]) {
			if src[j] == '\n' || src[j] == '\r' {
				j = eol(src, j)
				lines++
			} else {
				j++
			}
		}
		return j, val, 0, lines, 2
	}
	if !isDigit(c) {
		return i, val, 0, 0, -1
	}
	v := int(c - '0')
	j := i + 1
	for k := 0; k < 2 && j < n && isDigit(src[j]); k++ {
		v = v*10 + int(src[j]-'0')
		j++
	}
	if v > 255 {
		return j, val, 0, 0, -1
	}
	val[0] = byte(v)
	if j-i < 3 && j < n && src[j] == '\\' {
		// A short decimal escape before a "\z" that gets dropped could merge with the
		// digits after it ("\1\z 2"): write it with three digits.
		return j, val, 1, 0, 1
	}
	return j, val, 1, 0, 0
}

// scanShort handles the short string whose quote is at src[q]. It returns the index past
// the closing quote and the updated output state.
func scanShort(chunk string, src []byte, q int, out []byte, copied int) (int, []byte, int, error) {
	quote := src[q]
	n := len(src)
	pending := 0 // newlines skipped by \z, written after the closing quote
	i := q + 1
	for {
		if i >= n {
			return 0, nil, 0, lexError(chunk, src, i, "unfinished string", "<eof>")
		}
		c := src[i]
		if c == quote {
			i++
			if pending > 0 {
				out, copied = flush(out, src, copied, i)
				for ; pending > 0; pending-- {
					out = append(out, '\n')
				}
			}
			return i, out, copied, nil
		}
		if c == '\n' || c == '\r' {
			return 0, nil, 0, lexError(chunk, src, i, "unfinished string", nearString(src, q, i))
		}
		if c != '\\' {
			i++
			continue
		}
		next, val, nval, lines, kind := escape(src, i)
		switch kind {
		case 0:
			i = next
		case 1:
			out, _ = flush(out, src, copied, i)
			for k := 0; k < nval; k++ {
				out = appendDec(out, val[k])
			}
			i, copied = next, next
		case 2:
			out, _ = flush(out, src, copied, i)
			pending += lines
			i, copied = next, next
		case -1:
			return 0, nil, 0, lexError(chunk, src, i, "invalid escape sequence", nearString(src, q, i))
		default: // -2: backslash at the very end
			return 0, nil, 0, lexError(chunk, src, n, "unfinished string", "<eof>")
		}
	}
}

func simpleEscape(c byte) byte {
	switch c {
	case 'a':
		return '\a'
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'v':
		return '\v'
	}
	return c
}

// flush appends src[copied:upto] to out (starting out with a copy of src[:copied] when it
// is still nil) and returns the new out and copied position.
func flush(out, src []byte, copied, upto int) ([]byte, int) {
	if out == nil {
		out = make([]byte, 0, len(src)+len(src)/8+16)
	}
	return append(out, src[copied:upto]...), upto
}

func appendDec(out []byte, b byte) []byte {
	return append(out, '\\', '0'+b/100, '0'+b/10%10, '0'+b%10)
}

// nearString is the token text LuaJIT shows for an error inside the string opened at q:
// the quote and the value decoded so far, up to src[upto].
func nearString(src []byte, q, upto int) string {
	buf := []byte{src[q]}
	for i := q + 1; i < upto; {
		if src[i] != '\\' {
			buf = append(buf, src[i])
			i++
			continue
		}
		next, val, nval, _, _ := escape(src, i)
		buf = append(buf, val[:nval]...)
		i = next
	}
	return string(buf)
}

// lexError builds LuaJIT's error for position pos, counting lines as LuaJIT does.
func lexError(chunk string, src []byte, pos int, msg, near string) error {
	line := 1
	for i := 0; i < pos && i < len(src); {
		if src[i] == '\n' || src[i] == '\r' {
			i = eol(src, i)
			line++
			continue
		}
		i++
	}
	return &SyntaxError{Chunk: displayChunk(chunk), Line: line, Msg: msg, Near: near}
}
