// Package cjson is OpenResty's lua-cjson (the openresty/lua-cjson fork, 2.1.0.x) for
// gopher-lua: the "cjson" and "cjson.safe" modules with the same encode/decode output, the
// same configuration functions and defaults, and the same error texts.
//
// Numbers: gopher-lua numbers are doubles, as LuaJIT's are, so encoding uses "%.14g" (or the
// configured precision) for every number, and decoded integers become doubles.
//
// Known differences from the C module are noted where they arise; the main one is that object
// members are emitted in gopher-lua's `pairs` order (insertion order) instead of LuaJIT's
// hash order. Neither order is one a caller can rely on.
package cjson

import (
	"fmt"
	"math"
	"strconv"

	"github.com/luaws/luaws/luabind/lnull"
	lua "github.com/yuin/gopher-lua"
)

// Module identity, as lua-cjson reports it in cjson._NAME and cjson._VERSION.
const (
	ModName = "cjson"
	Version = "2.1.0.11"
)

// Defaults of a fresh module instance (lua_cjson.c).
const (
	defaultSparseConvert        = false
	defaultSparseRatio          = 2
	defaultSparseSafe           = 10
	defaultEncodeMaxDepth       = 1000
	defaultDecodeMaxDepth       = 1000
	defaultEncodeInvalidNumbers = 0
	defaultDecodeInvalidNumbers = true
	defaultEncodeKeepBuffer     = true
	defaultNumberPrecision      = 14
	defaultEmptyTableAsObject   = true
	defaultDecodeArrayWithMT    = false
	defaultDecodeAllowComment   = false
	defaultEscapeForwardSlash   = true
	defaultSkipUnsupported      = false

	// luaMaxCStack is LuaJIT's LUAI_MAXCSTACK: lua_checkstack fails past it, which is what
	// bounds nesting when encode_max_depth/decode_max_depth are raised very high.
	luaMaxCStack = 8000
)

// Registry keys of the per-state values every module instance shares, as the C module keeps
// array_mt and empty_array_mt in the registry once per state.
const (
	regArrayMT      = "luaws.cjson.array_mt"
	regEmptyArrayMT = "luaws.cjson.empty_array_mt"
	regEmptyArray   = "luaws.cjson.empty_array"
)

// shared holds the values that are the same for every module instance of one state.
type shared struct {
	null         *lua.LUserData // cjson.null == ngx.null
	emptyArray   *lua.LUserData // cjson.empty_array
	arrayMT      *lua.LTable    // cjson.array_mt
	emptyArrayMT *lua.LTable    // cjson.empty_array_mt
}

func getShared(L *lua.LState) *shared {
	reg := L.G.Registry
	amt, ok := reg.RawGetString(regArrayMT).(*lua.LTable)
	if !ok {
		amt = L.NewTable()
		reg.RawSetString(regArrayMT, amt)
	}
	emt, ok := reg.RawGetString(regEmptyArrayMT).(*lua.LTable)
	if !ok {
		emt = L.NewTable()
		reg.RawSetString(regEmptyArrayMT, emt)
	}
	ea, ok := reg.RawGetString(regEmptyArray).(*lua.LUserData)
	if !ok {
		// A light userdata in C: no metatable, tostring gives "userdata: 0x...".
		ea = L.NewUserData()
		reg.RawSetString(regEmptyArray, ea)
	}
	return &shared{null: lnull.Get(L), emptyArray: ea, arrayMT: amt, emptyArrayMT: emt}
}

// config is one module instance's settings (json_config_t).
type config struct {
	sh *shared

	sparseConvert      bool
	sparseRatio        int
	sparseSafe         int
	encodeMaxDepth     int
	decodeMaxDepth     int
	encodeInvalidNums  int // 0 off, 1 on, 2 "null"
	precision          int
	keepBuffer         bool
	emptyTableAsObject bool
	escapeSlash        bool
	skipUnsupported    bool
	indent             string
	decodeInvalidNums  bool
	decodeArrayWithMT  bool
	decodeAllowComment bool

	buf []byte   // kept encode buffer (encode_keep_buffer)
	dec *decoder // reused decoder state (scratch buffers)
}

func newConfig(sh *shared) *config {
	return &config{
		sh:                 sh,
		sparseConvert:      defaultSparseConvert,
		sparseRatio:        defaultSparseRatio,
		sparseSafe:         defaultSparseSafe,
		encodeMaxDepth:     defaultEncodeMaxDepth,
		decodeMaxDepth:     defaultDecodeMaxDepth,
		encodeInvalidNums:  defaultEncodeInvalidNumbers,
		precision:          defaultNumberPrecision,
		keepBuffer:         defaultEncodeKeepBuffer,
		emptyTableAsObject: defaultEmptyTableAsObject,
		escapeSlash:        defaultEscapeForwardSlash,
		skipUnsupported:    defaultSkipUnsupported,
		decodeInvalidNums:  defaultDecodeInvalidNumbers,
		decodeArrayWithMT:  defaultDecodeArrayWithMT,
		decodeAllowComment: defaultDecodeAllowComment,
	}
}

// Preload registers package.preload["cjson"] and package.preload["cjson.safe"]. Each require
// (and each cjson.new()) returns a fresh module table with its own settings, as lua-cjson does;
// cjson.null is lnull.Get(L), so cjson.null == ngx.null.
func Preload(L *lua.LState) {
	L.PreloadModule("cjson", loadCJSON)
	L.PreloadModule("cjson.safe", loadCJSONSafe)
}

func loadCJSON(L *lua.LState) int {
	L.Push(newModule(L, false))
	return 1
}

func loadCJSONSafe(L *lua.LState) int {
	L.Push(newModule(L, true))
	return 1
}

// newModule builds one module table (lua_cjson_new / lua_cjson_safe_new).
func newModule(L *lua.LState, safe bool) *lua.LTable {
	sh := getShared(L)
	cfg := newConfig(sh)
	mod := L.CreateTable(0, 24)

	encode := func(L *lua.LState) int {
		if L.GetTop() != 1 {
			argError(L, 1, "expected 1 argument")
		}
		s, err := cfg.encode(L, L.Get(1), safe)
		if err != nil {
			if safe {
				L.Push(lua.LNil)
				L.Push(err.value())
				return 2
			}
			err.raise(L)
		}
		L.Push(lua.LString(s))
		return 1
	}
	decode := func(L *lua.LState) int {
		if L.GetTop() != 1 {
			argError(L, 1, "expected 1 argument")
		}
		var src string
		switch v := L.Get(1).(type) {
		case lua.LString:
			src = string(v)
		case lua.LNumber:
			src = numberToString(float64(v))
		default:
			msg := fmt.Sprintf("string expected, got %s", typeName(v))
			if safe {
				// json_protect_conversion pcalls decode: the argument error is caught,
				// raised from a C caller so it names the function '?' and has no position.
				L.Push(lua.LNil)
				L.Push(lua.LString("bad argument #1 to '?' (" + msg + ")"))
				return 2
			}
			argError(L, 1, msg)
		}
		v, err := cfg.decode(L, src)
		if err != nil {
			if safe {
				L.Push(lua.LNil)
				L.Push(err.value())
				return 2
			}
			err.raise(L)
		}
		L.Push(v)
		return 1
	}

	funcs := map[string]lua.LGFunction{
		"encode":                              encode,
		"decode":                              decode,
		"encode_empty_table_as_object":        cfg.cfgEncodeEmptyTableAsObject,
		"decode_array_with_array_mt":          cfg.cfgDecodeArrayWithArrayMT,
		"decode_allow_comment":                cfg.cfgDecodeAllowComment,
		"encode_sparse_array":                 cfg.cfgEncodeSparseArray,
		"encode_max_depth":                    cfg.cfgEncodeMaxDepth,
		"decode_max_depth":                    cfg.cfgDecodeMaxDepth,
		"encode_number_precision":             cfg.cfgEncodeNumberPrecision,
		"encode_keep_buffer":                  cfg.cfgEncodeKeepBuffer,
		"encode_invalid_numbers":              cfg.cfgEncodeInvalidNumbers,
		"decode_invalid_numbers":              cfg.cfgDecodeInvalidNumbers,
		"encode_escape_forward_slash":         cfg.cfgEncodeEscapeForwardSlash,
		"encode_skip_unsupported_value_types": cfg.cfgEncodeSkipUnsupportedValueTypes,
		"encode_indent":                       cfg.cfgEncodeIndent,
	}
	if safe {
		funcs["new"] = loadCJSONSafe
	} else {
		funcs["new"] = loadCJSON
	}
	for name, fn := range funcs {
		mod.RawSetString(name, L.NewFunction(fn))
	}
	mod.RawSetString("null", sh.null)
	mod.RawSetString("empty_array_mt", sh.emptyArrayMT)
	mod.RawSetString("array_mt", sh.arrayMT)
	mod.RawSetString("empty_array", sh.emptyArray)
	mod.RawSetString("_NAME", lua.LString(ModName))
	mod.RawSetString("_VERSION", lua.LString(Version))
	return mod
}

/* ===== errors ===== */

// callerWhere returns luaL_where(L, 1): "source:line: " when the function running was called
// from Lua code, "" when its caller is a Go function such as pcall (a C function in LuaJIT).
func callerWhere(L *lua.LState) string {
	w := L.Where(1)
	if w == "" || w == "[G]:" {
		return ""
	}
	return w + " "
}

// raise is luaL_error: the message, prefixed with the Lua caller's position if any.
func raise(L *lua.LState, msg string) {
	L.Error(lua.LString(callerWhere(L)+msg), 0)
}

// argError is luaL_argerror: "bad argument #n to 'name' (msg)". The function is named '?'
// when its caller is not Lua code, as LuaJIT does.
func argError(L *lua.LState, n int, msg string) {
	where := callerWhere(L)
	name := "?"
	if where != "" {
		if dbg, ok := L.GetStack(0); ok {
			if _, err := L.GetInfo("n", dbg, lua.LNil); err == nil && dbg.Name != "" && dbg.Name != "(anonymous)" {
				name = dbg.Name
			}
		}
	}
	L.Error(lua.LString(fmt.Sprintf("%sbad argument #%d to '%s' (%s)", where, n, name, msg)), 0)
}

func typeName(v lua.LValue) string {
	return v.Type().String()
}

// numberToString is Lua's number-to-string coercion ("%.14g").
func numberToString(f float64) string {
	return string(appendNumberG(nil, f, 14))
}

/* ===== configuration ===== */

// argInit is json_arg_init: at most n arguments, padded with nil to n so that results
// pushed later land above them.
func argInit(L *lua.LState, n int) {
	if L.GetTop() > n {
		argError(L, n+1, "found too many arguments")
	}
	for L.GetTop() < n {
		L.Push(lua.LNil)
	}
}

// integerOption is json_integer_option: nil keeps the setting; otherwise an integer in
// [min, max] (range errors always name argument #1, as the C code does).
func integerOption(L *lua.LState, idx int, setting *int, min, max int) {
	v := L.Get(idx)
	if v != lua.LNil {
		var f float64
		switch x := v.(type) {
		case lua.LNumber:
			f = float64(x)
		case lua.LString:
			n, ok := parseLuaNumber(string(x))
			if !ok {
				argError(L, idx, "number expected, got string")
			}
			f = n
		default:
			argError(L, idx, "number expected, got "+typeName(v))
		}
		value := int64(f) // luaL_checkinteger truncates
		if math.IsNaN(f) || f >= 1<<63 || f < -(1<<63) {
			value = math.MinInt64
		}
		if value < int64(min) || value > int64(max) {
			argError(L, 1, fmt.Sprintf("expected integer between %d and %d", min, max))
		}
		*setting = int(value)
	}
	L.Push(lua.LNumber(*setting))
}

var boolOptions = []string{"off", "on"}

// enumOption is json_enum_option with bool_true = 1: a boolean, or one of options by name.
func enumOption(L *lua.LState, idx int, setting *int, options []string) {
	if options == nil {
		options = boolOptions
	}
	v := L.Get(idx)
	if v != lua.LNil {
		switch x := v.(type) {
		case lua.LBool:
			if x {
				*setting = 1
			} else {
				*setting = 0
			}
		case lua.LString, lua.LNumber:
			s := lua.LVAsString(x)
			if n, ok := x.(lua.LNumber); ok {
				s = numberToString(float64(n))
			}
			found := -1
			for i, o := range options {
				if o == s {
					found = i
					break
				}
			}
			if found < 0 {
				argError(L, idx, fmt.Sprintf("invalid option '%s'", s))
			}
			*setting = found
		default:
			argError(L, idx, "string expected, got "+typeName(v))
		}
	}
	if *setting == 0 || *setting == 1 {
		L.Push(lua.LBool(*setting == 1))
	} else {
		L.Push(lua.LString(options[*setting]))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func boolEnum(L *lua.LState, idx int, setting *bool) {
	v := b2i(*setting)
	enumOption(L, idx, &v, nil)
	*setting = v == 1
}

func (c *config) cfgEncodeSparseArray(L *lua.LState) int {
	argInit(L, 3)
	boolEnum(L, 1, &c.sparseConvert)
	integerOption(L, 2, &c.sparseRatio, 0, math.MaxInt32)
	integerOption(L, 3, &c.sparseSafe, 0, math.MaxInt32)
	return 3
}

func (c *config) cfgEncodeMaxDepth(L *lua.LState) int {
	argInit(L, 1)
	integerOption(L, 1, &c.encodeMaxDepth, 1, math.MaxInt32)
	return 1
}

func (c *config) cfgDecodeMaxDepth(L *lua.LState) int {
	argInit(L, 1)
	integerOption(L, 1, &c.decodeMaxDepth, 1, math.MaxInt32)
	return 1
}

func (c *config) cfgEncodeNumberPrecision(L *lua.LState) int {
	argInit(L, 1)
	integerOption(L, 1, &c.precision, 1, 16)
	return 1
}

func (c *config) cfgEncodeEmptyTableAsObject(L *lua.LState) int {
	argInit(L, 1)
	boolEnum(L, 1, &c.emptyTableAsObject)
	return 1
}

func (c *config) cfgDecodeArrayWithArrayMT(L *lua.LState) int {
	argInit(L, 1)
	boolEnum(L, 1, &c.decodeArrayWithMT)
	return 1
}

func (c *config) cfgDecodeAllowComment(L *lua.LState) int {
	argInit(L, 1)
	boolEnum(L, 1, &c.decodeAllowComment)
	return 1
}

func (c *config) cfgEncodeSkipUnsupportedValueTypes(L *lua.LState) int {
	argInit(L, 1)
	boolEnum(L, 1, &c.skipUnsupported)
	return 1
}

func (c *config) cfgEncodeKeepBuffer(L *lua.LState) int {
	argInit(L, 1)
	boolEnum(L, 1, &c.keepBuffer)
	if !c.keepBuffer {
		c.buf = nil
	}
	return 1
}

func (c *config) cfgEncodeIndent(L *lua.LState) int {
	argInit(L, 1)
	v := L.Get(1)
	if v != lua.LNil {
		switch x := v.(type) {
		case lua.LString:
			c.indent = string(x)
		case lua.LNumber:
			c.indent = numberToString(float64(x))
		default:
			argError(L, 1, "string expected, got "+typeName(v))
		}
	}
	L.Push(lua.LString(c.indent))
	return 1
}

var invalidNumberOptions = []string{"off", "on", "null"}

func (c *config) cfgEncodeInvalidNumbers(L *lua.LState) int {
	argInit(L, 1)
	enumOption(L, 1, &c.encodeInvalidNums, invalidNumberOptions)
	return 1
}

func (c *config) cfgDecodeInvalidNumbers(L *lua.LState) int {
	argInit(L, 1)
	boolEnum(L, 1, &c.decodeInvalidNums)
	return 1
}

func (c *config) cfgEncodeEscapeForwardSlash(L *lua.LState) int {
	argInit(L, 1)
	boolEnum(L, 1, &c.escapeSlash)
	return 1
}

// parseLuaNumber converts a string the way lua_tonumber does (decimal or hex, surrounding
// whitespace allowed).
func parseLuaNumber(s string) (float64, bool) {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	if i == j {
		return 0, false
	}
	t := s[i:j]
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		n, err := strconv.ParseUint(t[2:], 16, 64)
		if err != nil {
			return 0, false
		}
		return float64(n), true
	}
	f, end, ok := strtod(t, 0)
	if !ok || end != len(t) {
		return 0, false
	}
	return f, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
