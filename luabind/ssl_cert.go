package luabind

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/luaws/luaws/errlog"
	lua "github.com/yuin/gopher-lua"
)

// ssl_certificate_by_lua*: a chunk that runs in each TLS handshake before the server sends
// its certificate, as lua-nginx-module runs it. The chunk sees the client's SNI name
// (ngx.ssl.server_name) and may replace the configured certificate and key
// (ngx.ssl.clear_certs, set_der_cert, set_der_priv_key, set_cert, set_priv_key). Cosockets,
// ngx.sleep, light threads, shared dicts and logging work as in a timer; request APIs do
// not. A Lua error or ngx.exit(ngx.ERROR) fails the handshake.

// sslCertCtx is the handshake an ssl_certificate_by_lua* chunk runs for.
type sslCertCtx struct {
	hello   *tls.ClientHelloInfo
	cleared bool
	chain   [][]byte // DER certificates set by the chunk, leaf first
	key     crypto.PrivateKey
}

// SSLCertHook compiles an ssl_certificate_by_lua* chunk. The hook it returns runs the chunk
// for one handshake and gives the certificate to present: def unless the chunk cleared it,
// the one it set then.
func (h *Host) SSLCertHook(c Chunk) (func(hello *tls.ClientHelloInfo, def *tls.Certificate) (*tls.Certificate, error), error) {
	get, err := h.chunkProto(&c)
	if err != nil {
		return nil, err
	}
	return func(hello *tls.ClientHelloInfo, def *tls.Certificate) (*tls.Certificate, error) {
		proto, err := get()
		if err != nil {
			h.cfg.Log.Log(errlog.Err, nil, "failed to load Lua code for ssl_certificate_by_lua*: "+err.Error())
			return nil, fmt.Errorf("ssl_certificate_by_lua: %w", err)
		}
		sc := &sslCertCtx{hello: hello}
		r := &request{host: h, sc: h.scope(nil), start: time.Now(), phase: "ssl_cert", sslc: sc,
			logc: errlog.Conn{ID: ConnIDOf(hello.Context()), Context: "ssl_certificate_by_lua*"}}
		if conn := hello.Conn; conn != nil {
			r.logc.Client = addrHost(conn.RemoteAddr())
			r.logc.Server = conn.LocalAddr().String()
		}
		failed, err := r.run(hello.Context(), h.worker(), chunkMain(proto), nil)
		switch {
		case failed:
			return nil, fmt.Errorf("ssl_certificate_by_lua: %w", err)
		case r.exited && r.exitStatus == -1: // ngx.exit(ngx.ERROR)
			return nil, errors.New("ssl_certificate_by_lua: ngx.exit(ngx.ERROR)")
		case !sc.cleared:
			return def, nil
		case len(sc.chain) == 0 || sc.key == nil:
			h.cfg.Log.Log(errlog.Err, &r.logc, "ssl_certificate_by_lua*: no certificate or key set after clear_certs()")
			return nil, errors.New("ssl_certificate_by_lua: no certificate")
		}
		return &tls.Certificate{Certificate: sc.chain, PrivateKey: sc.key}, nil
	}, nil
}

// addrHost is the host part of a connection's address ("unix:" for a unix socket, as nginx
// logs it).
func addrHost(a net.Addr) string {
	if a == nil {
		return ""
	}
	if a.Network() == "unix" {
		return "unix:"
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// sslCertOf is the handshake of the running ssl_certificate_by_lua* chunk, nil elsewhere.
func sslCertOf(L *lua.LState) *sslCertCtx {
	return requestOf(L).sslc
}

func addSSLCertFuncs(L *lua.LState, mod *lua.LTable) {
	for name, fn := range map[string]lua.LGFunction{
		"clear_certs":      sslClearCerts,
		"set_der_cert":     sslSetDERCert,
		"set_der_priv_key": sslSetDERKey,
		"set_cert":         sslSetCert,
		"set_priv_key":     sslSetKey,
	} {
		mod.RawSetString(name, L.NewFunction(fn))
	}
}

func sslClearCerts(L *lua.LState) int {
	sc := sslCertOf(L)
	if sc == nil {
		return pushNilErr(L, "bad request")
	}
	sc.cleared, sc.chain, sc.key = true, nil, nil
	L.Push(lua.LTrue)
	return 1
}

func setChain(L *lua.LState, der []byte, fail string) int {
	sc := sslCertOf(L)
	if sc == nil {
		return pushNilErr(L, "bad request")
	}
	certs, err := x509.ParseCertificates(der)
	if err != nil || len(certs) == 0 {
		return pushNilErr(L, fail)
	}
	sc.cleared = true
	sc.chain = sc.chain[:0]
	for _, c := range certs {
		sc.chain = append(sc.chain, c.Raw)
	}
	L.Push(lua.LTrue)
	return 1
}

func setKey(L *lua.LState, key crypto.PrivateKey) int {
	sc := sslCertOf(L)
	if sc == nil {
		return pushNilErr(L, "bad request")
	}
	sc.cleared = true
	sc.key = key
	L.Push(lua.LTrue)
	return 1
}

// sslSetDERCert is set_der_cert(der): the certificate chain, DER certificates concatenated
// (what cert_pem_to_der returns).
func sslSetDERCert(L *lua.LState) int {
	return setChain(L, []byte(L.CheckString(1)), "d2i_X509_bio() failed")
}

// sslSetDERKey is set_der_priv_key(der): the key in the form priv_key_pem_to_der returns.
func sslSetDERKey(L *lua.LState) int {
	der := []byte(L.CheckString(1))
	key, err := parseDERKey(der)
	if err != nil {
		return pushNilErr(L, "d2i_PrivateKey_bio() failed")
	}
	return setKey(L, key)
}

// sslSetCert is set_cert(cert), cert from parse_pem_cert.
func sslSetCert(L *lua.LState) int {
	p, ok := pemArg(L, 1, "cert")
	if !ok {
		argError(L, 1, "cdata expected, got "+L.Get(1).Type().String())
	}
	var der []byte
	for rest := p; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			der = append(der, b.Bytes...)
		}
	}
	return setChain(L, der, "SSL_use_certificate() failed")
}

// sslSetKey is set_priv_key(key), key from parse_pem_priv_key.
func sslSetKey(L *lua.LState) int {
	p, ok := pemArg(L, 1, "key")
	if !ok {
		argError(L, 1, "cdata expected, got "+L.Get(1).Type().String())
	}
	b, _ := pem.Decode(p)
	if b == nil {
		return pushNilErr(L, "SSL_use_PrivateKey() failed")
	}
	key, err := parseDERKey(b.Bytes)
	if err != nil {
		return pushNilErr(L, "SSL_use_PrivateKey() failed")
	}
	return setKey(L, key)
}

// parseDERKey reads a private key in PKCS#1, SEC 1 or PKCS#8 form.
func parseDERKey(der []byte) (crypto.PrivateKey, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return x509.ParsePKCS8PrivateKey(der)
}
