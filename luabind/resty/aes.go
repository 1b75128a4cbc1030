package resty

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"hash"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// resty.aes: lua-resty-string's AES module (its OpenSSL EVP calls done with crypto/aes).
//
// aes.cipher(size, mode) names one of OpenSSL's EVP_aes_SIZE_MODE ciphers (128/192/256 with
// ecb, cbc, cfb1, cfb8, cfb128, ofb, ctr, gcm); aes.hash.* are the digests
// EVP_BytesToKey derives a key and IV with. aes:new(key, salt, cipher, hash, hash_rounds,
// iv_len, enable_padding) derives them as OpenSSL does, or takes them from a table
// {iv = ..., method = ...} given as hash; encrypt/decrypt start afresh from that key and
// IV on every call, so one object encrypts many messages. Results and error strings are
// lua-resty-string's ("salt must be 8 characters or nil", "bad key length",
// "EVP_DecryptFinal_ex failed", ...). Differences: aes.hash.* and cipher().method are
// userdata where the original has FFI cdata; a negative hash_rounds (an unsigned count
// of about 2^32 rounds for OpenSSL, which hangs the worker) fails with "failed to generate
// key and iv".

// aesCipher is an EVP_CIPHER: a key size and a mode.
type aesCipher struct {
	keyLen int
	mode   string
}

// ivLen is EVP_CIPHER_iv_length: what EVP_BytesToKey derives.
func (c *aesCipher) ivLen() int {
	switch c.mode {
	case "ecb":
		return 0
	case "gcm":
		return 12
	}
	return aes.BlockSize
}

// block reports whether the mode pads to whole blocks.
func (c *aesCipher) block() bool { return c.mode == "ecb" || c.mode == "cbc" }

var aesModes = map[string]bool{"ecb": true, "cbc": true, "cfb1": true, "cfb8": true,
	"cfb128": true, "ofb": true, "ctr": true, "gcm": true}

// aesDigest is an EVP_MD.
type aesDigest struct {
	new func() hash.Hash
}

// aesCtx is one aes object's state: key, IV and the options new() fixed.
type aesCtx struct {
	c       *aesCipher
	key     []byte
	iv      []byte // the IV buffer (zero-padded to the key size, as the FFI buffer is)
	ivLen   int    // GCM's nonce size
	padding bool
	tag     []byte // the GCM tag the last decrypt set; OpenSSL's context keeps it
}

func loadAes(L *lua.LState) int {
	mt := L.CreateTable(0, 1)
	mod := newModule(L, map[string]lua.LGFunction{
		"cipher":  aesCipherFn,
		"new":     func(L *lua.LState) int { return aesNew(L, mt) },
		"encrypt": aesEncrypt,
		"decrypt": aesDecrypt,
	})
	mt.RawSetString("__index", mod)
	hashes := L.CreateTable(0, len(hashModules))
	for _, m := range hashModules {
		ud := L.NewUserData()
		ud.Value = &aesDigest{new: m.new}
		hashes.RawSetString(m.name[len("resty."):], ud)
	}
	mod.RawSetString("hash", hashes)
	L.Push(mod)
	return 1
}

// aesCipherFn is cipher(size, mode): {size = , cipher = , method = } or, for a name OpenSSL
// has no EVP_aes_SIZE_MODE for, the FFI's "missing declaration" error.
func aesCipherFn(L *lua.LState) int {
	size := L.Get(1)
	if size == lua.LNil {
		size = lua.LNumber(128)
	}
	mode := L.Get(2)
	if mode == lua.LNil {
		mode = lua.LString("cbc")
	}
	sizeStr, ok1 := concatString(size)
	modeStr, ok2 := concatString(mode)
	if !ok1 || !ok2 {
		bad := size
		if ok1 {
			bad = mode
		}
		L.RaiseError("attempt to concatenate a %s value", bad.Type().String())
	}
	name := "EVP_aes_" + sizeStr + "_" + modeStr
	n, err := strconv.Atoi(sizeStr)
	if err != nil || (n != 128 && n != 192 && n != 256) || !aesModes[modeStr] {
		L.RaiseError("missing declaration for symbol '%s'", name)
	}
	ud := L.NewUserData()
	ud.Value = &aesCipher{keyLen: n / 8, mode: modeStr}
	t := L.CreateTable(0, 3)
	t.RawSetString("size", size)
	t.RawSetString("cipher", lua.LString(modeStr))
	t.RawSetString("method", ud)
	L.Push(t)
	return 1
}

// concatString is how Lua's .. turns a string or number into text.
func concatString(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return v.String(), true
	}
	return "", false
}

func aesFail(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

// aesNew is new(self, key, salt, cipher, hash, hash_rounds, iv_len, enable_padding); its
// objects get mt ({__index = module}).
func aesNew(L *lua.LState, mt *lua.LTable) int {
	key := checkString(L, 2)
	var c *aesCipher
	size := 128
	if t, ok := L.Get(4).(*lua.LTable); ok {
		ud, ok := t.RawGetString("method").(*lua.LUserData)
		if ok {
			c, _ = ud.Value.(*aesCipher)
		}
		if c == nil {
			L.ArgError(4, "cipher expected")
		}
		sz, ok := t.RawGetString("size").(lua.LNumber)
		if !ok {
			if s, isStr := t.RawGetString("size").(lua.LString); isStr {
				sz, ok = lua.LVAsNumber(s), true
			}
		}
		if !ok {
			L.RaiseError("attempt to perform arithmetic on field 'size' (a %s value)",
				t.RawGetString("size").Type().String())
		}
		size = int(sz)
	} else if L.Get(4) != lua.LNil {
		L.ArgError(4, "cipher expected")
	} else {
		c = &aesCipher{keyLen: 16, mode: "cbc"}
	}
	cipherLen := size / 8
	if cipherLen <= 0 || cipherLen > 32 {
		return aesFail(L, "failed to generate key and iv")
	}
	ivLen := cipherLen
	if n, ok := L.Get(7).(lua.LNumber); ok {
		ivLen = int(n)
	}
	padding := true
	if v := L.Get(8); v != lua.LNil && !lua.LVAsBool(v) {
		padding = false
	}
	ctx := &aesCtx{c: c, key: make([]byte, cipherLen), iv: make([]byte, cipherLen), padding: padding}

	switch h := L.Get(5).(type) {
	case *lua.LTable:
		iv, ok := h.RawGetString("iv").(lua.LString)
		if !ok || !lua.LVAsBool(h.RawGetString("iv")) {
			return aesFail(L, "iv is needed")
		}
		ivLen = len(iv)
		if ivLen > cipherLen {
			return aesFail(L, "bad iv length")
		}
		if m := h.RawGetString("method"); m != lua.LNil {
			L.Push(m)
			L.Push(lua.LString(key))
			L.Call(1, 1)
			res := L.Get(-1)
			L.Pop(1)
			k, ok := res.(lua.LString)
			if !ok {
				L.RaiseError("attempt to get length of local 'tmp_key' (a %s value)", res.Type().String())
			}
			key = string(k)
		}
		if len(key) != cipherLen {
			return aesFail(L, "bad key length")
		}
		copy(ctx.key, key)
		copy(ctx.iv, iv)
	default:
		md := &aesDigest{new: hashModules[1].new} // md5
		if h != lua.LNil {
			ud, ok := h.(*lua.LUserData)
			if ok {
				md, ok = ud.Value.(*aesDigest)
			}
			if !ok {
				L.ArgError(5, "hash expected")
			}
		}
		var salt []byte
		if s := L.Get(3); lua.LVAsBool(s) {
			str, ok := s.(lua.LString)
			if !ok {
				L.ArgError(3, "string expected")
			}
			if len(str) != 8 {
				return aesFail(L, "salt must be 8 characters or nil")
			}
			salt = []byte(str)
		}
		rounds := 1
		if n, ok := L.Get(6).(lua.LNumber); ok {
			rounds = int(n)
		}
		if rounds < 0 || c.keyLen != cipherLen {
			return aesFail(L, "failed to generate key and iv")
		}
		k, iv := bytesToKey(md.new, salt, []byte(key), rounds, c.keyLen, c.ivLen())
		copy(ctx.key, k)
		copy(ctx.iv, iv)
	}
	if c.mode == "gcm" && ivLen <= 0 {
		return aesFail(L, "failed to set IV length")
	}
	if ivLen > cipherLen {
		ivLen = cipherLen // the FFI original reads past its IV buffer here
	}
	ctx.ivLen = ivLen
	ctx.key = ctx.key[:min(c.keyLen, cipherLen)]
	if len(ctx.key) != c.keyLen {
		return aesFail(L, "failed to init ctx")
	}

	ud := L.NewUserData()
	ud.Value = ctx
	obj := L.CreateTable(0, 5)
	obj.RawSetString("_encrypt_ctx", ud)
	obj.RawSetString("_decrypt_ctx", ud)
	obj.RawSetString("_cipher", lua.LString(c.mode))
	obj.RawSetString("_key", ud)
	obj.RawSetString("_iv", ud)
	obj.Metatable = mt
	L.Push(obj)
	return 1
}

// bytesToKey is OpenSSL's EVP_BytesToKey: D_i = md^count(D_{i-1} || data || salt),
// concatenated until keyLen+ivLen bytes are there.
func bytesToKey(newHash func() hash.Hash, salt, data []byte, count, keyLen, ivLen int) (key, iv []byte) {
	var out, d []byte
	h := newHash()
	for len(out) < keyLen+ivLen {
		h.Reset()
		h.Write(d)
		h.Write(data)
		h.Write(salt)
		d = h.Sum(d[:0])
		for i := 1; i < count; i++ {
			h.Reset()
			h.Write(d)
			d = h.Sum(d[:0])
		}
		out = append(out, d...)
	}
	return out[:keyLen], out[keyLen : keyLen+ivLen]
}

// aesSelf is the object's context; a self that is not a table is the Lua original's
// error("bad argument #1 self: table expected, got ...", 2).
func aesSelf(L *lua.LState) *aesCtx {
	self, ok := L.Get(1).(*lua.LTable)
	if !ok {
		L.RaiseError("bad argument #1 self: table expected, got %s", L.Get(1).Type().String())
	}
	if ud, ok := self.RawGetString("_encrypt_ctx").(*lua.LUserData); ok {
		if ctx, ok := ud.Value.(*aesCtx); ok {
			return ctx
		}
	}
	L.ArgError(1, "resty.aes object expected")
	return nil
}

func aesEncrypt(L *lua.LState) int {
	ctx := aesSelf(L)
	s := []byte(checkString(L, 2))
	block, err := aes.NewCipher(ctx.key)
	if err != nil {
		return aesFail(L, "EVP_EncryptInit_ex failed")
	}
	iv := ctx.iv[:min(len(ctx.iv), aes.BlockSize)]
	switch ctx.c.mode {
	case "gcm":
		var aad []byte
		if v := L.Get(3); v != lua.LNil {
			aad = []byte(checkString(L, 3))
		}
		g, err := cipher.NewGCMWithNonceSize(block, ctx.ivLen)
		if err != nil {
			return aesFail(L, "EVP_EncryptInit_ex failed")
		}
		sealed := g.Seal(nil, ctx.iv[:ctx.ivLen], s, aad)
		n := len(sealed) - g.Overhead()
		t := L.CreateTable(2, 0)
		t.RawSetInt(1, lua.LString(sealed[:n]))
		t.RawSetInt(2, lua.LString(sealed[n:]))
		L.Push(t)
		return 1
	case "ecb", "cbc":
		if ctx.padding {
			pad := aes.BlockSize - len(s)%aes.BlockSize
			for i := 0; i < pad; i++ {
				s = append(s, byte(pad))
			}
		} else if len(s)%aes.BlockSize != 0 {
			return aesFail(L, "EVP_EncryptFinal_ex failed")
		}
		if ctx.c.mode == "ecb" {
			ecb(block, s, s, true)
		} else {
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(s, s)
		}
	default:
		stream(block, ctx.c.mode, iv, s, true)
	}
	L.Push(lua.LString(s))
	return 1
}

func aesDecrypt(L *lua.LState) int {
	ctx := aesSelf(L)
	s := []byte(checkString(L, 2))
	block, err := aes.NewCipher(ctx.key)
	if err != nil {
		return aesFail(L, "EVP_DecryptInit_ex failed")
	}
	iv := ctx.iv[:min(len(ctx.iv), aes.BlockSize)]
	switch ctx.c.mode {
	case "gcm":
		if v := L.Get(3); v != lua.LNil {
			tag := []byte(checkString(L, 3))
			ctx.tag = make([]byte, 16)
			copy(ctx.tag, tag)
		}
		var aad []byte
		if v := L.Get(4); v != lua.LNil {
			aad = []byte(checkString(L, 4))
		}
		g, err := cipher.NewGCMWithNonceSize(block, ctx.ivLen)
		if err != nil {
			return aesFail(L, "EVP_DecryptInit_ex failed")
		}
		if ctx.tag == nil {
			return aesFail(L, "EVP_DecryptFinal_ex failed")
		}
		plain, err := g.Open(nil, ctx.iv[:ctx.ivLen], append(s, ctx.tag...), aad)
		if err != nil {
			return aesFail(L, "EVP_DecryptFinal_ex failed")
		}
		L.Push(lua.LString(plain))
		return 1
	case "ecb", "cbc":
		if len(s)%aes.BlockSize != 0 || (ctx.padding && len(s) == 0) {
			return aesFail(L, "EVP_DecryptFinal_ex failed")
		}
		if ctx.c.mode == "ecb" {
			ecb(block, s, s, false)
		} else {
			cipher.NewCBCDecrypter(block, iv).CryptBlocks(s, s)
		}
		if ctx.padding {
			pad := int(s[len(s)-1])
			if pad == 0 || pad > aes.BlockSize ||
				subtle.ConstantTimeCompare(s[len(s)-pad:], repeatByte(byte(pad), pad)) != 1 {
				return aesFail(L, "EVP_DecryptFinal_ex failed")
			}
			s = s[:len(s)-pad]
		}
	default:
		stream(block, ctx.c.mode, iv, s, false)
	}
	L.Push(lua.LString(s))
	return 1
}

func repeatByte(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func ecb(b cipher.Block, dst, src []byte, encrypt bool) {
	for i := 0; i < len(src); i += aes.BlockSize {
		if encrypt {
			b.Encrypt(dst[i:i+aes.BlockSize], src[i:i+aes.BlockSize])
		} else {
			b.Decrypt(dst[i:i+aes.BlockSize], src[i:i+aes.BlockSize])
		}
	}
}

// stream runs the stream modes in place: CTR (a 128-bit big-endian counter, as OpenSSL's),
// OFB, and CFB with 1-, 8- and 128-bit segments.
func stream(b cipher.Block, mode string, iv, s []byte, encrypt bool) {
	reg := append([]byte(nil), iv...)
	ks := make([]byte, aes.BlockSize)
	switch mode {
	case "ctr":
		cipher.NewCTR(b, reg).XORKeyStream(s, s)
	case "ofb":
		for i := range s {
			if i%aes.BlockSize == 0 {
				b.Encrypt(reg, reg)
			}
			s[i] ^= reg[i%aes.BlockSize]
		}
	case "cfb128":
		for i := range s {
			j := i % aes.BlockSize
			if j == 0 {
				b.Encrypt(ks, reg)
			}
			in := s[i]
			s[i] ^= ks[j]
			if encrypt {
				reg[j] = s[i]
			} else {
				reg[j] = in
			}
		}
	case "cfb8":
		for i := range s {
			b.Encrypt(ks, reg)
			in := s[i]
			s[i] ^= ks[0]
			fb := s[i]
			if !encrypt {
				fb = in
			}
			copy(reg, reg[1:])
			reg[aes.BlockSize-1] = fb
		}
	case "cfb1":
		for i := range s {
			var out byte
			for bit := 7; bit >= 0; bit-- {
				b.Encrypt(ks, reg)
				in := (s[i] >> uint(bit)) & 1
				o := in ^ (ks[0] >> 7)
				out |= o << uint(bit)
				fb := o
				if !encrypt {
					fb = in
				}
				shiftLeft1(reg, fb)
			}
			s[i] = out
		}
	}
}

// shiftLeft1 shifts the register left by one bit, bringing bit in at the right.
func shiftLeft1(reg []byte, in byte) {
	for i := 0; i < len(reg)-1; i++ {
		reg[i] = reg[i]<<1 | reg[i+1]>>7
	}
	reg[len(reg)-1] = reg[len(reg)-1]<<1 | in
}
