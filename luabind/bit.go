package luabind

// LuaJIT's BitOp module ("bit"), as LuaJIT 2.1 (OpenResty's branch) implements it:
// every argument is normalised to 32 bits the way lj_num2bit does (add 2^52+2^51 and keep
// the low word of the double, so fractions round to nearest even and large numbers wrap
// modulo 2^32), and every result is a signed 32-bit integer.

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

var bitFuncs = map[string]lua.LGFunction{
	"tobit":   bitTobit,
	"tohex":   bitTohex,
	"bnot":    bitBnot,
	"band":    bitBand,
	"bor":     bitBor,
	"bxor":    bitBxor,
	"lshift":  bitLshift,
	"rshift":  bitRshift,
	"arshift": bitArshift,
	"rol":     bitRol,
	"ror":     bitRor,
	"bswap":   bitBswap,
}

// openBit is the loader of require "bit".
func openBit(L *lua.LState) int {
	mod := L.CreateTable(0, len(bitFuncs))
	for name, fn := range bitFuncs {
		mod.RawSetString(name, L.NewFunction(fn))
	}
	L.Push(mod)
	return 1
}

// bitNum2Bit is lj_num2bit.
func bitNum2Bit(f float64) int32 {
	if math.IsNaN(f) {
		// LuaJIT's NaNs (0/0) have an all-zero low word; Go's math.NaN() does not.
		return 0
	}
	return int32(uint32(math.Float64bits(f + 6755399441055744.0)))
}

// bitParseNumber converts a string as LuaJIT's string-to-number coercion does for the
// forms scripts use: decimal (with fraction and exponent) and 0x hex, optionally signed,
// surrounded by white space.
func bitParseNumber(s string) (float64, bool) {
	s = strings.Trim(s, " \t\n\v\f\r")
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" {
		return 0, false
	}
	neg := s[0] == '-'
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		u, err := strconv.ParseUint(body[2:], 16, 64)
		if err != nil || strings.ContainsAny(body[2:], "_+-") {
			return 0, false
		}
		f := float64(u)
		if neg {
			f = -f
		}
		return f, true
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// bitFuncName is the quoted name LuaJIT reports for the running function.
func bitFuncName(L *lua.LState) string {
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

// bitArgError raises "bad argument #n to 'f' (number expected, got T)" with the caller's
// position, as lj_err_argt does.
func bitArgError(L *lua.LState, n int) {
	got := "no value"
	if n <= L.GetTop() {
		got = L.Get(n).Type().String()
	}
	where := ""
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.What != "G" && dbg.CurrentLine > 0 {
			where = fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
		}
	}
	L.Error(lua.LString(fmt.Sprintf("%sbad argument #%d to %s (number expected, got %s)",
		where, n, bitFuncName(L), got)), 0)
}

// bitCheck is lj_carith_check64 for plain numbers: argument n as 32 bits.
func bitCheck(L *lua.LState, n int) int32 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return bitNum2Bit(float64(v))
	case lua.LString:
		if f, ok := bitParseNumber(string(v)); ok {
			return bitNum2Bit(f)
		}
	}
	bitArgError(L, n)
	return 0
}

func bitPush(L *lua.LState, x int32) int {
	L.Push(lua.LNumber(x))
	return 1
}

func bitTobit(L *lua.LState) int { return bitPush(L, bitCheck(L, 1)) }

func bitBnot(L *lua.LState) int { return bitPush(L, ^bitCheck(L, 1)) }

func bitBswap(L *lua.LState) int {
	return bitPush(L, int32(bits.ReverseBytes32(uint32(bitCheck(L, 1)))))
}

func bitBand(L *lua.LState) int {
	x := bitCheck(L, 1)
	for i := 2; i <= L.GetTop(); i++ {
		x &= bitCheck(L, i)
	}
	return bitPush(L, x)
}

func bitBor(L *lua.LState) int {
	x := bitCheck(L, 1)
	for i := 2; i <= L.GetTop(); i++ {
		x |= bitCheck(L, i)
	}
	return bitPush(L, x)
}

func bitBxor(L *lua.LState) int {
	x := bitCheck(L, 1)
	for i := 2; i <= L.GetTop(); i++ {
		x ^= bitCheck(L, i)
	}
	return bitPush(L, x)
}

// bitShiftArgs returns the value and the shift count (mod 32).
func bitShiftArgs(L *lua.LState) (uint32, uint) {
	x := uint32(bitCheck(L, 1))
	n := uint(bitCheck(L, 2)) & 31
	return x, n
}

func bitLshift(L *lua.LState) int {
	x, n := bitShiftArgs(L)
	return bitPush(L, int32(x<<n))
}

func bitRshift(L *lua.LState) int {
	x, n := bitShiftArgs(L)
	return bitPush(L, int32(x>>n))
}

func bitArshift(L *lua.LState) int {
	x, n := bitShiftArgs(L)
	return bitPush(L, int32(x)>>n)
}

func bitRol(L *lua.LState) int {
	x, n := bitShiftArgs(L)
	return bitPush(L, int32(bits.RotateLeft32(x, int(n))))
}

func bitRor(L *lua.LState) int {
	x, n := bitShiftArgs(L)
	return bitPush(L, int32(bits.RotateLeft32(x, -int(n))))
}

// bitTohex is LuaJIT 2.1's: n digits (default 8), upper case when n < 0, at most 254
// digits; the value is masked to n digits when n < 16 and zero-padded beyond 8.
func bitTohex(L *lua.LState) int {
	b := uint64(uint32(bitCheck(L, 1)))
	n := int32(8)
	if L.GetTop() >= 2 {
		n = bitCheck(L, 2)
	}
	upper := false
	un := uint32(n)
	if n < 0 {
		un = ^uint32(n) + 1
		upper = true
	}
	if un > 254 {
		un = 254
	}
	if un < 16 {
		b &= (uint64(1) << (4 * un)) - 1
	}
	digits := ""
	if b != 0 {
		digits = strconv.FormatUint(b, 16)
	}
	if pad := int(un) - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	if upper {
		digits = strings.ToUpper(digits)
	}
	L.Push(lua.LString(digits))
	return 1
}
