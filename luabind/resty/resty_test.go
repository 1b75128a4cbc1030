package resty

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// Digests of "abc", "" and "hello world" (checked with coreutils' md5sum/sha*sum); the hash
// object is updated in two pieces for "hello world" to cover incremental update.
var hashCases = []struct{ mod, abc, empty, hello string }{
	{"resty.md5", "900150983cd24fb0d6963f7d28e17f72", "d41d8cd98f00b204e9800998ecf8427e", "5eb63bbbe01eeed093cb22bb8f5acdc3"},
	{"resty.sha1", "a9993e364706816aba3e25717850c26c9cd0d89d", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"},
	{"resty.sha224", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7", "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f", "2f05477fc24bb4faefd86517156dafdecec45b8ad3cf2522a563582b"},
	{"resty.sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"},
	{"resty.sha384", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7", "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b", "fdbd8e75a67f29f701a4e040385e2e23986303ea10239211af907fcbb83578b3e417cb71ce646efd0819dd8c088de1bd"},
	{"resty.sha512", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f"},
}

func run(t *testing.T, code string) string {
	t.Helper()
	L := lua.NewState()
	defer L.Close()
	Preload(L)
	if err := L.DoString(code); err != nil {
		t.Fatalf("run: %v", err)
	}
	return L.ToString(-1)
}

func TestHashes(t *testing.T) {
	for _, hc := range hashCases {
		t.Run(hc.mod, func(t *testing.T) {
			cases := []struct{ name, code, want string }{
				{"abc", `local m = require "` + hc.mod + `"; local str = require "resty.string"
					local h = m:new(); local ok = h:update("abc"); return tostring(ok) .. " " .. str.to_hex(h:final())`, "true " + hc.abc},
				{"empty", `local m = require "` + hc.mod + `"; local str = require "resty.string"
					return str.to_hex(m:new():final())`, hc.empty},
				{"incremental", `local m = require "` + hc.mod + `"; local str = require "resty.string"
					local h = m.new(); h:update("hello "); h:update("world"); return str.to_hex(h:final())`, hc.hello},
				{"reset", `local m = require "` + hc.mod + `"; local str = require "resty.string"
					local h = m:new(); h:update("junk"); local ok = h:reset(); h:update("abc"); return tostring(ok) .. " " .. str.to_hex(h:final())`, "true " + hc.abc},
				{"binary digest", `local m = require "` + hc.mod + `"; local h = m:new(); h:update("abc"); return #h:final() * 2`, itoa(len(hc.abc))},
				{"object shape", `local m = require "` + hc.mod + `"; local h = m:new()
					return tostring(m._VERSION) .. " " .. type(h) .. " " .. tostring(h._ctx ~= nil) .. " " .. tostring(getmetatable(h).__index == m)`, "0.17 table true true"},
				{"objects independent", `local m = require "` + hc.mod + `"; local str = require "resty.string"
					local a, b = m:new(), m:new(); a:update("abc"); b:update("x"); return str.to_hex(a:final())`, hc.abc},
				{"bad self", `local m = require "` + hc.mod + `"; local ok, err = pcall(m.update, "abc"); return tostring(ok)`, "false"},
				{"non-string data", `local m = require "` + hc.mod + `"; local ok, err = pcall(m.update, m:new(), 5); return tostring(ok) .. " " .. tostring(err:match("bad argument #2 .*%(string expected, got number%)$") ~= nil)`, "false true"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					if got := run(t, c.code); got != c.want {
						t.Errorf("got %q, want %q", got, c.want)
					}
				})
			}
		})
	}
}

func itoa(n int) string {
	return lua.LNumber(n).String()
}

func TestModules(t *testing.T) {
	cases := []struct{ name, code, want string }{
		{"to_hex", `return require("resty.string").to_hex("\0\1\127\128\255AZ")`, "00017f80ff415a"},
		{"to_hex empty", `return "[" .. require("resty.string").to_hex("") .. "]"`, "[]"},
		{"to_hex long", `return #require("resty.string").to_hex(string.rep("x", 2000))`, "4000"},
		{"to_hex non-string", `local ok, err = pcall(require("resty.string").to_hex, {}) return tostring(ok)`, "false"},
		{"atoi", `return 1 + require("resty.string").atoi("32")`, "33"},
		{"atoi zero", `return require("resty.string").atoi("0")`, "0"},
		{"atoi empty", `return require("resty.string").atoi("")`, "-1"},
		{"atoi sign", `return require("resty.string").atoi("-5")`, "-1"},
		{"atoi junk", `return require("resty.string").atoi("12a")`, "-1"},
		{"atoi space", `return require("resty.string").atoi(" 1")`, "-1"},
		{"atoi max", `return tostring(require("resty.string").atoi("9223372036854775807") == 2^63)`, "true"},
		{"atoi overflow", `return require("resty.string").atoi("9223372036854775808")`, "-1"},
		{"string version", `return require("resty.string")._VERSION`, "0.17"},
		{"sha version", `return require("resty.sha")._VERSION`, "0.17"},
		{"md5 update len", `local str = require "resty.string"; local h = require("resty.md5"):new(); h:update("abcdef", 3); return str.to_hex(h:final())`, "900150983cd24fb0d6963f7d28e17f72"},
		{"md5 update len beyond", `local str = require "resty.string"; local h = require("resty.md5"):new(); h:update("abc", 10); return str.to_hex(h:final())`, "900150983cd24fb0d6963f7d28e17f72"},
		{"random bytes", `local r = require "resty.random"; local s = r.bytes(16); return #s .. " " .. type(s)`, "16 string"},
		{"random weak", `local r = require "resty.random"; return #r.bytes(33, false)`, "33"},
		{"random zero", `return #require("resty.random").bytes(0)`, "0"},
		{"random differs", `local r = require "resty.random"; return tostring(r.bytes(16) ~= r.bytes(16))`, "true"},
		{"random version", `return require("resty.random")._VERSION`, "0.17"},
		{"random negative", `local ok = pcall(require("resty.random").bytes, -1) return tostring(ok)`, "false"},
		{"random no length", `local ok = pcall(require("resty.random").bytes) return tostring(ok)`, "false"},
		{"aes version", `return require("resty.aes")._VERSION`, "0.17"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(t, c.code); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
