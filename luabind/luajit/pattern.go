package luajit

// Lua 5.1 patterns as LuaJIT 2.1's string library matches them (find, match, gmatch,
// gsub), frontier %f included. gopher-lua's own matcher lacks %f and returns no value
// where Lua returns nil; this one is written from the Lua 5.1 reference manual's rules.

const (
	maxCaptures  = 32
	capUnfinshed = -1
	capPosition  = -2
)

// patternError is raised (as a Lua error from the calling library function) for a
// malformed pattern.
type patternError string

type capture struct {
	start, len int
}

type matchState struct {
	src, pat string
	level    int
	capture  [maxCaptures]capture
}

func (ms *matchState) fail(msg string) { panic(patternError(msg)) }

func classEnd(ms *matchState, p int) int {
	pat := ms.pat
	c := pat[p]
	p++
	if c == '%' {
		if p >= len(pat) {
			ms.fail("malformed pattern (ends with '%')")
		}
		return p + 1
	}
	if c == '[' {
		if p < len(pat) && pat[p] == '^' {
			p++
		}
		for { // the first character after "[" or "[^" is never the closing ']'
			if p >= len(pat) {
				ms.fail("malformed pattern (missing ']')")
			}
			c := pat[p]
			p++
			if c == '%' && p < len(pat) {
				p++
			}
			if p >= len(pat) {
				ms.fail("malformed pattern (missing ']')")
			}
			if pat[p] == ']' {
				return p + 1
			}
		}
	}
	return p
}

func isalpha(c byte) bool  { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isdigitc(c byte) bool { return c >= '0' && c <= '9' }
func islower(c byte) bool  { return c >= 'a' && c <= 'z' }
func isupper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func isspacec(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }
func iscntrl(c byte) bool  { return c < 32 || c == 127 }
func ispunct(c byte) bool  { return c > 32 && c < 127 && !isalpha(c) && !isdigitc(c) }
func isxdigit(c byte) bool { return isdigitc(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func singleClass(c, cl byte) bool {
	var res bool
	switch cl | 0x20 {
	case 'a':
		res = isalpha(c)
	case 'c':
		res = iscntrl(c)
	case 'd':
		res = isdigitc(c)
	case 'l':
		res = islower(c)
	case 'p':
		res = ispunct(c)
	case 's':
		res = isspacec(c)
	case 'u':
		res = isupper(c)
	case 'w':
		res = isalpha(c) || isdigitc(c)
	case 'x':
		res = isxdigit(c)
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if isupper(cl) {
		return !res
	}
	return res
}

// matchBracket: p at '[', ec at the closing ']'.
func matchBracket(ms *matchState, c byte, p, ec int) bool {
	pat := ms.pat
	sig := true
	p++
	if pat[p] == '^' {
		sig = false
		p++
	}
	for ; p < ec; p++ {
		if pat[p] == '%' {
			p++
			if singleClass(c, pat[p]) {
				return sig
			}
		} else if p+2 < ec && pat[p+1] == '-' {
			if pat[p] <= c && c <= pat[p+2] {
				return sig
			}
			p += 2
		} else if pat[p] == c {
			return sig
		}
	}
	return !sig
}

func singleMatch(ms *matchState, s, p, ep int) bool {
	if s >= len(ms.src) {
		return false
	}
	c := ms.src[s]
	switch ms.pat[p] {
	case '.':
		return true
	case '%':
		return singleClass(c, ms.pat[p+1])
	case '[':
		return matchBracket(ms, c, p, ep-1)
	default:
		return ms.pat[p] == c
	}
}

func matchBalance(ms *matchState, s, p int) int {
	if p+1 >= len(ms.pat) {
		ms.fail("unbalanced pattern")
	}
	if s >= len(ms.src) || ms.src[s] != ms.pat[p] {
		return -1
	}
	b, e := ms.pat[p], ms.pat[p+1]
	cont := 1
	for s++; s < len(ms.src); s++ {
		if ms.src[s] == e {
			cont--
			if cont == 0 {
				return s + 1
			}
		} else if ms.src[s] == b {
			cont++
		}
	}
	return -1
}

func maxExpand(ms *matchState, s, p, ep int) int {
	i := 0
	for singleMatch(ms, s+i, p, ep) {
		i++
	}
	for i >= 0 {
		if r := doMatch(ms, s+i, ep+1); r != -1 {
			return r
		}
		i--
	}
	return -1
}

func minExpand(ms *matchState, s, p, ep int) int {
	for {
		if r := doMatch(ms, s, ep+1); r != -1 {
			return r
		}
		if singleMatch(ms, s, p, ep) {
			s++
		} else {
			return -1
		}
	}
}

func startCapture(ms *matchState, s, p, what int) int {
	if ms.level >= maxCaptures {
		ms.fail("too many captures")
	}
	ms.capture[ms.level] = capture{start: s, len: what}
	ms.level++
	r := doMatch(ms, s, p)
	if r == -1 {
		ms.level--
	}
	return r
}

func endCapture(ms *matchState, s, p int) int {
	l := captureToClose(ms)
	ms.capture[l].len = s - ms.capture[l].start
	r := doMatch(ms, s, p)
	if r == -1 {
		ms.capture[l].len = capUnfinshed
	}
	return r
}

func captureToClose(ms *matchState) int {
	level := ms.level - 1
	for ; level >= 0; level-- {
		if ms.capture[level].len == capUnfinshed {
			return level
		}
	}
	ms.fail("invalid pattern capture")
	return 0
}

func checkCapture(ms *matchState, l byte) int {
	n := int(l) - '1'
	if n < 0 || n >= ms.level || ms.capture[n].len == capUnfinshed {
		ms.fail("invalid capture index")
	}
	return n
}

func matchCapture(ms *matchState, s int, l byte) int {
	n := checkCapture(ms, l)
	c := ms.capture[n]
	cap := ms.src[c.start : c.start+c.len]
	if len(ms.src)-s >= len(cap) && ms.src[s:s+len(cap)] == cap {
		return s + len(cap)
	}
	return -1
}

// doMatch returns the end of the match of pat[p:] at src[s:], or -1.
func doMatch(ms *matchState, s, p int) int {
	for {
		if p >= len(ms.pat) {
			return s
		}
		switch ms.pat[p] {
		case '(':
			if p+1 < len(ms.pat) && ms.pat[p+1] == ')' {
				return startCapture(ms, s, p+2, capPosition)
			}
			return startCapture(ms, s, p+1, capUnfinshed)
		case ')':
			return endCapture(ms, s, p+1)
		case '$':
			if p+1 == len(ms.pat) {
				if s == len(ms.src) {
					return s
				}
				return -1
			}
		case '%':
			if p+1 < len(ms.pat) {
				switch ms.pat[p+1] {
				case 'b':
					s = matchBalance(ms, s, p+2)
					if s == -1 {
						return -1
					}
					p += 4
					continue
				case 'f':
					p += 2
					if p >= len(ms.pat) || ms.pat[p] != '[' {
						ms.fail("missing '[' after '%f' in pattern")
					}
					ep := classEnd(ms, p)
					var prev, cur byte
					if s > 0 {
						prev = ms.src[s-1]
					}
					if s < len(ms.src) {
						cur = ms.src[s]
					}
					if !matchBracket(ms, prev, p, ep-1) && matchBracket(ms, cur, p, ep-1) {
						p = ep
						continue
					}
					return -1
				default:
					if isdigitc(ms.pat[p+1]) {
						s = matchCapture(ms, s, ms.pat[p+1])
						if s == -1 {
							return -1
						}
						p += 2
						continue
					}
				}
			}
		}
		// default: a single-char class, possibly with a repetition suffix
		ep := classEnd(ms, p)
		m := singleMatch(ms, s, p, ep)
		if ep < len(ms.pat) {
			switch ms.pat[ep] {
			case '?':
				if m {
					if r := doMatch(ms, s+1, ep+1); r != -1 {
						return r
					}
				}
				p = ep + 1
				continue
			case '*':
				return maxExpand(ms, s, p, ep)
			case '+':
				if m {
					return maxExpand(ms, s+1, p, ep)
				}
				return -1
			case '-':
				return minExpand(ms, s, p, ep)
			}
		}
		if !m {
			return -1
		}
		s++
		p = ep
	}
}

// captureValue is capture i of a match ending at e (the whole match when there are none).
func (ms *matchState) captureValue(i, s, e int) (str string, pos int, isPos bool) {
	if i >= ms.level {
		if i == 0 {
			return ms.src[s:e], 0, false
		}
		ms.fail("invalid capture index")
	}
	c := ms.capture[i]
	if c.len == capUnfinshed {
		ms.fail("unfinished capture")
	}
	if c.len == capPosition {
		return "", c.start + 1, true
	}
	return ms.src[c.start : c.start+c.len], 0, false
}

// hasSpecials reports whether a pattern has any magic character (else find is plain).
func hasSpecials(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '^', '$', '*', '+', '?', '.', '(', ')', '[', ']', '%', '-':
			return true
		}
	}
	return false
}
