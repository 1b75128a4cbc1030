package mysql

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math"

	"filippo.io/edwards25519"
	lua "github.com/yuin/gopher-lua"
)

// The authentication plugins' responses to a server's scramble.

// nativeToken is native_token(password, scramble), mysql_native_password's response:
// SHA1(password) XOR SHA1(scramble[:20] .. SHA1(SHA1(password))); "" for no password.
func nativeToken(L *lua.LState) int {
	pw, scramble := L.CheckString(1), L.CheckString(2)
	L.Push(lua.LString(NativeToken(pw, scramble)))
	return 1
}

// NativeToken computes mysql_native_password's response.
func NativeToken(password, scramble string) string {
	if password == "" {
		return ""
	}
	if len(scramble) > 20 {
		scramble = scramble[:20]
	}
	stage1 := sha1.Sum([]byte(password))
	stage2 := sha1.Sum(stage1[:])
	h := sha1.New()
	h.Write([]byte(scramble))
	h.Write(stage2[:])
	return xorBytes(stage1[:], h.Sum(nil))
}

// sha256Token is sha256_token(password, scramble), caching_sha2_password's fast response:
// SHA256(password) XOR SHA256(SHA256(SHA256(password)) .. scramble[:20]).
func sha256Token(L *lua.LState) int {
	pw, scramble := L.CheckString(1), L.CheckString(2)
	L.Push(lua.LString(SHA256Token(pw, scramble)))
	return 1
}

// SHA256Token computes caching_sha2_password's scramble response.
func SHA256Token(password, scramble string) string {
	if password == "" {
		return ""
	}
	if len(scramble) > 20 {
		scramble = scramble[:20]
	}
	m1 := sha256.Sum256([]byte(password))
	m1h := sha256.Sum256(m1[:])
	h := sha256.New()
	h.Write(m1h[:])
	h.Write([]byte(scramble))
	return xorBytes(m1[:], h.Sum(nil))
}

func xorBytes(a, b []byte) string {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return string(out)
}

// oldToken is old_token(password, scramble), the pre-4.1 mysql_old_password response
// (8 bytes and a NUL; "" for no password).
func oldToken(L *lua.LState) int {
	pw, scramble := L.CheckString(1), L.CheckString(2)
	L.Push(lua.LString(OldToken(pw, scramble)))
	return 1
}

// OldToken computes mysql_old_password's response (MySQL's scramble_323).
func OldToken(password, scramble string) string {
	if password == "" {
		return ""
	}
	if len(scramble) > 8 {
		scramble = scramble[:8]
	}
	const maxVal = 0x3FFFFFFF
	p1, p2 := oldHash(password)
	s1, s2 := oldHash(scramble)
	seed1, seed2 := uint64(p1^s1)%maxVal, uint64(p2^s2)%maxVal
	rnd := func() float64 {
		seed1 = (seed1*3 + seed2) % maxVal
		seed2 = (seed1 + seed2 + 33) % maxVal
		return float64(seed1) / float64(maxVal)
	}
	out := make([]byte, len(scramble), len(scramble)+1)
	for i := range out {
		out[i] = byte(math.Floor(rnd()*31) + 64)
	}
	extra := byte(math.Floor(rnd() * 31))
	for i := range out {
		out[i] ^= extra
	}
	return string(append(out, 0))
}

// oldHash is MySQL's hash_password: spaces and tabs do not count.
func oldHash(s string) (uint32, uint32) {
	nr, nr2, add := uint32(1345345333), uint32(0x12345671), uint32(7)
	for i := 0; i < len(s); i++ {
		c := uint32(s[i])
		if c == ' ' || c == '\t' {
			continue
		}
		nr ^= ((nr&63)+add)*c + nr<<8
		nr2 += nr2<<8 ^ nr
		add += c
	}
	return nr & 0x7FFFFFFF, nr2 & 0x7FFFFFFF
}

// rsaEncrypt is rsa_encrypt(public_key_pem, password, scramble): the password (NUL-terminated)
// XORed with the scramble and encrypted with RSA-OAEP (SHA-1) under the server's public
// key, as caching_sha2_password and sha256_password send it without TLS. nil, err on a bad
// key ("new rsa err: ...") or a failed encryption ("encode password packet: ...").
func rsaEncrypt(L *lua.LState) int {
	enc, err := RSAEncrypt(L.CheckString(1), L.CheckString(2), L.CheckString(3))
	if err != nil {
		return fail(L, err.Error())
	}
	L.Push(lua.LString(enc))
	return 1
}

// RSAEncrypt is rsa_encrypt's Go side.
func RSAEncrypt(pemKey, password, scramble string) (string, error) {
	pub, err := parsePublicKey(pemKey)
	if err != nil {
		return "", errors.New("new rsa err: " + err.Error())
	}
	if len(scramble) > 20 {
		scramble = scramble[:20]
	}
	msg := []byte(password + "\x00")
	if len(scramble) > 0 {
		for i := range msg {
			msg[i] ^= scramble[i%len(scramble)]
		}
	}
	enc, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, msg, nil)
	if err != nil {
		return "", errors.New("encode password packet: " + err.Error())
	}
	return string(enc), nil
}

func parsePublicKey(s string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM public key")
	}
	if block.Type == "RSA PUBLIC KEY" {
		return x509.ParsePKCS1PublicKey(block.Bytes)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA public key")
	}
	return pub, nil
}

// ed25519Sign is ed25519_sign(password, scramble): MariaDB's client_ed25519 response, an
// Ed25519 signature of the scramble whose secret scalar and nonce key come from
// SHA-512(password) (MariaDB's ref10 variant, where the password stands for the seed).
func ed25519Sign(L *lua.LState) int {
	L.Push(lua.LString(Ed25519Sign(L.CheckString(1), L.CheckString(2))))
	return 1
}

// Ed25519Sign computes client_ed25519's signature.
func Ed25519Sign(password, message string) string {
	az := sha512.Sum512([]byte(password))
	a, _ := edwards25519.NewScalar().SetBytesWithClamping(az[:32])
	pubA := new(edwards25519.Point).ScalarBaseMult(a).Bytes()

	h := sha512.New()
	h.Write(az[32:])
	h.Write([]byte(message))
	r, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	bigR := new(edwards25519.Point).ScalarBaseMult(r).Bytes()

	h.Reset()
	h.Write(bigR)
	h.Write(pubA)
	h.Write([]byte(message))
	k, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	s := edwards25519.NewScalar().MultiplyAdd(k, a, r)
	return string(bigR) + string(s.Bytes())
}

// Ed25519PublicKey is the public key MariaDB stores for a client_ed25519 password.
func Ed25519PublicKey(password string) []byte {
	az := sha512.Sum512([]byte(password))
	a, _ := edwards25519.NewScalar().SetBytesWithClamping(az[:32])
	return new(edwards25519.Point).ScalarBaseMult(a).Bytes()
}
