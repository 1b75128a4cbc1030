package server

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// basicAuth is auth_basic with auth_basic_user_file.
type basicAuth struct {
	realm string
	file  string
}

// authResult is what checking a request's credentials found.
type authResult int

const (
	authOK authResult = iota
	authNone
	authNoUser
	authMismatch
	authFileError
)

// check reads the user file (as nginx, at every request) and checks r's credentials.
func (a *basicAuth) check(user, pass string, given bool) (authResult, error) {
	if !given {
		return authNone, nil
	}
	f, err := os.Open(a.file)
	if err != nil {
		return authFileError, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok || name != user {
			continue
		}
		// a third field (htdigest style, comments) ends the hash
		if i := strings.IndexByte(hash, ':'); i >= 0 {
			hash = hash[:i]
		}
		if passwordMatches(pass, strings.TrimRight(hash, "\r")) {
			return authOK, nil
		}
		return authMismatch, nil
	}
	return authNoUser, nil
}

// passwordMatches checks pass against an htpasswd hash: {PLAIN}, {SHA}, {SSHA}, $apr1$ and
// $1$ (MD5 crypt), $5$/$6$ (SHA crypt), $2a$/$2b$/$2y$ (bcrypt).
func passwordMatches(pass, hash string) bool {
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	switch {
	case strings.HasPrefix(hash, "{PLAIN}"):
		return eq(pass, hash[len("{PLAIN}"):])
	case strings.HasPrefix(hash, "{SHA}"):
		sum := sha1.Sum([]byte(pass))
		return eq(base64.StdEncoding.EncodeToString(sum[:]), hash[len("{SHA}"):])
	case strings.HasPrefix(hash, "{SSHA}"):
		raw, err := base64.StdEncoding.DecodeString(hash[len("{SSHA}"):])
		if err != nil || len(raw) < sha1.Size {
			return false
		}
		salt := raw[sha1.Size:]
		sum := sha1.Sum(append([]byte(pass), salt...))
		return subtle.ConstantTimeCompare(sum[:], raw[:sha1.Size]) == 1
	case strings.HasPrefix(hash, "$apr1$"):
		return eq(md5Crypt(pass, hash[len("$apr1$"):], "$apr1$"), hash)
	case strings.HasPrefix(hash, "$1$"):
		return eq(md5Crypt(pass, hash[len("$1$"):], "$1$"), hash)
	case strings.HasPrefix(hash, "$5$"), strings.HasPrefix(hash, "$6$"):
		return eq(shaCrypt(pass, hash), hash)
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		h := []byte(hash)
		if h[2] == 'y' || h[2] == 'b' {
			h = append([]byte("$2a$"), h[4:]...)
		}
		return bcrypt.CompareHashAndPassword(h, []byte(pass)) == nil
	}
	return false
}

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// md5Crypt is the MD5-based crypt of FreeBSD (magic "$1$") and Apache (magic "$apr1$");
// rest is the hash after the magic: the salt is what precedes its next "$" (8 bytes at most).
func md5Crypt(pass, rest, magic string) string {
	salt := rest
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 8 {
		salt = salt[:8]
	}
	pw := []byte(pass)
	ctx := md5.New()
	ctx.Write(pw)
	ctx.Write([]byte(magic))
	ctx.Write([]byte(salt))
	alt := md5.Sum(bytes.Join([][]byte{pw, []byte(salt), pw}, nil))
	for pl := len(pw); pl > 0; pl -= 16 {
		ctx.Write(alt[:min(pl, 16)])
	}
	for i := len(pw); i != 0; i >>= 1 {
		if i&1 != 0 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write(pw[:1])
		}
	}
	final := ctx.Sum(nil)
	for i := 0; i < 1000; i++ {
		c := md5.New()
		if i&1 != 0 {
			c.Write(pw)
		} else {
			c.Write(final)
		}
		if i%3 != 0 {
			c.Write([]byte(salt))
		}
		if i%7 != 0 {
			c.Write(pw)
		}
		if i&1 != 0 {
			c.Write(final)
		} else {
			c.Write(pw)
		}
		final = c.Sum(nil)
	}
	out := []byte(magic + salt + "$")
	to64 := func(v uint32, n int) {
		for ; n > 0; n-- {
			out = append(out, itoa64[v&0x3f])
			v >>= 6
		}
	}
	for _, t := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		to64(uint32(final[t[0]])<<16|uint32(final[t[1]])<<8|uint32(final[t[2]]), 4)
	}
	to64(uint32(final[11]), 2)
	return string(out)
}
