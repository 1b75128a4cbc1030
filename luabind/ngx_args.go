package luabind

// ngx.encode_args and ngx.decode_args, as the C functions of lua-nginx-module 0.10.23
// (lua-resty-core does not replace them). ngxArgsDecode is the parser that
// ngx.req.get_uri_args and ngx.req.get_post_args share.

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// ngxArgsMaxDefault is NGX_HTTP_LUA_MAX_ARGS, the default limit on decoded arguments.
const ngxArgsMaxDefault = 100

var ngxArgsFuncs = map[string]lua.LGFunction{
	"encode_args": ngxArgsEncodeArgs,
	"decode_args": ngxArgsDecodeArgs,
}

// registerNgxArgs sets ngx.encode_args and ngx.decode_args on the ngx table.
func registerNgxArgs(L *lua.LState, ngx *lua.LTable) {
	for name, fn := range ngxArgsFuncs {
		ngx.RawSetString(name, L.NewFunction(fn))
	}
}

// ngxArgsDecode parses a query string ("a=1&b&c=&a=2" -> {a={"1","2"}, b=true, c=""})
// with at most max arguments (max <= 0: no limit). See ngxArgsDecodeTrunc.
func ngxArgsDecode(L *lua.LState, s string, max int) *lua.LTable {
	t, _ := ngxArgsDecodeTrunc(L, s, max)
	return t
}

// ngxArgsDecodeTrunc is ngx_http_lua_parse_args: keys and values are unescaped as URI
// components ('+' is a space), a key without '=' gets true, pairs with an empty key are
// dropped (yet counted against max), a repeated key collects its values in an array in
// order. It reports whether the limit cut the input short, which OpenResty returns as the
// second value "truncated". As in C, only pairs ended by '&' count towards max, so exactly
// max pairs are not truncated, but max pairs and a trailing '&' are.
func ngxArgsDecodeTrunc(L *lua.LState, s string, max int) (*lua.LTable, bool) {
	t := L.CreateTable(0, 4)
	count := 0
	parsingValue := false
	key := ""
	q, p := 0, 0
	for p < len(s) {
		switch {
		case s[p] == '=' && !parsingValue:
			key = ngxStrUnescape(s[q:p])
			p++
			q = p
			parsingValue = true
		case s[p] == '&':
			word := ngxStrUnescape(s[q:p])
			p++
			q = p
			if parsingValue {
				ngxArgsSetMulti(L, t, key, lua.LString(word))
				parsingValue = false
			} else {
				ngxArgsSetMulti(L, t, word, lua.LTrue)
			}
			if max > 0 {
				count++
				if count == max {
					return t, true
				}
			}
		default:
			p++
		}
	}
	if p != q || parsingValue {
		word := ngxStrUnescape(s[q:p])
		if parsingValue {
			ngxArgsSetMulti(L, t, key, lua.LString(word))
		} else {
			ngxArgsSetMulti(L, t, word, lua.LTrue)
		}
	}
	return t, false
}

// ngxArgsSetMulti is ngx_http_lua_set_multi_value_table, skipping empty keys.
func ngxArgsSetMulti(L *lua.LState, t *lua.LTable, key string, v lua.LValue) {
	if key == "" {
		return
	}
	k := lua.LString(key)
	switch old := t.RawGetString(key).(type) {
	case *lua.LNilType:
		t.RawSetString(key, v)
	case *lua.LTable:
		old.RawSetInt(old.Len()+1, v)
	default:
		arr := L.CreateTable(4, 0)
		arr.RawSetInt(1, old)
		arr.RawSetInt(2, v)
		t.RawSet(k, arr)
	}
}

// ngxArgsToInt is luaL_checkint: a number or a numeric string, truncated to a C int (out
// of range values become INT_MIN, as x86 does).
func ngxArgsToInt(L *lua.LState, n int) int {
	var f float64
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		f = float64(v)
	case lua.LString:
		s := strings.Trim(string(v), " \t\n\v\f\r")
		var err error
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			i, err2 := strconv.ParseInt(s, 0, 64)
			if err2 != nil || strings.ContainsAny(s, "_oObB") {
				ngxStrArgTypeError(L, n, "number")
			}
			f = float64(i)
		}
	default:
		ngxStrArgTypeError(L, n, "number")
	}
	if math.IsNaN(f) || f >= 1<<31 || f <= -(1<<31)-1 {
		return math.MinInt32
	}
	return int(f)
}

func ngxArgsDecodeArgs(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		ngxStrError(L, 1, fmt.Sprintf("expecting 1 or 2 arguments but seen %d", n))
	}
	s := ngxStrCheckString(L, 1)
	max := ngxArgsMaxDefault
	if n == 2 {
		max = ngxArgsToInt(L, 2)
	}
	t, truncated := ngxArgsDecodeTrunc(L, s, max)
	L.Push(t)
	if truncated {
		L.Push(lua.LString("truncated"))
		return 2
	}
	return 1
}

// ngxArgsEscCount is the number of bytes a URI-component escape expands.
func ngxArgsEscCount(s string) int {
	tab := &ngxStrEscapeTables[ngxStrEscTypeURIComponent]
	n := 0
	for i := 0; i < len(s); i++ {
		if tab[s[i]] {
			n++
		}
	}
	return n
}

// ngxArgsEncode is ngx_http_lua_process_args_option: pairs in table traversal order,
// key=value for strings and numbers (numbers as %.14g), the bare key for true, nothing
// for false, one pair per element for an array (or any table) of such values; keys and
// values escaped as URI components. A key that needs escaping yet yields no pair (false,
// an empty table) makes C's length accounting disagree with what it wrote, and OpenResty
// raises "buffer error: N != M": so does this.
func ngxArgsEncode(L *lua.LState, t *lua.LTable) string {
	var b strings.Builder
	pairs, lost := 0, 0
	sep := func() {
		if pairs > 0 {
			b.WriteByte('&')
		}
		pairs++
	}
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		ks, ok := k.(lua.LString)
		if !ok {
			ngxStrError(L, 1, `attempt to use a non-string key in the "args" option table`)
		}
		key := ngxStrEscape(string(ks), ngxStrEscTypeURIComponent)
		switch v := v.(type) {
		case lua.LString, lua.LNumber:
			sep()
			b.WriteString(key)
			b.WriteByte('=')
			b.WriteString(ngxStrEscape(ngxArgsValueString(v), ngxStrEscTypeURIComponent))
		case lua.LBool:
			if v {
				sep()
				b.WriteString(key)
			} else {
				lost += 2 * ngxArgsEscCount(string(ks))
			}
		case *lua.LTable:
			emitted := 0
			for ik, iv := v.Next(lua.LNil); ik != lua.LNil; ik, iv = v.Next(ik) {
				switch iv := iv.(type) {
				case lua.LBool:
					if !iv {
						continue
					}
					sep()
					b.WriteString(key)
				case lua.LString, lua.LNumber:
					sep()
					b.WriteString(key)
					b.WriteByte('=')
					b.WriteString(ngxStrEscape(ngxArgsValueString(iv), ngxStrEscTypeURIComponent))
				default:
					ngxStrError(L, 1, "attempt to use "+iv.Type().String()+" as query arg value")
				}
				emitted++
			}
			if emitted == 0 {
				lost += 2 * ngxArgsEscCount(string(ks))
			}
		default:
			ngxStrError(L, 1, "attempt to use "+v.Type().String()+" as query arg value")
		}
	}
	if lost > 0 {
		ngxStrError(L, 1, fmt.Sprintf("buffer error: %d != %d", b.Len(), b.Len()+lost))
	}
	return b.String()
}

func ngxArgsValueString(v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return fmtNumber(float64(n))
	}
	return string(v.(lua.LString))
}

func ngxArgsEncodeArgs(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		ngxStrError(L, 1, fmt.Sprintf("expecting 1 argument but seen %d", n))
	}
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		ngxStrArgTypeError(L, 1, "table")
	}
	L.Push(lua.LString(ngxArgsEncode(L, t)))
	return 1
}
