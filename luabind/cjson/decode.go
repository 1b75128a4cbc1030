package cjson

import (
	lua "github.com/yuin/gopher-lua"
)

type tokType uint8

// Token types, named as lua-cjson names them in its error messages.
const (
	tObjBegin tokType = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tInteger
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

// tokNames word tokens in errors as OpenResty's lua-cjson 2.1.0.11 (the reference) does:
// integers are numbers there (T_INTEGER appeared in later releases of the fork).
var tokNames = [...]string{
	"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE",
	"T_ERROR", "T_UNKNOWN",
}

// ch2token is the first-character table of json_create_config.
var ch2token = func() (t [256]tokType) {
	for i := range t {
		t[i] = tError
	}
	t['{'] = tObjBegin
	t['}'] = tObjEnd
	t['['] = tArrBegin
	t[']'] = tArrEnd
	t[','] = tComma
	t[':'] = tColon
	t[0] = tEnd
	t[' '] = tWhitespace
	t['\t'] = tWhitespace
	t['\n'] = tWhitespace
	t['\r'] = tWhitespace
	for _, c := range "fiInNt\"+-0123456789" {
		t[c] = tUnknown
	}
	return
}()

// escape2char translates the character after a backslash; 0 is an invalid escape.
var escape2char = func() (t [256]byte) {
	t['"'] = '"'
	t['\\'] = '\\'
	t['/'] = '/'
	t['b'] = '\b'
	t['t'] = '\t'
	t['n'] = '\n'
	t['f'] = '\f'
	t['r'] = '\r'
	t['u'] = 'u'
	return
}()

// plainString marks the bytes a string scan can pass over without a closer look.
var plainString = func() (t [256]bool) {
	for i := range t {
		t[i] = i != '"' && i != '\\' && i != 0
	}
	return
}()

type token struct {
	typ   tokType
	index int     // 0-based offset of the token (or of the error)
	str   string  // tString; the error text for tError
	num   float64 // tNumber
	b     bool    // tBoolean
}

type kv struct {
	k string
	v lua.LValue
}

type decoder struct {
	L     *lua.LState
	c     *config
	sh    *shared
	s     string
	pos   int
	depth int
	slots int
	tmp   []byte
	vals  []lua.LValue // array elements being collected, all nesting levels
	kvs   []kv         // object members being collected, all nesting levels
	nums  numAlloc
}

// at is the byte at i, or 0 past the end: the C parser reads a NUL-terminated string.
func (d *decoder) at(i int) byte {
	if i < len(d.s) {
		return d.s[i]
	}
	return 0
}

// decode parses src (json_decode).
func (c *config) decode(L *lua.LState, src string) (v lua.LValue, err *jsonError) {
	if len(src) >= 2 && (src[0] == 0 || src[1] == 0) {
		return nil, &jsonError{msg: "JSON parser does not support UTF-16 or UTF-32"}
	}
	d := c.dec
	if d == nil || d.s != "" {
		d = &decoder{c: c, sh: c.sh}
		c.dec = d
	}
	d.L, d.s, d.pos, d.depth, d.slots = L, src, 0, 0, 1
	defer func() {
		d.s, d.L = "", nil
		clear(d.vals[:cap(d.vals)])
		clear(d.kvs[:cap(d.kvs)])
		d.vals, d.kvs = d.vals[:0], d.kvs[:0]
		d.nums.release()
		if r := recover(); r != nil {
			a, ok := r.(abort)
			if !ok {
				panic(r)
			}
			v, err = nil, a.err
		}
	}()
	var tok token
	d.next(&tok)
	v = d.value(&tok)
	d.next(&tok)
	if tok.typ != tEnd {
		d.throw("the end", &tok)
	}
	return v, nil
}

// throw is json_throw_parse_error.
func (d *decoder) throw(expected string, tok *token) {
	found := tok.str
	if tok.typ != tError {
		found = tokNames[tok.typ]
	}
	fail("Expected %s but found %s at character %d", expected, found, tok.index+1)
}

// descend is json_decode_descend: the depth limit and lua_checkstack's.
func (d *decoder) descend(slots int) {
	d.depth++
	if d.depth <= d.c.decodeMaxDepth && d.slots+slots <= luaMaxCStack {
		return
	}
	fail("Found too many nested data structures (%d) at character %d", d.depth, d.pos)
}

// value is json_process_value.
func (d *decoder) value(tok *token) lua.LValue {
	switch tok.typ {
	case tString:
		return lua.LString(tok.str)
	case tNumber, tInteger:
		return d.nums.number(tok.num)
	case tBoolean:
		return lua.LBool(tok.b)
	case tObjBegin:
		return d.object()
	case tArrBegin:
		return d.array()
	case tNull:
		return d.sh.null
	}
	d.throw("value", tok)
	return nil
}

// object is json_parse_object_context.
func (d *decoder) object() lua.LValue {
	d.descend(3)
	var tok token
	d.next(&tok)
	if tok.typ == tObjEnd {
		d.depth--
		return d.newTable(0, 0)
	}
	base := len(d.kvs)
	for {
		if tok.typ != tString {
			d.throw("object key string", &tok)
		}
		key := tok.str
		d.next(&tok)
		if tok.typ != tColon {
			d.throw("colon", &tok)
		}
		d.next(&tok)
		d.slots += 2
		v := d.value(&tok)
		d.slots -= 2
		d.kvs = append(d.kvs, kv{key, v})
		d.next(&tok)
		if tok.typ == tObjEnd {
			break
		}
		if tok.typ != tComma {
			d.throw("comma or object end", &tok)
		}
		d.next(&tok)
	}
	members := d.kvs[base:]
	t := d.newTable(0, len(members))
	for i := range members {
		t.RawSetString(members[i].k, members[i].v)
		members[i] = kv{}
	}
	d.kvs = d.kvs[:base]
	d.depth--
	return t
}

// array is json_parse_array_context.
func (d *decoder) array() lua.LValue {
	d.descend(2)
	var tok token
	d.next(&tok)
	if tok.typ == tArrEnd {
		d.depth--
		return d.newArray(0)
	}
	base := len(d.vals)
	for {
		d.slots++
		v := d.value(&tok)
		d.slots--
		d.vals = append(d.vals, v)
		d.next(&tok)
		if tok.typ == tArrEnd {
			break
		}
		if tok.typ != tComma {
			d.throw("comma or array end", &tok)
		}
		d.next(&tok)
	}
	elems := d.vals[base:]
	t := d.newArray(len(elems))
	for i, v := range elems {
		t.RawSetInt(i+1, v)
		elems[i] = nil
	}
	d.vals = d.vals[:base]
	d.depth--
	return t
}

func (d *decoder) newTable(acap, hcap int) *lua.LTable {
	return d.L.CreateTable(acap, hcap)
}

func (d *decoder) newArray(n int) *lua.LTable {
	t := d.newTable(n, 0)
	if d.c.decodeArrayWithMT {
		t.Metatable = d.sh.arrayMT
	}
	return t
}

func (d *decoder) tokenError(tok *token, msg string) {
	tok.typ = tError
	tok.index = d.pos
	tok.str = msg
}

// next is json_next_token.
func (d *decoder) next(tok *token) {
	var c byte
	for {
		for {
			c = d.at(d.pos)
			tok.typ = ch2token[c]
			if tok.typ != tWhitespace {
				break
			}
			d.pos++
		}
		if !d.c.decodeAllowComment {
			break
		}
		if c != '/' || (d.at(d.pos+1) != '/' && d.at(d.pos+1) != '*') {
			break
		}
		if d.at(d.pos+1) == '/' {
			d.pos += 2
			for d.at(d.pos) != 0 && d.at(d.pos) != '\n' {
				d.pos++
			}
		} else {
			d.pos += 2
			for {
				if d.at(d.pos) == 0 {
					d.tokenError(tok, "unclosed multi-line comment")
					return
				}
				if d.at(d.pos) == '*' && d.at(d.pos+1) == '/' {
					d.pos += 2
					break
				}
				d.pos++
			}
		}
	}
	tok.index = d.pos
	switch tok.typ {
	case tError:
		d.tokenError(tok, "invalid token")
		return
	case tEnd:
		return
	case tUnknown:
	default:
		d.pos++
		return
	}
	switch {
	case c == '"':
		d.stringToken(tok)
	case c == '-' || ('0' <= c && c <= '9'):
		if !d.c.decodeInvalidNums && d.isInvalidNumber() {
			d.tokenError(tok, "invalid number")
			return
		}
		d.numberToken(tok)
	case d.hasPrefix("true"):
		tok.typ, tok.b = tBoolean, true
		d.pos += 4
	case d.hasPrefix("false"):
		tok.typ, tok.b = tBoolean, false
		d.pos += 5
	case d.hasPrefix("null"):
		tok.typ = tNull
		d.pos += 4
	case d.c.decodeInvalidNums && d.isInvalidNumber():
		d.numberToken(tok)
	default:
		d.tokenError(tok, "invalid token")
	}
}

func (d *decoder) hasPrefix(p string) bool {
	return len(d.s)-d.pos >= len(p) && d.s[d.pos:d.pos+len(p)] == p
}

// isInvalidNumber is json_is_invalid_number: numbers strtod takes but strict JSON does not.
func (d *decoder) isInvalidNumber() bool {
	p := d.pos
	c := d.at(p)
	if c == '+' {
		return true
	}
	if c == '-' {
		p++
		c = d.at(p)
	}
	if c == '0' {
		c2 := d.at(p + 1)
		return c2|0x20 == 'x' || ('0' <= c2 && c2 <= '9')
	}
	if c <= '9' {
		return false
	}
	return hasPrefixFold(d.s, p, "inf") || hasPrefixFold(d.s, p, "nan")
}

// numberToken is json_next_number_token: strtoll first, strtod for anything else.
func (d *decoder) numberToken(tok *token) {
	p := d.pos
	n, end := strtoll(d.s, p)
	if end == p {
		goto float
	}
	switch d.at(end) {
	case '.', 'e', 'E', 'x':
		goto float
	}
	tok.typ = tInteger
	tok.num = float64(n)
	d.pos = end
	return
float:
	f, end, ok := strtod(d.s, p)
	if !ok {
		d.tokenError(tok, "invalid number")
		return
	}
	tok.typ = tNumber
	tok.num = f
	d.pos = end
}

// stringToken is json_next_string_token. A string without escapes is a substring of the
// input, not a copy.
func (d *decoder) stringToken(tok *token) {
	s := d.s
	start := d.pos + 1
	i := start
	for i < len(s) && plainString[s[i]] {
		i++
	}
	if i < len(s) && s[i] == '"' {
		tok.typ = tString
		tok.str = s[start:i]
		d.pos = i + 1
		return
	}
	tmp := append(d.tmp[:0], s[start:i]...)
	for {
		c := d.at(i)
		if c == '"' {
			break
		}
		if c == 0 {
			d.pos = i
			d.tokenError(tok, "unexpected end of string")
			return
		}
		if c == '\\' {
			ch := escape2char[d.at(i+1)]
			if ch == 'u' {
				var ok bool
				if tmp, i, ok = d.unicodeEscape(tmp, i); ok {
					continue
				}
				d.pos = i
				d.tokenError(tok, "invalid unicode escape code")
				return
			}
			if ch == 0 {
				d.pos = i
				d.tokenError(tok, "invalid escape code")
				return
			}
			tmp = append(tmp, ch)
			i += 2
			continue
		}
		tmp = append(tmp, c)
		i++
	}
	d.tmp = tmp
	d.pos = i + 1
	tok.typ = tString
	tok.str = string(tmp)
}

func hexDigit(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c|0x20 && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return -1
}

func (d *decoder) hex4(i int) int {
	v := 0
	for j := range 4 {
		h := hexDigit(d.at(i + j))
		if h < 0 {
			return -1
		}
		v = v<<4 | h
	}
	return v
}

// unicodeEscape is json_append_unicode_escape, for the "\u" at i: the UTF-8 of the code
// point (a surrogate pair makes one) appended to tmp, and the index after the escape.
func (d *decoder) unicodeEscape(tmp []byte, i int) ([]byte, int, bool) {
	cp := d.hex4(i + 2)
	if cp < 0 {
		return tmp, i, false
	}
	escLen := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return tmp, i, false
		}
		if d.at(i+6) != '\\' || d.at(i+7) != 'u' {
			return tmp, i, false
		}
		lo := d.hex4(i + 8)
		if lo < 0 || lo&0xFC00 != 0xDC00 {
			return tmp, i, false
		}
		cp = ((cp&0x3FF)<<10 | lo&0x3FF) + 0x10000
		escLen = 12
	}
	switch {
	case cp <= 0x7F:
		tmp = append(tmp, byte(cp))
	case cp <= 0x7FF:
		tmp = append(tmp, byte(cp>>6)|0xC0, byte(cp)&0x3F|0x80)
	case cp <= 0xFFFF:
		tmp = append(tmp, byte(cp>>12)|0xE0, byte(cp>>6)&0x3F|0x80, byte(cp)&0x3F|0x80)
	default:
		tmp = append(tmp, byte(cp>>18)|0xF0, byte(cp>>12)&0x3F|0x80, byte(cp>>6)&0x3F|0x80, byte(cp)&0x3F|0x80)
	}
	return tmp, i + escLen, true
}
