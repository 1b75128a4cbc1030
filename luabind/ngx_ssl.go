package luabind

import (
	"crypto/tls"
	"encoding/pem"

	lua "github.com/yuin/gopher-lua"
)

// require "ngx.ssl": the parts scripts use to hand client certificates to cosockets.
// parse_pem_cert and parse_pem_priv_key return opaque objects (cdata in OpenResty) that
// sock:setclientcert and resty.websocket.client's client_cert/client_priv_key accept.

type pemObject struct {
	kind string // "cert" or "key"
	pem  []byte
}

func openNgxSSL(L *lua.LState) int {
	mod := L.CreateTable(0, 2)
	mod.RawSetString("parse_pem_cert", L.NewFunction(func(L *lua.LState) int {
		return parsePEM(L, "cert")
	}))
	mod.RawSetString("parse_pem_priv_key", L.NewFunction(func(L *lua.LState) int {
		return parsePEM(L, "key")
	}))
	addSSLConnFuncs(L, mod)
	addSSLCertFuncs(L, mod)
	L.Push(mod)
	return 1
}

func parsePEM(L *lua.LState, kind string) int {
	src := []byte(L.CheckString(1))
	block, _ := pem.Decode(src)
	bad := block == nil
	if !bad && kind == "cert" {
		bad = block.Type != "CERTIFICATE"
	}
	if !bad && kind == "key" {
		_, err := tls.X509KeyPair(nil, src)
		_ = err // a key alone cannot be checked against a cert yet; the type is enough
		bad = block.Type != "PRIVATE KEY" && block.Type != "RSA PRIVATE KEY" && block.Type != "EC PRIVATE KEY"
	}
	if bad {
		L.Push(lua.LNil)
		if kind == "cert" {
			L.Push(lua.LString("PEM_read_bio_X509_AUX() failed"))
		} else {
			L.Push(lua.LString("PEM_read_bio_PrivateKey() failed"))
		}
		return 2
	}
	ud := L.NewUserData()
	ud.Value = &pemObject{kind: kind, pem: src}
	L.Push(ud)
	return 1
}

// pemArg returns the PEM of an ngx.ssl object (or a PEM string) of the given kind.
func pemArg(L *lua.LState, n int, kind string) ([]byte, bool) {
	switch v := L.Get(n).(type) {
	case *lua.LUserData:
		if p, ok := v.Value.(*pemObject); ok && p.kind == kind {
			return p.pem, true
		}
	case lua.LString:
		return []byte(v), true
	}
	return nil, false
}
