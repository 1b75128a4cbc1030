package luajit

import (
	"math"
	"math/big"
	"strconv"
)

// FormatNumber formats n as LuaJIT's tostring does ("%.14g", with "nan", "inf", "-inf"
// and "-0"), including LuaJIT's rounding of exact ties away from zero
// (123456789012345 -> "1.2345678901235e+14", where C's printf gives ...234e+14).
func FormatNumber(n float64) string {
	return string(appendNumber(nil, n))
}

func appendNumber(b []byte, n float64) []byte {
	switch {
	case n != n:
		return append(b, "nan"...)
	case math.IsInf(n, 1):
		return append(b, "inf"...)
	case math.IsInf(n, -1):
		return append(b, "-inf"...)
	}
	if n == math.Trunc(n) && math.Abs(n) < 1e14 {
		if n == 0 && math.Signbit(n) {
			return append(b, "-0"...)
		}
		return strconv.AppendInt(b, int64(n), 10) // fast path: up to 14 digits, no rounding
	}
	return strconv.AppendFloat(b, tieAway(n, 'g', 14), 'g', 14, 64)
}

// tieAway returns n, or n moved one ulp away from zero when n lies exactly halfway between
// two results of printing it with conversion conv ('e', 'f' or 'g') and precision prec.
// LuaJIT's formatter rounds such ties away from zero; Go (like C) rounds them to even.
func tieAway(n float64, conv byte, prec int) float64 {
	if n == 0 || math.IsInf(n, 0) || n != n {
		return n
	}
	// The shortest representation is exact whenever a tie is possible at the precisions
	// that matter (up to 15 significant digits); a tie's last digit is a 5.
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], n, 'e', -1, 64)
	mant, exp := s, 0
	for i, c := range s {
		if c == 'e' {
			mant = s[:i]
			exp, _ = strconv.Atoi(string(s[i+1:]))
			break
		}
	}
	if mant[0] == '-' {
		mant = mant[1:]
	}
	digits := len(mant)
	if digits > 1 {
		digits-- // the '.'
	}
	if mant[len(mant)-1] != '5' {
		return n
	}
	var want int // significant digits that are kept
	switch conv {
	case 'e':
		want = prec + 1
	case 'f':
		want = exp + 1 + prec
	default: // 'g'
		if prec == 0 {
			prec = 1
		}
		want = prec
	}
	if digits != want+1 {
		return n
	}
	exact, ok := new(big.Rat).SetString(string(s))
	if !ok || exact.Cmp(new(big.Rat).SetFloat64(n)) != 0 {
		return n
	}
	return math.Nextafter(n, math.Copysign(math.Inf(1), n))
}
