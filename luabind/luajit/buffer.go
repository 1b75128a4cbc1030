package luajit

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// require "string.buffer": LuaJIT 2.1's string buffer library (OpenResty's LuaJIT has it).
// A buffer is a userdata whose metatable is hidden behind __metatable = "buffer"; it is a
// FIFO of bytes: put/putf/set/encode append, get/skip/decode consume from the front.
//
// Not here: putcdata, reserve, commit and ref, which hand out FFI pointers (luaws has no
// FFI), and the FFI cdata tags of the serialisation format (int64, uint64, complex).

const bufferTypeName = "buffer"

// strBuf is one buffer object: data[r:] is its content.
type strBuf struct {
	data []byte
	r    int
	ser  serOptions
}

func (b *strBuf) bytes() []byte { return b.data[b.r:] }

func (b *strBuf) len() int { return len(b.data) - b.r }

func (b *strBuf) reset() { b.data, b.r = b.data[:0], 0 }

// need is called before n more bytes are appended: LuaJIT's buffers refuse to grow past
// MaxBuf with "not enough memory", before allocating, and so does the state's memory cap.
func (b *strBuf) need(L *lua.LState, n int) {
	if bufTooBig(L, int64(len(b.data))+int64(n)) {
		raiseBare(L, ErrNoMemory)
	}
}

// bufTooBig reports whether a string.buffer (or encode's output) of n bytes is refused.
func bufTooBig(L *lua.LState, n int64) bool { return n > MaxBuf || overCap(L, n) }

// consume drops n bytes from the front (at most the whole content).
func (b *strBuf) consume(n int) {
	b.r += min(n, b.len())
	if b.r == len(b.data) {
		b.reset()
	}
}

var bufferMethods = map[string]lua.LGFunction{
	"free":     bufFree,
	"reset":    bufReset,
	"skip":     bufSkip,
	"set":      bufSet,
	"put":      bufPut,
	"putf":     bufPutf,
	"get":      bufGet,
	"tostring": bufToString,
	"encode":   bufEncode,
	"decode":   bufDecode,
}

// bufferModule builds the module table; the buffer metatable is kept in the registry so
// every buffer of the state shares it.
func bufferModule(L *lua.LState) *lua.LTable {
	mod := L.CreateTable(0, 3)
	mod.RawSetString("new", L.NewFunction(bufNew))
	mod.RawSetString("encode", L.NewFunction(bufModEncode))
	mod.RawSetString("decode", L.NewFunction(bufModDecode))
	return mod
}

const bufferMetaKey = "luaws.string.buffer"

func bufferMeta(L *lua.LState) *lua.LTable {
	if mt, ok := L.G.Registry.RawGetString(bufferMetaKey).(*lua.LTable); ok {
		return mt
	}
	mt := L.CreateTable(0, 6)
	methods := L.CreateTable(0, len(bufferMethods))
	for name, fn := range bufferMethods {
		methods.RawSetString(name, L.NewFunction(fn))
	}
	mt.RawSetString("__index", methods)
	mt.RawSetString("__metatable", lua.LString(bufferTypeName))
	mt.RawSetString("__tostring", L.NewFunction(bufToString))
	mt.RawSetString("__len", L.NewFunction(bufLen))
	mt.RawSetString("__concat", L.NewFunction(bufConcat))
	L.G.Registry.RawSetString(bufferMetaKey, mt)
	return mt
}

func toBuf(v lua.LValue) *strBuf {
	if ud, ok := v.(*lua.LUserData); ok {
		if b, ok := ud.Value.(*strBuf); ok {
			return b
		}
	}
	return nil
}

// checkBuf is buffer_tobuf: argument 1 must be a buffer.
func checkBuf(L *lua.LState) *strBuf {
	if b := toBuf(L.Get(1)); b != nil && L.GetTop() >= 1 {
		return b
	}
	typeError(L, 1, bufferTypeName)
	return nil
}

// checkLen is a length argument: a number >= 0 (fractions truncated).
func checkLen(L *lua.LState, n int) int {
	f := checkNum(L, n)
	if f < 0 || f > math.MaxInt32 {
		argError(L, n, "number out of range")
	}
	return int(f)
}

// bufNew is buffer.new([size [, options]]) or buffer.new(options).
func bufNew(L *lua.LState) int {
	b := &strBuf{}
	opt := 1
	if L.GetTop() >= 1 {
		if _, ok := L.Get(1).(*lua.LTable); !ok {
			size := checkLen(L, 1)
			b.data = make([]byte, 0, min(size, 1<<20))
			opt = 2
		}
	}
	if t, ok := L.Get(opt).(*lua.LTable); ok {
		if err := b.ser.parse(t); err != "" {
			raise(L, err)
		}
	}
	ud := L.NewUserData()
	ud.Value = b
	ud.Metatable = bufferMeta(L)
	L.Push(ud)
	return 1
}

// pushSelf returns the buffer object (methods chain).
func pushSelf(L *lua.LState) int {
	L.SetTop(1)
	return 1
}

func bufFree(L *lua.LState) int {
	b := checkBuf(L)
	b.data, b.r = nil, 0
	return pushSelf(L)
}

func bufReset(L *lua.LState) int {
	checkBuf(L).reset()
	return pushSelf(L)
}

func bufSkip(L *lua.LState) int {
	b := checkBuf(L)
	b.consume(checkLen(L, 2))
	return pushSelf(L)
}

func bufSet(L *lua.LState) int {
	b := checkBuf(L)
	s, ok := L.Get(2).(lua.LString)
	if !ok {
		typeError(L, 2, "string")
	}
	b.data = append(b.data[:0], s...)
	b.r = 0
	return pushSelf(L)
}

// bufPut is buf:put(...): strings, numbers (as tostring formats them), buffers and objects
// with __tostring, in order.
func bufPut(L *lua.LState) int {
	b := checkBuf(L)
	for i := 2; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			b.need(L, len(v))
			b.data = append(b.data, v...)
		case lua.LNumber:
			b.data = appendNumber(b.data, float64(v))
		default:
			if o := toBuf(v); o != nil {
				if o == b {
					argError(L, i, "cannot put buffer into itself")
				}
				b.need(L, o.len())
				b.data = append(b.data, o.bytes()...)
				continue
			}
			if L.GetMetaField(v, "__tostring") == lua.LNil {
				argError(L, i, "string/number/__tostring expected, got "+typeName(L, i))
			}
			str := tostring(L, v)
			b.need(L, len(str))
			b.data = append(b.data, str...)
		}
	}
	return pushSelf(L)
}

// bufPutf is buf:putf(format, ...): string.format's result appended.
func bufPutf(L *lua.LState) int {
	b := checkBuf(L)
	if _, ok := L.Get(2).(lua.LString); !ok {
		if _, ok := L.Get(2).(lua.LNumber); !ok {
			typeError(L, 2, "string")
		}
	}
	n := L.GetTop()
	L.Push(L.NewFunction(strFormat))
	for i := 2; i <= n; i++ {
		L.Push(L.Get(i))
	}
	L.Call(n-1, 1)
	str := L.Get(-1).(lua.LString)
	b.need(L, len(str))
	b.data = append(b.data, str...)
	L.Pop(1)
	return pushSelf(L)
}

// bufGet is buf:get([len|nil] ...): the whole content, or one string per argument of at
// most len bytes (nil: the rest).
func bufGet(L *lua.LState) int {
	b := checkBuf(L)
	n := L.GetTop()
	if n <= 1 {
		L.Push(lua.LString(b.bytes()))
		b.reset()
		return 1
	}
	out := make([]lua.LValue, 0, n-1)
	for i := 2; i <= n; i++ {
		take := b.len()
		if L.Get(i) != lua.LNil {
			take = min(checkLen(L, i), take)
		}
		out = append(out, lua.LString(b.bytes()[:take]))
		b.consume(take)
	}
	for _, v := range out {
		L.Push(v)
	}
	return len(out)
}

func bufToString(L *lua.LState) int {
	L.Push(lua.LString(checkBuf(L).bytes()))
	return 1
}

func bufLen(L *lua.LState) int {
	L.Push(lua.LNumber(checkBuf(L).len()))
	return 1
}

// bufConcat is buf .. x and x .. buf: the content as a string.
func bufConcat(L *lua.LState) int {
	part := func(n int) string {
		if b := toBuf(L.Get(n)); b != nil {
			return string(b.bytes())
		}
		switch v := L.Get(n).(type) {
		case lua.LString:
			return string(v)
		case lua.LNumber:
			return FormatNumber(float64(v))
		}
		raise(L, "attempt to concatenate a "+typeName(L, n)+" value")
		return ""
	}
	a, z := part(1), part(2)
	CheckStrLen(L, int64(len(a))+int64(len(z)))
	L.Push(lua.LString(a + z))
	return 1
}

func bufEncode(L *lua.LState) int {
	b := checkBuf(L)
	if L.GetTop() < 2 {
		argError(L, 2, "value expected")
	}
	enc := encoder{L: L, opts: &b.ser, out: b.data}
	enc.put(L.Get(2), 0)
	b.data = enc.out
	return pushSelf(L)
}

func bufDecode(L *lua.LState) int {
	b := checkBuf(L)
	dec := decoder{L: L, opts: &b.ser, in: b.bytes()}
	v := dec.get(0)
	b.consume(dec.pos)
	L.Push(v)
	return 1
}

// buffer.encode(obj): obj serialised, as a string.
func bufModEncode(L *lua.LState) int {
	if L.GetTop() < 1 {
		argError(L, 1, "value expected")
	}
	enc := encoder{L: L, opts: &serOptions{}}
	enc.put(L.Get(1), 0)
	L.Push(lua.LString(enc.out))
	return 1
}

// buffer.decode(str): the one object str holds; trailing bytes are an error.
func bufModDecode(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		typeError(L, 1, "string")
	}
	dec := decoder{L: L, opts: &serOptions{}, in: []byte(s)}
	v := dec.get(0)
	if dec.pos != len(dec.in) {
		raise(L, "left-over data in buffer")
	}
	L.Push(v)
	return 1
}
