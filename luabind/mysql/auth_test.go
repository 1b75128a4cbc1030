package mysql

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"testing"
)

// TestEd25519: the public keys MariaDB's own CI stores for these passwords
// (lua-resty-mysql's .travis/initializedb.sh), and signatures that verify under them.
func TestEd25519(t *testing.T) {
	for _, c := range []struct{ pw, pub string }{
		{"ed25519_pass", "STIwVk/F6qiXJuOr8AgPSWVxmiN3rUjEX5DfzGAJ32A"},
		{"", "4LH+dBF+G5W2CKTyId8xR3SyDqZoQjUNUVNxx8aWbG4"},
	} {
		pub := Ed25519PublicKey(c.pw)
		if got := base64.RawStdEncoding.EncodeToString(pub); got != c.pub {
			t.Errorf("public key of %q: %s, want %s", c.pw, got, c.pub)
		}
		msg := "0123456789abcdef0123456789abcdef"
		sig := Ed25519Sign(c.pw, msg)
		if !ed25519.Verify(pub, []byte(msg), []byte(sig)) {
			t.Errorf("signature of %q does not verify", c.pw)
		}
	}
}

// TestTokens: scramble responses against values computed by hand from the protocol's
// definitions (and, for the native one, checked by a real server in luabind's tests).
func TestTokens(t *testing.T) {
	scramble := "abcdefghijklmnopqrst"
	cases := []struct{ name, got, want string }{
		{"native empty", NativeToken("", scramble), ""},
		{"sha256 empty", SHA256Token("", scramble), ""},
		{"old empty", OldToken("", scramble), ""},
		{"native", hex.EncodeToString([]byte(NativeToken("secret", scramble))), "8817c50fa779daef010ee7577825b0847df9842e"},
		{"sha256", hex.EncodeToString([]byte(SHA256Token("secret", scramble))), "c76e2898612a4cf042c77fa8c4702c4c64c0c2c557c53c4d75595aaa6abae809"},
		{"native long scramble", NativeToken("secret", scramble+"\x00"), NativeToken("secret", scramble)},
		{"old length", hex.EncodeToString([]byte(OldToken("pass", scramble)[8:])), "00"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}
