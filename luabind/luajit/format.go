package luajit

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// strFormat is LuaJIT 2.1's string.format: C-style conversions done the way LuaJIT's own
// formatter does them (%u, %x and %o of negative numbers as 64-bit unsigned, %s and %q
// through tostring, numbers as "%.14g", ties rounded away from zero, "inf"/"nan").
func strFormat(L *lua.LState) int {
	fs := checkString(L, 1)
	top := L.GetTop()
	arg := 1
	out := make([]byte, 0, len(fs)+16)
	for i := 0; i < len(fs); i++ {
		c := fs[i]
		if c != '%' {
			out = append(out, c)
			continue
		}
		if i+1 < len(fs) && fs[i+1] == '%' {
			out = append(out, '%')
			i++
			continue
		}
		// Parse "%[flags][width][.prec]conv" as LuaJIT does: width and precision are at
		// most two digits each.
		start := i
		i++
		var minus, plus, space, alt, zero bool
	flags:
		for ; i < len(fs); i++ {
			switch fs[i] {
			case '-':
				minus = true
			case '+':
				plus = true
			case ' ':
				space = true
			case '#':
				alt = true
			case '0':
				zero = true
			default:
				break flags
			}
		}
		width, prec := 0, -1
		if i < len(fs) && fs[i] >= '1' && fs[i] <= '9' {
			width = int(fs[i] - '0')
			i++
			if i < len(fs) && isDigit(fs[i]) {
				width = width*10 + int(fs[i]-'0')
				i++
			}
		}
		if i < len(fs) && fs[i] == '.' {
			i++
			prec = 0
			if i < len(fs) && isDigit(fs[i]) {
				prec = int(fs[i] - '0')
				i++
				if i < len(fs) && isDigit(fs[i]) {
					prec = prec*10 + int(fs[i]-'0')
					i++
				}
			}
		}
		conv := byte(0)
		if i < len(fs) {
			conv = fs[i]
		}
		spec := fs[start:min(i+1, len(fs))]
		if !strings.ContainsRune("diucxXoeEfFgGaAsq", rune(conv)) || conv == 0 {
			raise(L, "invalid option '"+spec+"' to 'format'")
		}
		arg++
		if arg > top {
			argError(L, arg, "value expected")
		}
		var s string
		switch conv {
		case 'd', 'i':
			s = fmtInt(num2i64(checkNum(L, arg)), minus, plus, space, zero, width, prec)
		case 'u':
			s = fmtUint(num2u64(checkNum(L, arg)), 'd', minus, alt, zero, width, prec)
		case 'x', 'X', 'o':
			s = fmtUint(num2u64(checkNum(L, arg)), conv, minus, alt, zero, width, prec)
		case 'c':
			s = pad(string([]byte{byte(num2i64(checkNum(L, arg)))}), minus, width)
		case 'e', 'E', 'f', 'F', 'g', 'G', 'a', 'A':
			s = fmtFloat(checkNum(L, arg), conv, minus, plus, space, alt, zero, width, prec)
		case 's':
			v := tostring(L, L.Get(arg))
			if prec >= 0 && prec < len(v) {
				v = v[:prec]
			}
			s = pad(v, minus, width)
		case 'q':
			s = quote(tostring(L, L.Get(arg)))
		}
		CheckStrLen(L, int64(len(out)+len(s))) // before the buffer grows
		out = append(out, s...)
	}
	L.Push(lua.LString(out))
	return 1
}

// num2i64 converts as LuaJIT does on x86-64: out of range and NaN give math.MinInt64.
func num2i64(n float64) int64 {
	if n != n || n >= 9223372036854775808.0 || n < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(n)
}

// num2u64 is LuaJIT's lj_num2u64: values from 2^63 up wrap through int64.
func num2u64(n float64) uint64 {
	if n >= 9223372036854775808.0 {
		return uint64(num2i64(n - 18446744073709551616.0))
	}
	return uint64(num2i64(n))
}

func pad(s string, minus bool, width int) string {
	if len(s) >= width {
		return s
	}
	fill := strings.Repeat(" ", width-len(s))
	if minus {
		return s + fill
	}
	return fill + s
}

// padNum pads a formatted number, with zeros after the sign/prefix when zero is set.
func padNum(sign, prefix, digits string, minus, zero bool, width int) string {
	n := len(sign) + len(prefix) + len(digits)
	if n >= width {
		return sign + prefix + digits
	}
	if zero && !minus {
		return sign + prefix + strings.Repeat("0", width-n) + digits
	}
	return pad(sign+prefix+digits, minus, width)
}

func fmtInt(v int64, minus, plus, space, zero bool, width, prec int) string {
	sign := ""
	var u uint64
	if v < 0 {
		sign, u = "-", uint64(-v)
	} else {
		u = uint64(v)
		if plus {
			sign = "+"
		} else if space {
			sign = " "
		}
	}
	digits := strconv.FormatUint(u, 10)
	if prec >= 0 {
		zero = false
		if prec == 0 && u == 0 {
			digits = ""
		}
		if len(digits) < prec {
			digits = strings.Repeat("0", prec-len(digits)) + digits
		}
	}
	return padNum(sign, "", digits, minus, zero, width)
}

func fmtUint(u uint64, conv byte, minus, alt, zero bool, width, prec int) string {
	var digits, prefix string
	switch conv {
	case 'd':
		digits = strconv.FormatUint(u, 10)
	case 'o':
		digits = strconv.FormatUint(u, 8)
	case 'x':
		digits = strconv.FormatUint(u, 16)
	case 'X':
		digits = strings.ToUpper(strconv.FormatUint(u, 16))
	}
	if prec >= 0 {
		zero = false
		if prec == 0 && u == 0 {
			digits = ""
		}
		if len(digits) < prec {
			digits = strings.Repeat("0", prec-len(digits)) + digits
		}
	}
	if alt {
		switch {
		case conv == 'o' && (len(digits) == 0 || digits[0] != '0'):
			digits = "0" + digits
		case conv == 'x' && u != 0:
			prefix = "0x"
		case conv == 'X' && u != 0:
			prefix = "0X"
		}
	}
	return padNum("", prefix, digits, minus, zero, width)
}

func fmtFloat(n float64, conv byte, minus, plus, space, alt, zero bool, width, prec int) string {
	sign := ""
	if math.Signbit(n) && n == n {
		sign = "-"
	} else if plus {
		sign = "+"
	} else if space {
		sign = " "
	}
	upper := conv == 'E' || conv == 'F' || conv == 'G' || conv == 'A'
	a := math.Abs(n)
	if math.IsInf(n, 0) || n != n {
		s := "inf"
		if n != n {
			s = "nan"
		}
		if upper {
			s = strings.ToUpper(s)
		}
		return pad(sign+s, minus, width)
	}
	lower := conv | 0x20
	var digits string
	switch lower {
	case 'a':
		digits = hexFloat(a, prec)
	default:
		if prec < 0 {
			prec = 6
		}
		p := prec
		if lower == 'g' && p == 0 {
			p = 1
		}
		digits = strconv.FormatFloat(tieAway(a, lower, p), lower, p, 64)
		if lower == 'g' && alt {
			digits = altG(digits, p)
		} else if alt && prec == 0 && !strings.ContainsAny(digits, ".e") {
			digits += "."
		} else if alt && prec == 0 && lower == 'e' {
			digits = strings.Replace(digits, "e", ".e", 1)
		}
	}
	if upper {
		digits = strings.ToUpper(digits)
	}
	return padNum(sign, "", digits, minus, zero, width)
}

// altG is "%#g": trailing zeros kept up to p significant digits and always a point.
func altG(s string, p int) string {
	mant, exp := s, ""
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant, exp = s[:i], s[i:]
	}
	if !strings.Contains(mant, ".") {
		mant += "."
	}
	sig := 0
	started := false
	for _, c := range mant {
		if c >= '1' && c <= '9' {
			started = true
		}
		if started && c >= '0' && c <= '9' {
			sig++
		}
	}
	if !started {
		sig = 1 // zero: its one digit
	}
	for ; sig < p; sig++ {
		mant += "0"
	}
	return mant + exp
}

// hexFloat is C's "%a" of a non-negative finite number ("0x1.8p+1").
func hexFloat(a float64, prec int) string {
	if bits := math.Float64bits(a); prec >= 0 && prec < 13 && bits>>52&0x7ff != 0 {
		// a normal number rounded as glibc does: halves away from zero, and a carry makes
		// the leading digit 2 (0x2p+0), it is not renormalized
		frac := bits & (1<<52 - 1)
		exp := int(bits>>52&0x7ff) - 1023
		shift := uint(52 - 4*prec)
		q, rem, half := frac>>shift, frac&(1<<shift-1), uint64(1)<<(shift-1)
		lead := uint64(1)
		if rem >= half {
			q++
		}
		if q>>(4*uint(prec)) != 0 {
			lead++
			q &= 1<<(4*uint(prec)) - 1
		}
		out := "0x" + strconv.FormatUint(lead, 10)
		if prec > 0 {
			h := strconv.FormatUint(q, 16)
			out += "." + strings.Repeat("0", prec-len(h)) + h
		}
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return out + "p" + sign + strconv.Itoa(exp)
	}
	s := strconv.FormatFloat(a, 'x', prec, 64) // "0x1.8p+01"
	i := strings.IndexByte(s, 'p')
	e := s[i+2:]
	for len(e) > 1 && e[0] == '0' {
		e = e[1:]
	}
	if a == 0 && prec < 0 {
		return "0x0p+0"
	}
	return s[:i+2] + e
}

// quote is LuaJIT's "%q".
func quote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', '\n')
		case c < ' ' || c == 127:
			b = append(b, '\\')
			if i+1 < len(s) && isDigit(s[i+1]) {
				b = append(b, '0'+c/100, '0'+c/10%10, '0'+c%10)
			} else {
				b = strconv.AppendInt(b, int64(c), 10)
			}
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}
