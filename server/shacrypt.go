package server

import (
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strconv"
	"strings"
)

// shaCrypt is glibc's SHA-crypt ("$5$" SHA-256, "$6$" SHA-512; Drepper's specification) of
// pass with the settings of setting ("$6$[rounds=N$]salt$..."): the whole string, to
// compare with the stored hash.
func shaCrypt(pass, setting string) string {
	magic := setting[:3]
	newHash, size := sha512.New, 64
	if magic == "$5$" {
		newHash, size = sha256.New, 32
	}
	rest := setting[3:]
	rounds, custom := 5000, false
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		n, after, found := strings.Cut(r, "$")
		v, err := strconv.Atoi(n)
		if !found || err != nil {
			return ""
		}
		rounds, custom, rest = min(max(v, 1000), 999999999), true, after
	}
	salt, _, _ := strings.Cut(rest, "$")
	if len(salt) > 16 {
		salt = salt[:16]
	}
	p, s := []byte(pass), []byte(salt)
	sum := func(parts ...[]byte) []byte {
		h := newHash()
		for _, x := range parts {
			h.Write(x)
		}
		return h.Sum(nil)
	}
	b := sum(p, s, p)
	a := newHash()
	a.Write(p)
	a.Write(s)
	repeat := func(h hash.Hash, src []byte, n int) {
		for ; n > len(src); n -= len(src) {
			h.Write(src)
		}
		h.Write(src[:n])
	}
	repeat(a, b, len(p))
	for n := len(p); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write(b)
		} else {
			a.Write(p)
		}
	}
	c := a.Sum(nil)
	dp := newHash()
	for range p {
		dp.Write(p)
	}
	pBytes := stretch(dp.Sum(nil), len(p))
	ds := newHash()
	for i := 0; i < 16+int(c[0]); i++ {
		ds.Write(s)
	}
	sBytes := stretch(ds.Sum(nil), len(s))
	for i := 0; i < rounds; i++ {
		h := newHash()
		if i&1 != 0 {
			h.Write(pBytes)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(sBytes)
		}
		if i%7 != 0 {
			h.Write(pBytes)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(pBytes)
		}
		c = h.Sum(nil)
	}
	out := []byte(magic)
	if custom {
		out = append(out, "rounds="+strconv.Itoa(rounds)+"$"...)
	}
	out = append(out, salt...)
	out = append(out, '$')
	b64 := func(b2, b1, b0 byte, n int) {
		w := uint32(b2)<<16 | uint32(b1)<<8 | uint32(b0)
		for ; n > 0; n-- {
			out = append(out, itoa64[w&0x3f])
			w >>= 6
		}
	}
	// the bytes go out in rotating groups of three: (0,21,42) (22,43,1) (44,2,23) ... for
	// SHA-512, (0,10,20) (21,1,11) (12,22,2) ... for SHA-256, then the rest
	third := size / 3
	for i := 0; i < third; i++ {
		x, y, z := i, i+third, i+2*third
		rot := i % 3
		if size == 64 && rot != 0 {
			rot = 3 - rot // SHA-512 rotates the other way
		}
		switch rot {
		case 1:
			x, y, z = i+2*third, i, i+third
		case 2:
			x, y, z = i+third, i+2*third, i
		}
		b64(c[x], c[y], c[z], 4)
	}
	if size == 64 {
		b64(0, 0, c[63], 2)
	} else {
		b64(0, c[31], c[30], 3)
	}
	return string(out)
}

// stretch repeats src to n bytes.
func stretch(src []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, src[:min(len(src), n-len(out))]...)
	}
	return out
}
