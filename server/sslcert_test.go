package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSSLCertificateByLua: ssl_certificate_by_lua_block runs in each handshake with the
// client's SNI name, may swap the certificate (ngx.ssl.clear_certs, set_der_cert,
// set_der_priv_key), and fails the handshake on a Lua error or ngx.exit(ngx.ERROR); the
// client is Go's crypto/tls. The same server also listens on a unix domain socket.
func TestSSLCertificateByLua(t *testing.T) {
	aCert, aKey := selfSignedPEM(t, "a.test")
	bCert, bKey := selfSignedPEM(t, "b.test")
	sock := filepath.Join(t.TempDir(), "s.sock")
	conf := `http {
    lua_package_path "$prefix/lua/?.lua;;";
    server {
        listen 127.0.0.1:0 ssl;
        listen unix:` + sock + `;
        ssl_certificate ../a.crt;
        ssl_certificate_key ../a.key;
        ssl_certificate_by_lua_block {
            local ssl = require "ngx.ssl"
            local name = ssl.server_name()
            ngx.log(ngx.WARN, "sni: ", name, ", phase: ", ngx.get_phase(), ", say: ", select(2, pcall(ngx.say, "x")))
            if name == "fail.test" then
                error("boom")
            elseif name == "exit.test" then
                return ngx.exit(ngx.ERROR)
            elseif name == "b.test" then
                local pem = require "bpem"
                assert(ssl.clear_certs())
                assert(ssl.set_der_cert(assert(ssl.cert_pem_to_der(pem.cert))))
                assert(ssl.set_der_priv_key(assert(ssl.priv_key_pem_to_der(pem.key))))
                ngx.log(ngx.WARN, "bad der: ", select(2, ssl.set_der_cert("junk")))
            elseif name == "none.test" then
                ssl.clear_certs()
            end
        }
        location / { content_by_lua_block { ngx.say("served ", ngx.var.scheme, " ", ngx.var.remote_addr) } }
    }
}`
	base, logs, _ := startConf(t, conf, map[string]string{
		"a.crt": string(aCert), "a.key": string(aKey),
		"lua/bpem.lua": "return { cert = [[" + string(bCert) + "]], key = [[" + string(bKey) + "]] }\n",
	})
	addr := strings.TrimPrefix(base, "http://")
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(aCert)
	roots.AppendCertsFromPEM(bCert)

	tests := []struct {
		sni      string
		wantCN   string // the certificate the client sees; "" for a failed handshake
		wantLogs []string
	}{
		{"a.test", "a.test", []string{`\[warn\] \d+#\d+: \*\d+ \[lua\] ssl_certificate_by_lua\(nginx.conf:\d+\):4: sni: a.test, phase: ssl_cert, say: API disabled in the context of ssl_certificate_by_lua\*, context: ssl_certificate_by_lua\*, client: 127.0.0.1, server: 127.0.0.1:\d+`}},
		{"b.test", "b.test", []string{`bad der: d2i_X509_bio\(\) failed`}},
		{"fail.test", "", []string{`\[error\] \d+#\d+: \*\d+ lua entry thread aborted: runtime error: ssl_certificate_by_lua\(nginx.conf:\d+\):6: boom\nstack traceback:`}},
		{"exit.test", "", nil},
		{"none.test", "", []string{`no certificate or key set after clear_certs\(\)`}},
	}
	for _, tt := range tests {
		t.Run(tt.sni, func(t *testing.T) {
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
				&tls.Config{ServerName: tt.sni, RootCAs: roots})
			if tt.wantCN == "" {
				if err == nil {
					c.Close()
					t.Fatalf("handshake for %s succeeded, want a failure", tt.sni)
				}
			} else {
				if err != nil {
					t.Fatalf("handshake for %s: %v", tt.sni, err)
				}
				defer c.Close()
				if cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != tt.wantCN {
					t.Errorf("certificate %q, want %q", cn, tt.wantCN)
				}
				io.WriteString(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
				b, _ := io.ReadAll(c)
				if !strings.HasSuffix(string(b), "served https 127.0.0.1\n") {
					t.Errorf("response %q", b)
				}
			}
			for _, re := range tt.wantLogs {
				if !regexp.MustCompile(re).MatchString(logs.String()) {
					t.Errorf("log lacks %s:\n%s", re, logs)
				}
			}
		})
	}

	// the unix domain socket serves plain HTTP; $remote_addr is "unix:" as nginx has it
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	resp, err := hc.Get("http://localhost/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "served http unix:\n" {
		t.Errorf("over the unix socket: %q", b)
	}
}

// TestLuaPackageCPath: lua_package_cpath becomes package.cpath, ";;" LuaJIT's default and
// $prefix the server prefix (004-require TEST 2, 4, 6); without it package.cpath is "".
func TestLuaPackageCPath(t *testing.T) {
	tests := []struct{ conf, want string }{
		{`lua_package_cpath "$prefix/html/?.so";`, "PREFIX/html/?.so"},
		{`lua_package_cpath "$prefix/html/?.so;;";`, "PREFIX/html/?.so;./?.so;/usr/local/lib/lua/5.1/?.so;/usr/local/lib/lua/5.1/loadall.so"},
		{`lua_package_cpath ";;/x/?.so";`, "./?.so;/usr/local/lib/lua/5.1/?.so;/usr/local/lib/lua/5.1/loadall.so;/x/?.so"},
		{``, ""},
	}
	for _, tt := range tests {
		base, _, prefix := startConf(t, "http {\n"+tt.conf+"\nserver { listen 127.0.0.1:0;\nlocation / { content_by_lua_block { ngx.print(package.cpath) } } } }", nil)
		resp, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := strings.ReplaceAll(tt.want, "PREFIX", prefix+"/"); string(b) != want { // $prefix ends in "/", as nginx's
			t.Errorf("%s: package.cpath %q, want %q", tt.conf, b, want)
		}
	}
}
