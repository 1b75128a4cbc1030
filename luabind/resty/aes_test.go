package resty

import (
	"strings"
	"testing"
)

// Ciphertexts (hex) of "hello world, this is a longer text!" under
// aes:new("secret", "saltsalt", aes.cipher(SIZE, MODE), aes.hash.sha256, 3), as Debian's
// nginx + lua-resty-string 0.17 (OpenSSL 3) produced them; gcm has its tag.
var aesVectors = []struct{ name, hex, tag string }{
	{"ecb128", "54a35a0e10f42dbcdd9313743c68cdb407fdc0c461908d69e07f850105dd6b7a355ab4c7a49833d42d7ed7e82f64eced", ""},
	{"ecb192", "2b7905ab58b9909ec84b64874dcb3a01565958ee04266296aaa6441552d2fc558b3fdc18582446c1c20b85fc523fa644", ""},
	{"ecb256", "963f510eace10b7e13a8d52e267e1688ddce299fcd0f32e79e84df440c79fc256963ad4b62d3c30612981678c55eb68a", ""},
	{"cbc128", "8a02f74004a7a2e6a3dde43e39174bb7a6bcb4e585307b699c63b1106ed1c57235f463dcc27f6545eb9f76cf70957219", ""},
	{"cbc192", "890b99831dff62028f289608969ba66bbe5d29976c8628369b6bdcefeff2b33cb28735d36d420b27e76bfe071dde9f8a", ""},
	{"cbc256", "ec19927969a8db5f427bec7a9282b7cbba0144f31ea6e16dffcefbfafe29c3d41f83192261c56e63240b642de9eec373", ""},
	{"cfb1128", "f9c11cf6b430e44c0d0934d4c4a3d23bc3e9979c9263fed4725dcc6aa9881fd14aab91", ""},
	{"cfb1192", "840421698b1cc674e1a60402597cc9fc8779ec43338035f9fac578fdc1cb2af3cc7947", ""},
	{"cfb1256", "675951e182c90856a36118ca062dbc58a0717f4b9adc9fb5905e294e79875e17ec39c0", ""},
	{"cfb8128", "d2ffa579f68d0781bc51485959205b1649552de03b592fc045c56c35377f7652462f7d", ""},
	{"cfb8192", "a914203b5fe1eca4d19b827217dc5cea4b984a4192f9ecab42bf18f0cb62c933975ad9", ""},
	{"cfb8256", "00e85311866792e191224ad55ec02537d8eadb8d8167c7b6a051685cfbdc122096b4dd", ""},
	{"cfb128128", "d2b8cd6ce12c07dacb71b42e4452d44fa0127b8a36bc8c6cf62c153fffa951b89b5791", ""},
	{"cfb128192", "a97081117df5c68cf83d3188608fd84778f067f6b02df6377577be5d7cdc250b6835fc", ""},
	{"cfb128256", "0004abe2d1ac88d3154193e4a144062b318beed1b5a2064db79efb2d4e7e6779408732", ""},
	{"ofb128", "d2b8cd6ce12c07dacb71b42e4452d44f7662bc2bda8c5ac2d20ee565037f24c22f0279", ""},
	{"ofb192", "a97081117df5c68cf83d3188608fd847e89f30025e5e2c160bb6de4ebb698786b4ee32", ""},
	{"ofb256", "0004abe2d1ac88d3154193e4a144062bece3a26aca523f07fa5ada09b5f4e212e7bfd3", ""},
	{"gcm128", "57a6322be2011661ac4aa60f8f11cec7fbf455de641412844ff80ddd99a760c24ba0bf", "52eb579e2bd958bb842ae60428d5d5ad"},
	{"gcm192", "720b4b5cafec9137fad7d2aaffe4757acfc7a296ec41169089d9d98b5a6b480a14eb46", "567647fc5817c39134f212db2f4377b1"},
	{"gcm256", "25dca8f217cc8976ffea2255b7d6e5b36db7f3a938b4284f1f56bfc45d1707423f63af", "17dea864f061c8e75d69970fa2f7ae8a"},
}

func TestAesModes(t *testing.T) {
	for _, v := range aesVectors {
		t.Run(v.name, func(t *testing.T) {
			i := strings.IndexAny(v.name, "0123456789")
			if v.name[:3] == "cfb" {
				i = len(v.name) - 3
			}
			mode, size := v.name[:i], v.name[i:]
			code := `local aes = require "resty.aes"; local str = require "resty.string"
				local a = assert(aes:new("secret", "saltsalt", aes.cipher(` + size + `, "` + mode + `"), aes.hash.sha256, 3))
				local msg = "hello world, this is a longer text!"
				local e = a:encrypt(msg)
				local tag = ""
				if type(e) == "table" then tag = str.to_hex(e[2]); e = e[1] end
				local d, err = a:decrypt(e, tag ~= "" and a:encrypt(msg)[2] or nil)
				return str.to_hex(e) .. " " .. tag .. " " .. tostring(d == msg) .. " " .. tostring(err)`
			want := v.hex + " " + v.tag + " true nil"
			if got := run(t, code); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// TestAes: lua-resty-string's results and error strings (observed under Debian's nginx).
func TestAes(t *testing.T) {
	pre := `local aes = require "resty.aes"; local str = require "resty.string"; local hex = str.to_hex
	`
	cases := []struct{ name, code, want string }{
		{"default md5 cbc", `return hex(aes:new("secret"):encrypt("hello"))`, "7b47a4dbb11e2cddb2f3740c9e3a552b"},
		{"empty key", `return hex(aes:new(""):encrypt("hello"))`, "6cb1a35bf9d66e92c9dec684fc329746"},
		{"salt", `return hex(aes:new("secret", "WhatSalt"):encrypt("hello"))`, "f72db89f8e19326d8da4928be106705c"},
		{"bad salt", `local a, err = aes:new("secret", "abc") return tostring(a) .. " " .. err`, "nil salt must be 8 characters or nil"},
		{"sha1 x5 ecb", `return hex(aes:new("secret", nil, aes.cipher(256, "ecb"), aes.hash.sha1, 5):encrypt("hello"))`, "d1a9b6e59b8980e783df223889563bee"},
		{"rounds 0 is 1", `local a = aes:new("secret", nil, nil, nil, 0) local b = aes:new("secret") return tostring(a:encrypt("x") == b:encrypt("x"))`, "true"},
		{"negative rounds", `return select(2, aes:new("secret", nil, nil, nil, -1))`, "failed to generate key and iv"},
		{"salt and rounds", `return hex(aes:new("secret", "12345678", nil, nil, 2):encrypt("abc"))`, "ccda4a1232fea39519e1a9de758aabe1"},
		{"custom keygen", `local a = aes:new("Xr4ilOzQ4PCOq3aQ0qbuaQ==", nil, aes.cipher(128, "cbc"), {iv = ngx_b64("Jq5cyFTja2vfyjZoSN6muw=="), method = ngx_b64})
			return hex(a:encrypt("hello"))`, "7b47a4dbb11e2cddb2f3740c9e3a552b"},
		{"short iv zero-padded", `return hex(aes:new(string.rep("k", 16), nil, aes.cipher(128, "cbc"), {iv = "short"}):encrypt("x"))`, "59978c9a8befa97f656d3d1af7380abe"},
		{"iv needed", `return select(2, aes:new("k", nil, aes.cipher(128, "cbc"), {}))`, "iv is needed"},
		{"bad key length", `return select(2, aes:new("hel", nil, aes.cipher(128, "cbc"), {iv = string.rep("i", 16)}))`, "bad key length"},
		{"bad method key length", `return select(2, aes:new("k", nil, aes.cipher(128, "cbc"), {iv = string.rep("i", 16), method = function() return "short" end}))`, "bad key length"},
		{"bad iv length", `return select(2, aes:new(string.rep("k", 16), nil, aes.cipher(128, "cbc"), {iv = "helloworld&helloworld"}))`, "bad iv length"},
		{"ctr", `return hex(aes:new(string.rep("k", 16), nil, aes.cipher(128, "ctr"), {iv = "0123456789abcdef"}):encrypt("counter mode text that is long enough"))`,
			"1fa19332af375ceee69c4208baaec51227a46e2ab60095589e6fe36714c011fcec1bc84f4e"},
		{"gcm short iv", `local e = aes:new(string.rep("k", 16), nil, aes.cipher(128, "gcm"), {iv = "0123"}):encrypt("gcm short iv") return hex(e[1]) .. " " .. hex(e[2])`,
			"723ba39fbcd8a3859800d494 01d0a2b93f9ee00d3745d218c05e4b44"},
		{"gcm iv_len 12", `local a = aes:new("secret", nil, aes.cipher(256, "gcm"), aes.hash.sha256, 1, 12) local e = a:encrypt("hello") return hex(e[1]) .. " " .. hex(e[2])`,
			"4acef84443 bcecc29fb0d8b5c895e21f6ea89681a2"},
		{"gcm aad", `local a = aes:new("secret", nil, aes.cipher(256, "gcm"), aes.hash.sha256, 1, 12) local e = a:encrypt("hello", "aad")
			return hex(e[2]) .. " " .. a:decrypt(e[1], e[2], "aad") .. " " .. select(2, a:decrypt(e[1], e[2], "bad"))`,
			"46f4f3ca65395568407e15768b7526d9 hello EVP_DecryptFinal_ex failed"},
		{"gcm tag kept", `local g = aes:new("secret", nil, aes.cipher(128, "gcm")) local e = g:encrypt("abc")
			local r = {hex(e[1]), hex(e[2]), select(2, g:decrypt(e[1])), select(2, g:decrypt(e[1], string.rep("x", 16))), g:decrypt(e[1], e[2]), g:decrypt(e[1])}
			return table.concat(r, " ")`, "704c39 c0068ce2f47a2ec2c49389bfa71f58b7 EVP_DecryptFinal_ex failed EVP_DecryptFinal_ex failed abc abc"},
		{"bad padding", `local a = aes:new("secret") return table.concat({select(2, a:decrypt("")), select(2, a:decrypt("abc")), select(2, a:decrypt(string.rep("a", 16)))}, "|")`,
			"EVP_DecryptFinal_ex failed|EVP_DecryptFinal_ex failed|EVP_DecryptFinal_ex failed"},
		{"empty plaintext", `return hex(aes:new("secret"):encrypt(""))`, "027b63c4bbeb3b9ce522ff48cdec8ade"},
		{"no padding", `local a = aes:new("secret", nil, aes.cipher(128, "ecb"), aes.hash.sha1, 1, nil, false)
			return select(2, a:encrypt("abc")) .. " " .. hex(a:encrypt(string.rep("z", 32)))`, "EVP_EncryptFinal_ex failed 12bea8cdf6c081065dfdbde6a32c108912bea8cdf6c081065dfdbde6a32c1089"},
		{"user padding 32", `local key = ngx_b64("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG=")
			local t = "hello" .. string.rep(string.char(27), 27)
			local a = aes:new(key, nil, aes.cipher(256, "cbc"), {iv = key:sub(1, 16)}, nil, nil, false)
			local b = aes:new(key, nil, aes.cipher(256, "cbc"), {iv = key:sub(1, 16)})
			return hex(a:encrypt(t)) .. " " .. #b:encrypt(t) .. " " .. tostring(a:decrypt(a:encrypt(t)) == t)`,
			"eebf8ca13072beede75c595a11b7fb0beffb7ccfb03f72d08456b555610172d1 48 true"},
		{"cipher table", `local c = aes.cipher() return c.size .. " " .. c.cipher .. " " .. type(c.method) .. " " .. aes.cipher("192", "ofb").size`, "128 cbc userdata 192"},
		{"unknown cipher", `local ok, err = pcall(aes.cipher, 128, "xts") return (err:gsub("^<string>:%d+: ", ""))`, "missing declaration for symbol 'EVP_aes_128_xts'"},
		{"bad size", `local ok, err = pcall(aes.cipher, 512) return (err:gsub("^<string>:%d+: ", ""))`, "missing declaration for symbol 'EVP_aes_512_cbc'"},
		{"bad self", `local a = aes:new("secret") local ok, err = pcall(a.encrypt, "hello") return (err:gsub("^<string>:%d+: ", ""))`, "bad argument #1 self: table expected, got string"},
		{"object shape", `local a = aes:new("secret") return a._cipher .. " " .. tostring(getmetatable(a).__index == aes) .. " " .. aes._VERSION`, "cbc true 0.17"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code := b64Lua + pre + c.code
			if got := run(t, code); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// b64Lua defines ngx_b64, a base64 decoder in plain Lua (this package's states have no ngx).
const b64Lua = `local function ngx_b64(s)
	local abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	s = s:gsub("[^%w+/]", "")
	local bits = s:gsub(".", function(c)
		local n, r = abc:find(c, 1, true) - 1, ""
		for i = 6, 1, -1 do r = r .. (n % 2 ^ i - n % 2 ^ (i - 1) > 0 and "1" or "0") end
		return r
	end)
	return (bits:gsub("%d%d%d?%d?%d?%d?%d?%d?", function(x)
		if #x ~= 8 then return "" end
		local c = 0
		for i = 1, 8 do c = c + (x:sub(i, i) == "1" and 2 ^ (8 - i) or 0) end
		return string.char(c)
	end))
end
`
