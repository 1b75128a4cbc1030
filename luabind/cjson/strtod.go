package cjson

import (
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// numAlloc boxes decoded numbers into lua.LValue.
type numAlloc struct{}

func (a *numAlloc) number(f float64) lua.LValue { return lua.LNumber(f) }

func (a *numAlloc) release() {}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// hasPrefixFold is strncasecmp(s+p, prefix, len(prefix)) == 0 for a lowercase prefix.
func hasPrefixFold(s string, p int, prefix string) bool {
	if p < 0 || len(s)-p < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if s[p+i]|0x20 != prefix[i] {
			return false
		}
	}
	return true
}

// strtoll is C's strtoll(s+p, &end, 10) for a string that does not start with whitespace:
// an optional sign and decimal digits, saturating at the int64 limits. end == p when no
// digits were found.
func strtoll(s string, p int) (int64, int) {
	i := p
	neg := false
	if c := at(s, i); c == '+' || c == '-' {
		neg = c == '-'
		i++
	}
	if !isDigit(at(s, i)) {
		return 0, p
	}
	var u uint64
	over := false
	for ; i < len(s) && isDigit(s[i]); i++ {
		if !over {
			d := uint64(s[i] - '0')
			if u > (math.MaxUint64-d)/10 {
				over = true
			} else {
				u = u*10 + d
			}
		}
	}
	if neg {
		if over || u > 1<<63 {
			return math.MinInt64, i
		}
		return -int64(u), i
	}
	if over || u > math.MaxInt64 {
		return math.MaxInt64, i
	}
	return int64(u), i
}

// strtod is glibc's strtod(s+p, &end) for a string that does not start with whitespace:
// decimal and hexadecimal floats, "inf", "infinity" and "nan", each with an optional sign.
// It returns the value and the index after the longest number found; ok is false (and end is
// p) when there is none.
func strtod(s string, p int) (f float64, end int, ok bool) {
	i := p
	neg := false
	if c := at(s, i); c == '+' || c == '-' {
		neg = c == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	switch {
	case hasPrefixFold(s, i, "inf"):
		j := i + 3
		if hasPrefixFold(s, j, "inity") {
			j += 5
		}
		return sign(math.Inf(1)), j, true
	case hasPrefixFold(s, i, "nan"):
		j := i + 3
		if at(s, j) == '(' {
			k := j + 1
			for c := at(s, k); isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'z') || c == '_'; c = at(s, k) {
				k++
			}
			if at(s, k) == ')' {
				j = k + 1
			}
		}
		return sign(math.NaN()), j, true
	case at(s, i) == '0' && at(s, i+1)|0x20 == 'x':
		return strtodHex(s, i, neg)
	}
	j := i
	digits := 0
	for isDigit(at(s, j)) {
		j++
		digits++
	}
	if at(s, j) == '.' {
		j++
		for isDigit(at(s, j)) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, p, false
	}
	if at(s, j)|0x20 == 'e' {
		k := j + 1
		if c := at(s, k); c == '+' || c == '-' {
			k++
		}
		if isDigit(at(s, k)) {
			for isDigit(at(s, k)) {
				k++
			}
			j = k
		}
	}
	v, err := strconv.ParseFloat(s[i:j], 64)
	if err != nil && !isRangeErr(err) {
		return 0, p, false
	}
	return sign(v), j, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// strtodHex parses the hexadecimal float at i ("0x" seen).
func strtodHex(s string, i int, neg bool) (float64, int, bool) {
	j := i + 2
	mant := []byte("0x")
	digits := 0
	for hexDigit(at(s, j)) >= 0 {
		mant = append(mant, s[j])
		j++
		digits++
	}
	if at(s, j) == '.' {
		k := j + 1
		frac := []byte{'.'}
		for hexDigit(at(s, k)) >= 0 {
			frac = append(frac, s[k])
			k++
			digits++
		}
		if digits > 0 {
			mant = append(mant, frac...)
			j = k
		}
	}
	if digits == 0 {
		// Only the "0" is a number.
		if neg {
			return math.Copysign(0, -1), i + 1, true
		}
		return 0, i + 1, true
	}
	exp := "p0"
	if at(s, j)|0x20 == 'p' {
		k := j + 1
		if c := at(s, k); c == '+' || c == '-' {
			k++
		}
		if isDigit(at(s, k)) {
			for isDigit(at(s, k)) {
				k++
			}
			exp = "p" + s[j+1:k]
			j = k
		}
	}
	v, err := strconv.ParseFloat(string(mant)+exp, 64)
	if err != nil && !isRangeErr(err) {
		return 0, i, false
	}
	if neg {
		v = -v
	}
	return v, j, true
}
