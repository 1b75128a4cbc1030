package wsnative

import "unicode/utf8"

// UTF8Validator checks text that arrives in pieces (the fragments of one
// message, RFC 6455 section 8.1): a code point may be split between two
// fragments, so the bytes of an unfinished one are carried over. It fails as
// soon as the bytes seen cannot start valid UTF-8, as section 8.1 asks
// ("fail fast").
type UTF8Validator struct {
	pend [utf8.UTFMax]byte
	n    int
}

// Write checks the next piece; false means the text is not valid UTF-8.
func (v *UTF8Validator) Write(p []byte) bool {
	for len(p) > 0 && v.n > 0 {
		v.pend[v.n] = p[0]
		v.n++
		p = p[1:]
		if utf8.FullRune(v.pend[:v.n]) {
			r, size := utf8.DecodeRune(v.pend[:v.n])
			if r == utf8.RuneError && size <= 1 {
				return false
			}
			v.n = 0
		} else if !validPrefix(v.pend[:v.n]) {
			return false
		}
	}
	for len(p) > 0 {
		if p[0] < utf8.RuneSelf {
			p = p[1:]
			continue
		}
		if !utf8.FullRune(p) {
			if !validPrefix(p) {
				return false
			}
			v.n = copy(v.pend[:], p)
			return true
		}
		r, size := utf8.DecodeRune(p)
		if r == utf8.RuneError && size == 1 {
			return false
		}
		p = p[size:]
	}
	return true
}

// Done reports whether the text ended on a whole code point, and resets v.
func (v *UTF8Validator) Done() bool {
	ok := v.n == 0
	v.n = 0
	return ok
}

// validPrefix reports whether p (shorter than its rune) can still become a
// valid code point: the lead byte and each continuation byte in range,
// including the tighter second-byte ranges after E0, ED, F0 and F4.
func validPrefix(p []byte) bool {
	c := p[0]
	var need int
	lo, hi := byte(0x80), byte(0xbf)
	switch {
	case c >= 0xc2 && c <= 0xdf:
		need = 2
	case c == 0xe0:
		need, lo = 3, 0xa0
	case c == 0xed:
		need, hi = 3, 0x9f
	case c >= 0xe1 && c <= 0xef:
		need = 3
	case c == 0xf0:
		need, lo = 4, 0x90
	case c == 0xf4:
		need, hi = 4, 0x8f
	case c >= 0xf1 && c <= 0xf3:
		need = 4
	default:
		return false
	}
	if len(p) >= need {
		return false
	}
	for i := 1; i < len(p); i++ {
		b := p[i]
		if i == 1 {
			if b < lo || b > hi {
				return false
			}
		} else if b < 0x80 || b > 0xbf {
			return false
		}
	}
	return true
}

// ValidCloseCode reports whether a status code may be sent in a close frame
// (RFC 6455 section 7.4): 1000-1003, 1007-1011 (and 1012-1014, registered
// with IANA since), and 3000-4999. 1004-1006 and 1015 are reserved for
// local use and never sent.
func ValidCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
