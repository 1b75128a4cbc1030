package luajit

import (
	"encoding/binary"
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/lnull"
)

// LuaJIT's serialisation format (string.buffer's encode/decode), byte-compatible with
// LuaJIT 2.1's lj_serialize for everything outside the FFI:
//
//	nil 0x00, false 0x01, true 0x02, NULL (ngx.null) 0x03, lightuserdata 0x04/0x05,
//	int32 0x06, double 0x07, tables 0x08..0x0d, table with a metatable from the
//	"metatable" option 0x0e, key string from the "dict" option 0x0f, strings (0x20+len).
//
// A table is its tag, the array size (slots 0..n, so n+1) and/or the hash size, then the
// array items and the key/value pairs. Counts use LuaJIT's variable-length unsigned encoding (1, 2 or 5 bytes). Hash parts are
// written in gopher-lua's iteration order, so encodings of hash tables decode to equal
// tables but need not be byte-equal to LuaJIT's.

const serializeDepth = 100 // LJ_SERIALIZE_DEPTH

const (
	serNil = iota
	serFalse
	serTrue
	serNull
	serLightUD32
	serLightUD64
	serInt
	serNum
	serTab
	serTabHash
	serTabArray0
	serTabMixed0
	serTabArray1
	serTabMixed1
	serTabMT
	serDictStr
	serString = 0x20
)

// serOptions are buffer.new's "dict" (strings written as indexes when they are table keys)
// and "metatable" (metatables restored by index) options.
type serOptions struct {
	dict    []string
	dictIdx map[string]int
	mts     []*lua.LTable
	mtIdx   map[*lua.LTable]int
}

// parse reads an options table; the error text is LuaJIT's.
func (o *serOptions) parse(t *lua.LTable) string {
	if d, ok := t.RawGetString("dict").(*lua.LTable); ok {
		o.dictIdx = map[string]int{}
		for i := 1; ; i++ {
			v := d.RawGetInt(i)
			if v == lua.LNil {
				break
			}
			s, ok := v.(lua.LString)
			if !ok {
				return "bad options table"
			}
			o.dictIdx[string(s)] = len(o.dict)
			o.dict = append(o.dict, string(s))
		}
	}
	if m, ok := t.RawGetString("metatable").(*lua.LTable); ok {
		o.mtIdx = map[*lua.LTable]int{}
		for i := 1; ; i++ {
			v := m.RawGetInt(i)
			if v == lua.LNil {
				break
			}
			mt, ok := v.(*lua.LTable)
			if !ok {
				return "bad options table"
			}
			o.mtIdx[mt] = len(o.mts)
			o.mts = append(o.mts, mt)
		}
	}
	return ""
}

func appendU(b []byte, v uint32) []byte {
	switch {
	case v < 0xe0:
		return append(b, byte(v))
	case v < 0x1fe0:
		v -= 0xe0
		return append(b, byte(0xe0|v>>8), byte(v))
	default:
		return binary.LittleEndian.AppendUint32(append(b, 0xff), v)
	}
}

type encoder struct {
	L    *lua.LState
	opts *serOptions
	out  []byte
}

func (e *encoder) put(v lua.LValue, depth int) {
	switch v := v.(type) {
	case *lua.LNilType:
		e.out = append(e.out, serNil)
	case lua.LBool:
		if v {
			e.out = append(e.out, serTrue)
		} else {
			e.out = append(e.out, serFalse)
		}
	case lua.LNumber:
		e.out = binary.LittleEndian.AppendUint64(append(e.out, serNum), math.Float64bits(float64(v)))
	case lua.LString:
		e.putString(string(v))
	case *lua.LTable:
		e.putTable(v, depth)
	default:
		if lnull.Is(e.L, v) {
			e.out = append(e.out, serNull)
			return
		}
		raise(e.L, "cannot serialize '"+v.Type().String()+"'")
	}
}

func (e *encoder) putString(s string) {
	if bufTooBig(e.L, int64(len(e.out))+int64(len(s))+5) {
		raiseBare(e.L, ErrNoMemory)
	}
	e.out = appendU(e.out, uint32(serString+len(s)))
	e.out = append(e.out, s...)
}

func (e *encoder) putKey(k lua.LValue, depth int) {
	if s, ok := k.(lua.LString); ok && e.opts.dictIdx != nil {
		if i, ok := e.opts.dictIdx[string(s)]; ok {
			e.out = appendU(append(e.out, serDictStr), uint32(i))
			return
		}
	}
	e.put(k, depth)
}

func (e *encoder) putTable(t *lua.LTable, depth int) {
	if depth >= serializeDepth {
		raise(e.L, "too deep to serialize")
	}
	if mt, ok := e.L.GetMetatable(t).(*lua.LTable); ok && e.opts.mtIdx != nil {
		if i, ok := e.opts.mtIdx[mt]; ok {
			e.out = appendU(append(e.out, serTabMT), uint32(i))
		}
	}
	n := t.Len()
	zero := n > 0 && t.RawGet(lua.LNumber(0)) != lua.LNil
	var hash []lua.LValue // key, value, key, value ...
	t.ForEach(func(k, v lua.LValue) {
		if f, ok := k.(lua.LNumber); ok && f == lua.LNumber(math.Trunc(float64(f))) {
			if i := int(f); (i >= 1 && i <= n) || (zero && i == 0) {
				return
			}
		}
		hash = append(hash, k, v)
	})
	var tag byte
	switch {
	case n == 0 && len(hash) == 0:
		e.out = append(e.out, serTab)
		return
	case n == 0:
		tag = serTabHash
	case zero && len(hash) == 0:
		tag = serTabArray0
	case zero:
		tag = serTabMixed0
	case len(hash) == 0:
		tag = serTabArray1
	default:
		tag = serTabMixed1
	}
	e.out = append(e.out, tag)
	// sizes first (array, then hash), then the array items, then the pairs
	if n > 0 {
		e.out = appendU(e.out, uint32(n+1))
	}
	if len(hash) > 0 {
		e.out = appendU(e.out, uint32(len(hash)/2))
	}
	if n > 0 {
		if zero {
			e.put(t.RawGet(lua.LNumber(0)), depth+1)
		}
		for i := 1; i <= n; i++ {
			e.put(t.RawGetInt(i), depth+1)
		}
	}
	for i := 0; i < len(hash); i += 2 {
		e.putKey(hash[i], depth+1)
		e.put(hash[i+1], depth+1)
	}
}

type decoder struct {
	L    *lua.LState
	opts *serOptions
	in   []byte
	pos  int
}

func (d *decoder) eob() {
	raise(d.L, "unexpected end of buffer")
}

func (d *decoder) byte() byte {
	if d.pos >= len(d.in) {
		d.eob()
	}
	c := d.in[d.pos]
	d.pos++
	return c
}

func (d *decoder) take(n int) []byte {
	if n < 0 || len(d.in)-d.pos < n {
		d.eob()
	}
	b := d.in[d.pos : d.pos+n]
	d.pos += n
	return b
}

func (d *decoder) u() uint32 {
	c := d.byte()
	switch {
	case c < 0xe0:
		return uint32(c)
	case c != 0xff:
		return uint32(c&0x1f)<<8 + uint32(d.byte()) + 0xe0
	default:
		return binary.LittleEndian.Uint32(d.take(4))
	}
}

// count is a table part's size, bounded by what is left to read (every entry takes a
// byte at least; a 1-based array of size n has n-1) so that a forged size cannot make one
// huge allocation.
func (d *decoder) count() int {
	n := int(d.u())
	if n > len(d.in)-d.pos+1 {
		d.eob()
	}
	return n
}

func (d *decoder) get(depth int) lua.LValue {
	v := d.u()
	if v >= serString {
		return lua.LString(d.take(int(v - serString)))
	}
	switch v {
	case serNil:
		return lua.LNil
	case serFalse:
		return lua.LFalse
	case serTrue:
		return lua.LTrue
	case serNull:
		return lnull.Get(d.L)
	case serLightUD32, serLightUD64:
		n := 4
		if v == serLightUD64 {
			n = 8
		}
		for _, c := range d.take(n) {
			if c != 0 {
				raise(d.L, fmt.Sprintf("cannot deserialize tag 0x%02x", v))
			}
		}
		return lnull.Get(d.L)
	case serInt:
		return lua.LNumber(int32(binary.LittleEndian.Uint32(d.take(4))))
	case serNum:
		return lua.LNumber(math.Float64frombits(binary.LittleEndian.Uint64(d.take(8))))
	case serTab, serTabHash, serTabArray0, serTabMixed0, serTabArray1, serTabMixed1:
		return d.table(byte(v), depth)
	case serTabMT:
		i := int(d.u())
		if i >= len(d.opts.mts) {
			raise(d.L, fmt.Sprintf("cannot deserialize dictionary index %d", i+1))
		}
		t, ok := d.get(depth).(*lua.LTable)
		if !ok {
			raise(d.L, fmt.Sprintf("cannot deserialize tag 0x%02x", v))
		}
		t.Metatable = d.opts.mts[i]
		return t
	case serDictStr:
		i := int(d.u())
		if i >= len(d.opts.dict) {
			raise(d.L, fmt.Sprintf("cannot deserialize dictionary index %d", i+1))
		}
		return lua.LString(d.opts.dict[i])
	}
	raise(d.L, fmt.Sprintf("cannot deserialize tag 0x%02x", v))
	return lua.LNil
}

func (d *decoder) table(tag byte, depth int) *lua.LTable {
	if depth >= serializeDepth {
		raise(d.L, "too deep to serialize")
	}
	if tag == serTab {
		return d.L.NewTable()
	}
	narr, nhash, first := 0, 0, 1
	if tag != serTabHash {
		narr = d.count()
		if tag == serTabArray0 || tag == serTabMixed0 {
			first = 0
		}
	}
	if tag == serTabHash || tag == serTabMixed0 || tag == serTabMixed1 {
		nhash = d.count()
	}
	t := d.L.CreateTable(narr, 0)
	for i := first; i < narr; i++ {
		if v := d.get(depth + 1); v != lua.LNil {
			t.RawSet(lua.LNumber(i), v)
		}
	}
	for i := 0; i < nhash; i++ {
		k := d.get(depth + 1)
		switch k := k.(type) {
		case *lua.LNilType:
			raise(d.L, "table index is nil")
		case lua.LNumber:
			if math.IsNaN(float64(k)) {
				raise(d.L, "table index is NaN")
			}
		}
		t.RawSet(k, d.get(depth+1))
	}
	return t
}
