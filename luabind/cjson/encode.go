package cjson

import (
	"fmt"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// jsonError is an error of encode or decode. A cjson error (luaL_error in C) has msg; an error
// raised by a metamethod cjson called (__len, __index) keeps its original value in obj.
type jsonError struct {
	msg string
	obj lua.LValue
}

// value is the error value cjson.safe returns: never position-prefixed, since the C code
// raises it under lua_pcall from a C function.
func (e *jsonError) value() lua.LValue {
	if e.obj != nil {
		return e.obj
	}
	return lua.LString(e.msg)
}

// raise raises the error from the running Go function, as luaL_error would.
func (e *jsonError) raise(L *lua.LState) {
	if e.obj != nil {
		L.Error(e.obj, 0)
	}
	raise(L, e.msg)
}

// abort unwinds the encoder or decoder to its entry point.
type abort struct{ err *jsonError }

func fail(format string, args ...any) {
	panic(abort{&jsonError{msg: fmt.Sprintf(format, args...)}})
}

// escapes is char2escape_template: the JSON text of every byte that needs escaping.
var escapes = func() (t [256]string) {
	for c := 0; c < 0x20; c++ {
		t[c] = fmt.Sprintf("\\u%04x", c)
	}
	t['\b'] = `\b`
	t['\t'] = `\t`
	t['\n'] = `\n`
	t['\f'] = `\f`
	t['\r'] = `\r`
	t['"'] = `\"`
	t['\\'] = `\\`
	t['/'] = `\/`
	t[0x7f] = `\u007f`
	return
}()

// needEscape[slash] tells which bytes escapes applies to, with and without "/".
var needEscape = func() (t [2][256]bool) {
	for c := range 256 {
		t[1][c] = escapes[c] != ""
		t[0][c] = escapes[c] != "" && c != '/'
	}
	return
}()

var pow10 = func() (t [17]float64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 10
	}
	return
}()

// appendNumberG appends f as C's printf("%.<prec>g") does.
func appendNumberG(buf []byte, f float64, prec int) []byte {
	if f == math.Trunc(f) && math.Abs(f) < pow10[prec] {
		if f == 0 && math.Signbit(f) {
			return append(buf, '-', '0')
		}
		return strconv.AppendInt(buf, int64(f), 10)
	}
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(buf, "-nan"...)
		}
		return append(buf, "nan"...)
	case math.IsInf(f, 1):
		return append(buf, "inf"...)
	case math.IsInf(f, -1):
		return append(buf, "-inf"...)
	}
	return strconv.AppendFloat(buf, f, 'g', prec, 64)
}

// appendString appends s as a JSON string (json_append_string). Bytes >= 0x80 pass raw.
func appendString(buf []byte, s string, esc *[256]bool) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !esc[c] {
			continue
		}
		buf = append(buf, s[start:i]...)
		buf = append(buf, escapes[c]...)
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

type encoder struct {
	L      *lua.LState
	c      *config
	sh     *shared
	buf    []byte
	esc    *[256]bool
	getter *lua.LFunction // lazily built: lua_gettable through metamethods
}

// maxKeptBuffer bounds the buffer encode_keep_buffer keeps between calls.
const maxKeptBuffer = 1 << 20

// encode serialises v (json_encode). Errors come back, never raised, so that cjson.safe
// needs no protected call.
func (c *config) encode(L *lua.LState, v lua.LValue, safe bool) (out string, err *jsonError) {
	e := encoder{L: L, c: c, sh: c.sh, esc: &needEscape[b2i(c.escapeSlash)]}
	if c.keepBuffer && c.buf != nil {
		e.buf = c.buf[:0]
		c.buf = nil // a metamethod may call encode again: it gets its own buffer
	} else {
		e.buf = make([]byte, 0, 256)
	}
	defer func() {
		if c.keepBuffer && cap(e.buf) <= maxKeptBuffer {
			c.buf = e.buf[:0]
		}
	}()
	if err = e.run(v); err != nil {
		return "", err
	}
	return string(e.buf), nil
}

func (e *encoder) run(v lua.LValue) (err *jsonError) {
	defer func() {
		if r := recover(); r != nil {
			a, ok := r.(abort)
			if !ok {
				panic(r)
			}
			err = a.err
		}
	}()
	e.value(v, 0, 1)
	return nil
}

// value is json_append_data. slots counts the Lua stack slots the C encoder would hold at
// this point, to reproduce lua_checkstack's limit. It reports whether v was skipped
// (encode_skip_unsupported_value_types).
func (e *encoder) value(v lua.LValue, depth, slots int) bool {
	switch x := v.(type) {
	case lua.LString:
		e.buf = appendString(e.buf, string(x), e.esc)
	case lua.LNumber:
		e.number(float64(x), "number")
	case lua.LBool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case *lua.LTable:
		e.table(x, depth+1, slots)
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case *lua.LUserData:
		switch x {
		case e.sh.null:
			e.buf = append(e.buf, "null"...)
		case e.sh.emptyArray:
			e.buf = append(e.buf, '[', ']')
		default:
			return e.unsupported(v)
		}
	default:
		return e.unsupported(v)
	}
	return false
}

func (e *encoder) unsupported(v lua.LValue) bool {
	if e.c.skipUnsupported {
		return true
	}
	fail("Cannot serialise %s: type not supported", typeName(v))
	return false
}

// number is json_append_number; what names the Lua type in errors.
func (e *encoder) number(f float64, what string) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		switch e.c.encodeInvalidNums {
		case 0:
			fail("Cannot serialise %s: must not be NaN or Infinity", what)
		case 1:
			switch {
			case math.IsNaN(f):
				e.buf = append(e.buf, "NaN"...)
			case f < 0:
				e.buf = append(e.buf, "-Infinity"...)
			default:
				e.buf = append(e.buf, "Infinity"...)
			}
			return
		default:
			e.buf = append(e.buf, "null"...)
			return
		}
	}
	e.buf = appendNumberG(e.buf, f, e.c.precision)
}

func (e *encoder) table(t *lua.LTable, depth, slots int) {
	if depth > e.c.encodeMaxDepth || slots+3 > luaMaxCStack {
		fail("Cannot serialise, excessive nesting (%d)", depth)
	}
	mt, hasMT := t.Metatable.(*lua.LTable)
	raw := true
	if hasMT {
		if mt == e.sh.arrayMT {
			e.array(t, t.Len(), true, depth, slots)
			return
		}
		raw = false
		if lenFn := mt.RawGetString("__len"); lenFn != lua.LNil {
			n := e.callLen(lenFn, t)
			e.array(t, n, false, depth, slots)
			return
		}
	}
	n := e.arrayLength(t)
	if n > 0 || (n == 0 && !e.c.emptyTableAsObject) {
		e.array(t, n, raw, depth, slots)
		return
	}
	if hasMT && mt == e.sh.emptyArrayMT {
		e.array(t, t.Len(), true, depth, slots)
		return
	}
	e.object(t, depth, slots)
}

// callLen calls a __len metamethod as the C code does: lua_call, then lua_tonumber.
func (e *encoder) callLen(fn lua.LValue, t *lua.LTable) int {
	L := e.L
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, t); err != nil {
		panic(abort{metaError(err)})
	}
	r := L.Get(-1)
	L.Pop(1)
	var f float64
	switch x := r.(type) {
	case lua.LNumber:
		f = float64(x)
	case lua.LString:
		f, _ = parseLuaNumber(string(x))
	}
	if math.IsNaN(f) || f > math.MaxInt32 || f < math.MinInt32 {
		return 0
	}
	return int(f)
}

func metaError(err error) *jsonError {
	if ae, ok := err.(*lua.ApiError); ok && ae.Object != nil {
		return &jsonError{obj: ae.Object}
	}
	return &jsonError{msg: err.Error()}
}

// cInt is C's double-to-int conversion on x86-64 (cvttsd2si): out-of-range values become
// INT_MIN.
func cInt(f float64) int32 {
	if f >= 1<<31 || f < -(1<<31) || math.IsNaN(f) {
		return math.MinInt32
	}
	return int32(f)
}

// arrayLength is lua_array_length: the array size if every key is a positive integer, -1
// (or any negative number) for an object; errors on an excessively sparse array unless
// conversion is on. Like the C code it keeps the largest key in an int: a key of 2^31 or
// more turns it into INT_MIN, and the table is then encoded as an object.
func (e *encoder) arrayLength(t *lua.LTable) int {
	// The array part first, without boxing keys.
	maxN := t.MaxN()
	var items int32
	for i := 1; i <= maxN; i++ {
		if t.RawGetInt(i) != lua.LNil {
			items++
		}
	}
	max := int32(maxN) // gopher-lua's array part is below MaxArrayIndex (2^26)
	var k lua.LValue
	if maxN == 0 {
		k, _ = t.Next(lua.LNil)
	} else {
		k, _ = t.Next(lua.LNumber(maxN))
	}
	for k != lua.LNil {
		n, ok := k.(lua.LNumber)
		if !ok {
			return -1
		}
		f := float64(n)
		if f == 0 || math.Floor(f) != f || f < 1 {
			return -1
		}
		if f > float64(max) {
			max = cInt(f)
		}
		items++
		k, _ = t.Next(k)
	}
	c := e.c
	if c.sparseRatio > 0 && int64(max) > int64(items)*int64(c.sparseRatio) && int64(max) > int64(c.sparseSafe) {
		if !c.sparseConvert {
			fail("Cannot serialise table: excessively sparse array")
		}
		return -1
	}
	return int(max)
}

func (e *encoder) newlineIndent(depth int) {
	e.buf = append(e.buf, '\n')
	for range depth {
		e.buf = append(e.buf, e.c.indent...)
	}
}

// array is json_append_array: elements 1..n, through metamethods unless raw.
func (e *encoder) array(t *lua.LTable, n int, raw bool, depth, slots int) {
	indent := e.c.indent != ""
	e.buf = append(e.buf, '[')
	comma := 0
	for i := 1; i <= n; i++ {
		pos := len(e.buf)
		if comma > 0 {
			e.buf = append(e.buf, ',')
		}
		comma++
		if indent {
			e.newlineIndent(depth)
		}
		v := t.RawGetInt(i)
		if !raw && v == lua.LNil {
			v = e.getIndex(t, i)
		}
		if e.value(v, depth, slots+1) {
			e.buf = e.buf[:pos]
			if comma == 1 {
				comma = 0
			}
		}
	}
	if n > 0 && indent {
		e.newlineIndent(depth - 1)
	}
	e.buf = append(e.buf, ']')
}

// getIndex is lua_gettable(t, i) for a missing raw value: __index may supply one.
func (e *encoder) getIndex(t *lua.LTable, i int) lua.LValue {
	mt, ok := t.Metatable.(*lua.LTable)
	if !ok || mt.RawGetString("__index") == lua.LNil {
		return lua.LNil
	}
	L := e.L
	if e.getter == nil {
		e.getter = L.NewFunction(func(L *lua.LState) int {
			L.Push(L.GetTable(L.Get(1), L.Get(2)))
			return 1
		})
	}
	if err := L.CallByParam(lua.P{Fn: e.getter, NRet: 1, Protect: true}, t, lua.LNumber(i)); err != nil {
		panic(abort{metaError(err)})
	}
	v := L.Get(-1)
	L.Pop(1)
	return v
}

// object is json_append_object, in `pairs` order.
func (e *encoder) object(t *lua.LTable, depth, slots int) {
	indent := e.c.indent != ""
	e.buf = append(e.buf, '{')
	comma := 0
	hasItems := false
	k, v := t.Next(lua.LNil)
	for k != lua.LNil {
		hasItems = true
		pos := len(e.buf)
		if comma > 0 {
			e.buf = append(e.buf, ',')
		}
		comma++
		if indent {
			e.newlineIndent(depth)
		}
		switch key := k.(type) {
		case lua.LString:
			e.buf = appendString(e.buf, string(key), e.esc)
			e.buf = append(e.buf, ':')
		case lua.LNumber:
			e.buf = append(e.buf, '"')
			e.number(float64(key), "number")
			e.buf = append(e.buf, '"', ':')
		default:
			fail("Cannot serialise %s: table key must be a number or string", typeName(k))
		}
		if indent {
			e.buf = append(e.buf, ' ')
		}
		if e.value(v, depth, slots+2) {
			e.buf = e.buf[:pos]
			if comma == 1 {
				comma = 0
			}
		}
		k, v = t.Next(k)
	}
	if hasItems && indent {
		e.newlineIndent(depth - 1)
	}
	e.buf = append(e.buf, '}')
}
