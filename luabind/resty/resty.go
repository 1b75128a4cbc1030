// Package resty provides the pure helper modules of lua-resty-string (0.17) that OpenResty
// scripts require, implemented in Go for gopher-lua: "resty.string", "resty.sha",
// "resty.sha1", "resty.md5", "resty.sha224", "resty.sha256", "resty.sha384",
// "resty.sha512", "resty.random" and "resty.aes" (aes.go).
//
// The modules keep lua-resty-string's shapes: each hash module has new() returning an object
// ({_ctx = ...} with the module as __index) whose update(s) returns true, final() returns the
// binary digest and reset() returns true. Differences from the FFI originals:
//
//   - obj._ctx is a userdata rather than an FFI cdata.
//   - final() does not disturb the object: after it, update() and final() continue the
//     same data, where OpenSSL leaves the context in an unspecified state.
//   - random.bytes() always draws from crypto/rand, also for strong == false
//     (RAND_pseudo_bytes there).
//   - Wrong argument types raise "bad argument" errors instead of LuaJIT's
//     "attempt to get length of ..." or FFI conversion errors.
package resty

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// Version is lua-resty-string's version, every module's _VERSION.
const Version = "0.17"

// hashModules maps module names to their hash constructors.
var hashModules = []struct {
	name string
	new  func() hash.Hash
}{
	{"resty.sha1", sha1.New},
	{"resty.md5", md5.New},
	{"resty.sha224", sha256.New224},
	{"resty.sha256", sha256.New},
	{"resty.sha384", sha512.New384},
	{"resty.sha512", sha512.New},
}

// Preload registers the modules in package.preload.
func Preload(L *lua.LState) {
	L.PreloadModule("resty.string", loadString)
	L.PreloadModule("resty.sha", loadSha)
	L.PreloadModule("resty.random", loadRandom)
	L.PreloadModule("resty.aes", loadAes)
	for _, m := range hashModules {
		L.PreloadModule(m.name, hashLoader(m.name, m.new))
	}
}

func newModule(L *lua.LState, funcs map[string]lua.LGFunction) *lua.LTable {
	mod := L.CreateTable(0, len(funcs)+1)
	mod.RawSetString("_VERSION", lua.LString(Version))
	for name, fn := range funcs {
		mod.RawSetString(name, L.NewFunction(fn))
	}
	return mod
}

// checkString accepts only strings: the Lua originals take #s, which fails for numbers.
func checkString(L *lua.LState, n int) string {
	s, ok := L.Get(n).(lua.LString)
	if !ok {
		L.TypeError(n, lua.LTString)
	}
	return string(s)
}

/* ===== resty.string ===== */

func loadString(L *lua.LState) int {
	L.Push(newModule(L, map[string]lua.LGFunction{
		"to_hex": strToHex,
		"atoi":   strAtoi,
	}))
	return 1
}

// strToHex is to_hex(s): lowercase hex, as ngx_hex_dump writes it.
func strToHex(L *lua.LState) int {
	L.Push(lua.LString(hex.EncodeToString([]byte(checkString(L, 1)))))
	return 1
}

// strAtoi is atoi(s): nginx's ngx_atoi, the value of a string of decimal digits, or -1 for an
// empty string, any other character (signs included) or a value beyond the int64 range.
func strAtoi(L *lua.LState) int {
	L.Push(lua.LNumber(ngxAtoi(checkString(L, 1))))
	return 1
}

func ngxAtoi(s string) int64 {
	if s == "" {
		return -1
	}
	const cutoff, cutlim = math.MaxInt64 / 10, math.MaxInt64 % 10
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		d := int64(c - '0')
		if v >= cutoff && (v > cutoff || d > cutlim) {
			return -1
		}
		v = v*10 + d
	}
	return v
}

/* ===== resty.sha ===== */

// loadSha is "resty.sha", which the hash modules require for its FFI declarations: it holds
// only _VERSION.
func loadSha(L *lua.LState) int {
	L.Push(newModule(L, nil))
	return 1
}

/* ===== hash modules ===== */

// hashLoader builds the loader of one hash module. Objects are {_ctx = userdata} with the
// module as __index, like the originals, so method calls and field access behave the same.
func hashLoader(name string, newHash func() hash.Hash) lua.LGFunction {
	return func(L *lua.LState) int {
		mod := L.CreateTable(0, 6)
		mt := L.CreateTable(0, 1)
		mt.RawSetString("__index", mod)

		ctx := func(L *lua.LState) hash.Hash {
			if self, ok := L.Get(1).(*lua.LTable); ok {
				if ud, ok := L.GetField(self, "_ctx").(*lua.LUserData); ok {
					if h, ok := ud.Value.(hash.Hash); ok {
						return h
					}
				}
			}
			L.ArgError(1, name+" object expected")
			return nil
		}
		funcs := map[string]lua.LGFunction{
			// new(self): the module table when called as mod:new(); ignored.
			"new": func(L *lua.LState) int {
				ud := L.NewUserData()
				ud.Value = newHash()
				obj := L.CreateTable(0, 1)
				obj.RawSetString("_ctx", ud)
				obj.Metatable = mt
				L.Push(obj)
				return 1
			},
			"update": func(L *lua.LState) int {
				h := ctx(L)
				s := checkString(L, 2)
				if L.GetTop() >= 3 && L.Get(3) != lua.LNil { // md5's update(self, s, len)
					n := L.CheckInt(3)
					if n < 0 {
						n = 0
					}
					if n < len(s) {
						s = s[:n]
					}
				}
				h.Write([]byte(s))
				L.Push(lua.LTrue)
				return 1
			},
			"final": func(L *lua.LState) int {
				h := ctx(L)
				L.Push(lua.LString(h.Sum(nil)))
				return 1
			},
			"reset": func(L *lua.LState) int {
				ctx(L).Reset()
				L.Push(lua.LTrue)
				return 1
			},
		}
		mod.RawSetString("_VERSION", lua.LString(Version))
		for fname, fn := range funcs {
			mod.RawSetString(fname, L.NewFunction(fn))
		}
		L.Push(mod)
		return 1
	}
}

/* ===== resty.random ===== */

func loadRandom(L *lua.LState) int {
	L.Push(newModule(L, map[string]lua.LGFunction{"bytes": randomBytes}))
	return 1
}

// maxRandomBytes bounds one bytes() call (an FFI char[?] of more fails to allocate).
const maxRandomBytes = 1 << 30

// randomBytes is bytes(len, strong): len random bytes, or nil if the source fails.
func randomBytes(L *lua.LState) int {
	n := L.CheckNumber(1)
	if n < 0 || n > maxRandomBytes || n != n {
		L.ArgError(1, "size out of range")
	}
	buf := make([]byte, int(n))
	if _, err := rand.Read(buf); err != nil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(buf))
	return 1
}
