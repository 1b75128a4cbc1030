package luabind

// The string helpers of the ngx table, as lua-nginx-module 0.10.23 with lua-resty-core
// 0.1.25 (Debian's OpenResty stack) defines them. Some are lua-resty-core FFI wrappers
// (encode_base64, decode_base64, md5*, sha1_bin, crc32_*, escape_uri, unescape_uri), some
// are the C functions (hmac_sha1, quote_sql_str); their argument handling and error strings
// differ, and each function below follows the one OpenResty actually runs.

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

var ngxStrFuncs = map[string]lua.LGFunction{
	"encode_base64":     ngxStrEncodeBase64,
	"decode_base64":     ngxStrDecodeBase64,
	"decode_base64mime": ngxStrDecodeBase64MIME,
	"sha1_bin":          ngxStrSha1Bin,
	"md5":               ngxStrMd5,
	"md5_bin":           ngxStrMd5Bin,
	"hmac_sha1":         ngxStrHmacSha1,
	"crc32_short":       ngxStrCrc32,
	"crc32_long":        ngxStrCrc32,
	"escape_uri":        ngxStrEscapeURI,
	"unescape_uri":      ngxStrUnescapeURI,
	"quote_sql_str":     ngxStrQuoteSQLStr,
}

// registerNgxString sets the string helpers on the ngx table.
func registerNgxString(L *lua.LState, ngx *lua.LTable) {
	for name, fn := range ngxStrFuncs {
		ngx.RawSetString(name, L.NewFunction(fn))
	}
}

// ---- errors shaped like LuaJIT's -------------------------------------------------------

// ngxStrWhere is luaL_where: "chunk:line: " of the function `level` frames up the stack
// (0 = the running Go function, 1 = its caller), or "" when that frame is not a Lua function.
func ngxStrWhere(L *lua.LState, level int) string {
	dbg, ok := L.GetStack(level)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
		return ""
	}
	if dbg.What == "G" || dbg.CurrentLine <= 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
}

// ngxStrError raises msg the way Lua's error(msg, level+1) does from a Lua wrapper, or
// luaL_error from C when level is 1: prefixed with the position of the caller `level` frames up.
func ngxStrError(L *lua.LState, level int, msg string) {
	L.Error(lua.LString(ngxStrWhere(L, level)+msg), 0)
}

// ngxStrFuncName is the name LuaJIT gives the running Go function in "bad argument"
// messages, quoted: the name it was called by ('hmac_sha1', 'q'), or '?' when unknown.
func ngxStrFuncName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "'?'"
	}
	if _, err := L.GetInfo("n", dbg, lua.LNil); err != nil {
		return "'?'"
	}
	n := dbg.Name
	if n == "" || n == "?" || n == "main chunk" || n == "corountine" || n == "(anonymous)" ||
		strings.HasPrefix(n, "<") {
		return "'?'"
	}
	return "'" + n + "'"
}

// ngxStrTypeName is luaL_typename for argument n, "no value" past the top.
func ngxStrTypeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// ngxStrArgTypeError raises luaL_typerror's "bad argument #n to 'f' (T expected, got U)".
func ngxStrArgTypeError(L *lua.LState, n int, expected string) {
	ngxStrError(L, 1, fmt.Sprintf("bad argument #%d to %s (%s expected, got %s)",
		n, ngxStrFuncName(L), expected, ngxStrTypeName(L, n)))
}

// ---- conversions as LuaJIT does them ---------------------------------------------------

// ngxStrCheckString is luaL_checklstring: strings, and numbers converted with %.14g.
func ngxStrCheckString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return fmtNumber(float64(v))
	}
	ngxStrArgTypeError(L, n, "string")
	return ""
}

// ngxStrToStr is lua-resty-core's argument coercion: nil and false are "", strings as
// they are, anything else through tostring.
func ngxStrToStr(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return fmtNumber(float64(v))
	case *lua.LNilType:
		return ""
	case lua.LBool:
		if !bool(v) {
			return ""
		}
		return "true"
	default:
		return L.ToStringMeta(v).String()
	}
}

// ---- base64 ----------------------------------------------------------------------------

func ngxStrEncodeBase64(L *lua.LState) int {
	s := ngxStrToStr(L, 1)
	enc := base64.StdEncoding
	if np := L.Get(2); lua.LVAsBool(np) {
		if np != lua.LTrue {
			ngxStrError(L, 1, "bad no_padding: boolean expected, got "+np.Type().String())
		}
		enc = base64.RawStdEncoding
	}
	L.Push(lua.LString(enc.EncodeToString([]byte(s))))
	return 1
}

// ngxStrBase64Val maps the standard alphabet to 0..63; 0xff marks every other byte.
var ngxStrBase64Val = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// ngxStrBase64Decode is nginx's ngx_decode_base64: the input ends at the first '='
// (whatever follows is ignored), any byte outside the alphabet before it is an error, as is
// a length of 4k+1; unused low bits of the last symbol are ignored.
func ngxStrBase64Decode(s string) ([]byte, bool) {
	n := strings.IndexByte(s, '=')
	if n < 0 {
		n = len(s)
	}
	for i := 0; i < n; i++ {
		if ngxStrBase64Val[s[i]] == 0xff {
			return nil, false
		}
	}
	if n%4 == 1 {
		return nil, false
	}
	return ngxStrBase64Pack(nil, s[:n]), true
}

// ngxStrBase64Pack appends the bytes of syms, valid symbols with len%4 != 1.
func ngxStrBase64Pack(dst []byte, syms string) []byte {
	v := &ngxStrBase64Val
	i := 0
	for ; i+4 <= len(syms); i += 4 {
		a, b, c, d := v[syms[i]], v[syms[i+1]], v[syms[i+2]], v[syms[i+3]]
		dst = append(dst, a<<2|b>>4, b<<4|c>>2, c<<6|d)
	}
	if r := len(syms) - i; r > 1 {
		a, b := v[syms[i]], v[syms[i+1]]
		dst = append(dst, a<<2|b>>4)
		if r > 2 {
			dst = append(dst, b<<4|v[syms[i+2]]>>2)
		}
	}
	return dst
}

func ngxStrDecodeBase64(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		ngxStrError(L, 1, "string argument only")
	}
	out, ok := ngxStrBase64Decode(string(s))
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(out))
	return 1
}

// ngxStrBase64DecodeMIME is lua-nginx-module's ngx_http_lua_decode_base64mime (0.10.24+):
// bytes outside the alphabet (line breaks, spaces, anything) are skipped, '=' ends the input.
func ngxStrBase64DecodeMIME(s string) ([]byte, bool) {
	if n := strings.IndexByte(s, '='); n >= 0 {
		s = s[:n]
	}
	syms := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if ngxStrBase64Val[s[i]] != 0xff {
			syms = append(syms, s[i])
		}
	}
	if len(syms)%4 == 1 {
		return nil, false
	}
	return ngxStrBase64Pack(make([]byte, 0, len(syms)*3/4), string(syms)), true
}

func ngxStrDecodeBase64MIME(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		ngxStrError(L, 1, "string argument only")
	}
	out, ok := ngxStrBase64DecodeMIME(string(s))
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(out))
	return 1
}

// ---- digests ---------------------------------------------------------------------------

func ngxStrSha1Bin(L *lua.LState) int {
	sum := sha1.Sum([]byte(ngxStrToStr(L, 1)))
	L.Push(lua.LString(sum[:]))
	return 1
}

func ngxStrMd5(L *lua.LState) int {
	sum := md5.Sum([]byte(ngxStrToStr(L, 1)))
	L.Push(lua.LString(hex.EncodeToString(sum[:])))
	return 1
}

func ngxStrMd5Bin(L *lua.LState) int {
	sum := md5.Sum([]byte(ngxStrToStr(L, 1)))
	L.Push(lua.LString(sum[:]))
	return 1
}

func ngxStrHmacSha1(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		ngxStrError(L, 1, fmt.Sprintf("expecting 2 arguments, but got %d", n))
	}
	key := ngxStrCheckString(L, 1)
	msg := ngxStrCheckString(L, 2)
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(msg))
	L.Push(lua.LString(m.Sum(nil)))
	return 1
}

// ngxStrCrc32 serves crc32_short and crc32_long: both are the IEEE CRC-32 (nginx only
// picks a different loop for short and long inputs).
func ngxStrCrc32(L *lua.LState) int {
	L.Push(lua.LNumber(crc32.ChecksumIEEE([]byte(ngxStrToStr(L, 1)))))
	return 1
}

// ---- URI escaping ----------------------------------------------------------------------

// ngxStrEscapeMaps are the bitmaps of ngx_http_lua_escape_uri for types 0..6: 0 uri,
// 1 args, 2 uri_component, 3 html, 4 refresh, 5 memcached, 6 mail_auth (= memcached).
var ngxStrEscapeMaps = [7][8]uint32{
	{0xffffffff, 0x80000029, 0x00000000, 0x80000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
	{0xffffffff, 0x80000829, 0x00000000, 0x80000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
	{0xffffffff, 0xfc00987d, 0x78000001, 0xb8000001, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
	{0xffffffff, 0x000000ad, 0x00000000, 0x80000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
	{0xffffffff, 0x00000085, 0x00000000, 0x80000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
	{0xffffffff, 0x00000021, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
	{0xffffffff, 0x00000021, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000},
}

// ngxStrEscapeTables are ngxStrEscapeMaps unpacked to one bool per byte.
var ngxStrEscapeTables = func() (t [7][256]bool) {
	for typ, m := range ngxStrEscapeMaps {
		for c := 0; c < 256; c++ {
			t[typ][c] = m[c>>5]&(1<<(c&0x1f)) != 0
		}
	}
	return t
}()

const (
	ngxStrEscTypeURI          = 0
	ngxStrEscTypeURIComponent = 2
)

// ngxStrEscape escapes s with the table of the given type (0..6) as %XX, upper-case hex;
// it returns s itself when nothing needs escaping.
func ngxStrEscape(s string, typ int) string {
	tab := &ngxStrEscapeTables[typ]
	n := 0
	for i := 0; i < len(s); i++ {
		if tab[s[i]] {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexdig = "0123456789ABCDEF"
	buf := make([]byte, len(s)+2*n)
	j := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if tab[c] {
			buf[j] = '%'
			buf[j+1] = hexdig[c>>4]
			buf[j+2] = hexdig[c&0xf]
			j += 3
		} else {
			buf[j] = c
			j++
		}
	}
	return string(buf)
}

func ngxStrEscapeURI(L *lua.LState) int {
	s := ngxStrToStr(L, 1)
	typ := ngxStrEscTypeURIComponent
	if tv := L.Get(2); tv != lua.LNil {
		f, ok := tv.(lua.LNumber)
		if !ok {
			ngxStrError(L, 2, `"type" is not a number`)
		}
		if f < ngxStrEscTypeURI || f > 6 || math.IsNaN(float64(f)) {
			ngxStrError(L, 2, `"type" `+fmtNumber(float64(f))+" out of range")
		}
		typ = int(f)
	}
	L.Push(lua.LString(ngxStrEscape(s, typ)))
	return 1
}

func ngxStrHexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// ngxStrUnescape is ngx_http_lua_unescape_uri for URI components: %XX decoded (either
// case), '+' becomes ' ', and a '%' not followed by two hex digits is kept as it is.
func ngxStrUnescape(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '%':
			if i+2 < len(s) {
				hi, lo := ngxStrHexVal(s[i+1]), ngxStrHexVal(s[i+2])
				if hi >= 0 && lo >= 0 {
					buf = append(buf, byte(hi<<4|lo))
					i += 2
					continue
				}
			}
			buf = append(buf, '%')
		case '+':
			buf = append(buf, ' ')
		default:
			buf = append(buf, c)
		}
	}
	return string(buf)
}

func ngxStrUnescapeURI(L *lua.LState) int {
	L.Push(lua.LString(ngxStrUnescape(ngxStrToStr(L, 1))))
	return 1
}

// ---- SQL -------------------------------------------------------------------------------

// ngxStrQuoteSQL is ngx_http_lua_ngx_quote_sql_str: MySQL-style quoting.
func ngxStrQuoteSQL(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			b.WriteString(`\0`)
		case '\b':
			b.WriteString(`\b`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 26:
			b.WriteString(`\Z`)
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

func ngxStrQuoteSQLStr(L *lua.LState) int {
	if L.GetTop() != 1 {
		ngxStrError(L, 1, "expecting one argument")
	}
	L.Push(lua.LString(ngxStrQuoteSQL(ngxStrCheckString(L, 1))))
	return 1
}
