package luabind

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"

	lua "github.com/yuin/gopher-lua"
)

// The ngx.ssl functions that mean something outside the ssl_*_by_lua phases (which luaws
// does not have): the TLS connection of the current request, and PEM to DER conversions.

var tlsVersions = []struct {
	name string
	num  int
	str  string
}{
	{"SSL3_VERSION", 0x0300, "SSLv3"},
	{"TLS1_VERSION", tls.VersionTLS10, "TLSv1"},
	{"TLS1_1_VERSION", tls.VersionTLS11, "TLSv1.1"},
	{"TLS1_2_VERSION", tls.VersionTLS12, "TLSv1.2"},
	{"TLS1_3_VERSION", tls.VersionTLS13, "TLSv1.3"},
}

func addSSLConnFuncs(L *lua.LState, mod *lua.LTable) {
	for _, v := range tlsVersions {
		mod.RawSetString(v.name, lua.LNumber(v.num))
	}
	for name, fn := range map[string]lua.LGFunction{
		"server_name":          sslServerName,
		"get_tls1_version":     sslTLSVersion,
		"get_tls1_version_str": sslTLSVersionStr,
		"cert_pem_to_der":      sslCertPEMToDER,
		"priv_key_pem_to_der":  sslKeyPEMToDER,
	} {
		mod.RawSetString(name, L.NewFunction(fn))
	}
}

// connTLS is the current request's TLS state; nil, err as lua-nginx-module's "bad request"
// on a plain connection.
func connTLS(L *lua.LState) *tls.ConnectionState {
	r := requestOf(L)
	if r.sslc != nil { // ssl_certificate_by_lua*: what the client hello tells
		return &tls.ConnectionState{ServerName: r.sslc.hello.ServerName, Version: maxVersion(r.sslc.hello.SupportedVersions)}
	}
	if r.r == nil || r.r.TLS == nil {
		return nil
	}
	return r.r.TLS
}

func pushNilErr(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

// sslServerName is server_name(): the SNI name the client sent, nil when it sent none.
func sslServerName(L *lua.LState) int {
	st := connTLS(L)
	if st == nil {
		return pushNilErr(L, "bad request")
	}
	if st.ServerName == "" {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(st.ServerName))
	return 1
}

func sslTLSVersion(L *lua.LState) int {
	st := connTLS(L)
	if st == nil {
		return pushNilErr(L, "bad request")
	}
	L.Push(lua.LNumber(st.Version))
	return 1
}

func sslTLSVersionStr(L *lua.LState) int {
	st := connTLS(L)
	if st == nil {
		return pushNilErr(L, "bad request")
	}
	for _, v := range tlsVersions {
		if v.num == int(st.Version) {
			L.Push(lua.LString(v.str))
			return 1
		}
	}
	return pushNilErr(L, "unknown version")
}

// sslCertPEMToDER is cert_pem_to_der(pem): the DER of the certificate and of the chain
// certificates after it, concatenated.
func sslCertPEMToDER(L *lua.LState) int {
	rest := []byte(L.CheckString(1))
	var der []byte
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" && b.Type != "TRUSTED CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			if der == nil {
				return pushNilErr(L, "PEM_read_bio_X509_AUX() failed")
			}
			break
		}
		der = append(der, b.Bytes...)
	}
	if der == nil {
		return pushNilErr(L, "PEM_read_bio_X509_AUX() failed")
	}
	L.Push(lua.LString(der))
	return 1
}

// sslKeyPEMToDER is priv_key_pem_to_der(pem): the key in OpenSSL's i2d_PrivateKey form
// (PKCS#1 for RSA, SEC 1 for EC, PKCS#8 otherwise). Encrypted keys are not read.
func sslKeyPEMToDER(L *lua.LState) int {
	b, _ := pem.Decode([]byte(L.CheckString(1)))
	const fail = "PEM_read_bio_PrivateKey() failed"
	if b == nil {
		return pushNilErr(L, fail)
	}
	var key any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	default:
		return pushNilErr(L, fail)
	}
	if err != nil {
		return pushNilErr(L, fail)
	}
	var der []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		der = x509.MarshalPKCS1PrivateKey(k)
	case *ecdsa.PrivateKey:
		der, err = x509.MarshalECPrivateKey(k)
	case ed25519.PrivateKey:
		der, err = x509.MarshalPKCS8PrivateKey(k)
	default:
		der, err = x509.MarshalPKCS8PrivateKey(k)
	}
	if err != nil {
		return pushNilErr(L, "i2d_PrivateKey() failed")
	}
	L.Push(lua.LString(der))
	return 1
}

// maxVersion is the highest TLS version a client offers, the one the handshake settles on.
func maxVersion(vs []uint16) uint16 {
	var m uint16
	for _, v := range vs {
		if v > m && v <= tls.VersionTLS13 {
			m = v
		}
	}
	return m
}
