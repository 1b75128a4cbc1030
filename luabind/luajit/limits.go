package luajit

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// LuaJIT's string size limit, and a per-state memory cap.
//
// LuaJIT 2.1 refuses to build a string of MaxStr bytes or more: a string buffer asked to grow
// past it fails with "not enough memory" (lj_err_mem) and a finished string that long with
// "string length overflow" (LJ_ERR_STROV), both at once, before allocating. gopher-lua has no
// such limit, so a handler passing a client's count to string.rep would build gigabytes.
// Every luaws function that builds a string from its arguments (string.rep, string.format,
// table.concat, the ngx output buffers, the `..` operator) checks the length first.
//
// The memory cap (SetMemoryLimit) is the host's per-state limit on any one allocation made
// by those functions and by table.new: asking for more fails with LuaJIT's "not enough
// memory", the error LuaJIT raises when its allocator refuses, so the request that asked
// fails and the others go on.

// MaxStr is LuaJIT 2.1's LJ_MAX_STR (0x7fffff00): strings are shorter than this.
const MaxStr = 0x7fffff00

// MaxBuf is the most a string.buffer holds under LuaJIT 2.1 (measured on Debian's luajit2:
// eight puts of 2^28 bytes succeed, one byte more fails with "not enough memory").
const MaxBuf = 1 << 31

// LuaJIT's error messages for a string too long and an allocation refused.
const (
	ErrStrOverflow = "string length overflow"
	ErrNoMemory    = "not enough memory"
)

// memLimitKey holds a state's memory cap in its registry.
const memLimitKey = "luaws.memory_limit"

// SetMemoryLimit sets the largest allocation (in bytes) the string and table functions of L
// make; 0 removes the cap. Light threads (NewThread) share it.
func SetMemoryLimit(L *lua.LState, n int64) {
	reg := L.G.Registry
	if n <= 0 {
		reg.RawSetString(memLimitKey, lua.LNil)
		return
	}
	reg.RawSetString(memLimitKey, lua.LNumber(n))
}

// MemoryLimit is L's cap (0: none).
func MemoryLimit(L *lua.LState) int64 {
	if n, ok := L.G.Registry.RawGetString(memLimitKey).(lua.LNumber); ok {
		return int64(n)
	}
	return 0
}

// checkFloor: lengths below it are never refused (no registry look-up on the hot path).
const checkFloor = 1 << 20

// overCap reports whether an allocation of n bytes exceeds L's memory cap.
func overCap(L *lua.LState, n int64) bool {
	if n < checkFloor {
		return false
	}
	limit := MemoryLimit(L)
	return limit > 0 && n > limit
}

// raiseBare raises msg as LuaJIT's allocator and string errors come: without a position,
// whoever called.
func raiseBare(L *lua.LState, msg string) { L.Error(lua.LString(msg), 0) }

// CheckStrLen is called before building a finished string of n bytes (string.format, `..`,
// a joined output buffer): "string length overflow" at LuaJIT's limit, "not enough memory"
// over the state's cap. The error has no position, as from a C function; the `..` operator
// adds the caller's (use StrLenError and L.RaiseError there).
func CheckStrLen(L *lua.LState, n int64) {
	if msg := StrLenError(L, n); msg != "" {
		raiseBare(L, msg)
	}
}

// StrLenError is CheckStrLen's verdict without raising it ("" when n bytes are fine).
func StrLenError(L *lua.LState, n int64) string {
	switch {
	case n >= MaxStr:
		return ErrStrOverflow
	case overCap(L, n):
		return ErrNoMemory
	}
	return ""
}

// CheckBufLen is called before growing a string buffer to n bytes (string.rep,
// table.concat): LuaJIT refuses a buffer over MaxStr with "not enough memory", and a result
// of exactly MaxStr bytes with "string length overflow".
func CheckBufLen(L *lua.LState, n int64) {
	switch {
	case n > MaxStr || overCap(L, n):
		raiseBare(L, ErrNoMemory)
	case n == MaxStr:
		raiseBare(L, ErrStrOverflow)
	}
}

// BufferTooBig reports whether a buffer of n bytes is past LuaJIT's string limit or the
// state's cap (for callers that raise their own error, as ngx.say's "no memory").
func BufferTooBig(L *lua.LState, n int64) bool { return n > MaxStr || overCap(L, n) }

// CheckAlloc is called before an allocation of n bytes that is not a string (table.new's
// preallocation): "not enough memory" over the state's cap.
func CheckAlloc(L *lua.LState, n int64) {
	if overCap(L, n) {
		raiseBare(L, ErrNoMemory)
	}
}

// ToInt32 is LuaJIT's lj_num2int, how its library functions take an integer argument: the
// number truncated toward zero, and any number outside int32 (or NaN) as math.MinInt32 (what
// x86-64's cvttsd2si gives). string.rep("x", 2^31) therefore returns "" under LuaJIT.
func ToInt32(f float64) int32 {
	if math.IsNaN(f) || f >= 1<<31 || f <= -(1<<31)-1 {
		return math.MinInt32
	}
	return int32(f)
}

// checkInt32 is lj_lib_checkint: a number (or a numeric string) as ToInt32 takes it.
func checkInt32(L *lua.LState, n int) int32 { return ToInt32(checkNum(L, n)) }
