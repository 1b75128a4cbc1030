package luabind

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/luaws/luaws/errlog"
)

// Helpers shared by the cosocket and websocket client tests.

// subst replaces $NAME placeholders in Lua source (longest names first).
func subst(src string, vars map[string]string) string {
	var pairs []string
	for k, v := range vars {
		pairs = append(pairs, "$"+k, v)
	}
	// longest first so $PORT2 is not eaten by $PORT
	for i := 0; i < len(pairs); i += 2 {
		for j := i + 2; j < len(pairs); j += 2 {
			if len(pairs[j]) > len(pairs[i]) {
				pairs[i], pairs[j] = pairs[j], pairs[i]
				pairs[i+1], pairs[j+1] = pairs[j+1], pairs[i+1]
			}
		}
	}
	return strings.NewReplacer(pairs...).Replace(src)
}

// runLua serves src (after subst) in an in-process luaws and returns the body of one GET and
// the error log.
func runLua(t testing.TB, cfg Config, src string, vars map[string]string) (string, string) {
	t.Helper()
	url, logs := threadTestServer(t, cfg, subst(src, vars))
	body := get(t, http.DefaultClient, url+"/t")
	return body, logs.String()
}

// luaServer serves src in an in-process luaws over plain HTTP; with tlsCfg over TLS.
func luaServer(t testing.TB, cfg Config, src string, tlsCfg *tls.Config) (*httptest.Server, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	cfg.Log = errlog.New(logs, errlog.Info)
	h, err := NewHost(cfg)
	if err != nil {
		t.Fatalf("NewHost: %v", err)
	}
	hd, err := h.InlineHandler("s.lua", []byte(src))
	if err != nil {
		t.Fatalf("InlineHandler: %v", err)
	}
	srv := httptest.NewUnstartedServer(hd)
	srv.Config.ConnContext = h.ConnContext
	if tlsCfg != nil {
		srv.TLS = tlsCfg
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, logs
}

// tcpPeer listens on 127.0.0.1 and runs serve for every accepted connection; it returns the
// port. Connections are closed when serve returns.
func tcpPeer(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return servePeer(t, ln, serve)
}

func servePeer(t testing.TB, ln net.Listener, serve func(c net.Conn)) string {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		close(done)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		return itoa(a.Port)
	}
	return ln.Addr().String()
}

// unixPeer is tcpPeer on a unix socket; it returns the socket path.
func unixPeer(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "luaws-sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	servePeer(t, ln, serve)
	return p
}

// Peer behaviours.
func echoPeer(c net.Conn) {
	var buf [4096]byte
	for {
		n, err := c.Read(buf[:])
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// replyPeer writes reply, then (close) closes or keeps the connection open until the peer
// goes away.
func replyPeer(reply string, close bool) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(reply))
		if close {
			return
		}
		drain(c)
	}
}

func drain(c net.Conn) {
	var buf [4096]byte
	for {
		if _, err := c.Read(buf[:]); err != nil {
			return
		}
	}
}

// recordPeer reads everything until the client closes (or until want bytes came) and sends
// it on got.
func recordPeer(got chan<- string, want int) func(net.Conn) {
	return func(c net.Conn) {
		var b bytes.Buffer
		var buf [4096]byte
		for want <= 0 || b.Len() < want {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := c.Read(buf[:])
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		got <- b.String()
	}
}

// countingPeer answers every line with "conn<N>" where N numbers accepted connections from 1.
func countingPeer() func(net.Conn) {
	var mu sync.Mutex
	n := 0
	return func(c net.Conn) {
		mu.Lock()
		n++
		id := n
		mu.Unlock()
		br := bufio.NewReader(c)
		for {
			if _, err := br.ReadString('\n'); err != nil {
				return
			}
			if _, err := c.Write([]byte("conn" + itoa(id) + "\n")); err != nil {
				return
			}
		}
	}
}

// closedPort returns a port nothing listens on.
func closedPort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	return p
}

// blackholePort returns the port of a listener with a backlog of 0 that never accepts and
// whose accept queue has been filled, so that a further connect hangs (the kernel drops the
// SYNs) until the client's connect timeout. It skips the test when the queue cannot be
// filled.
func blackholePort(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := itoa(sa.(*syscall.SockaddrInet4).Port)
	for i := 0; i < 16; i++ {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 200*time.Millisecond)
		if err != nil {
			return port // the queue is full: connects now hang
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("could not fill a listen backlog of 0 in this environment")
	return ""
}

// pki is a test certificate authority with server and client certificates, written to files.
type pki struct {
	dir                      string
	caFile                   string // the CA certificate (PEM): Config.TrustedCertificate
	caPool                   *x509.CertPool
	server                   tls.Certificate // for test.com, localhost, 127.0.0.1
	serverCertPEM            []byte
	serverKeyPEM             []byte
	clientCertPEM, clientKey []byte // CN=luaws-client
	selfSigned               tls.Certificate
}

func genKey(t testing.TB) (*ecdsa.PrivateKey, []byte) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

var serial int64 = 100

func genCert(t testing.TB, tmpl *x509.Certificate, parent *x509.Certificate, pub any, signer any) (*x509.Certificate, []byte) {
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func newPKI(t testing.TB, name string) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir()}
	caKey, _ := genKey(t)
	ca, caPEM := genCert(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: name + " CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil, &caKey.PublicKey, caKey)
	p.caFile = filepath.Join(p.dir, "ca.crt")
	if err := os.WriteFile(p.caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	p.caPool = x509.NewCertPool()
	p.caPool.AddCert(ca)

	sk, skPEM := genKey(t)
	_, sPEM := genCert(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "test.com"},
		DNSNames:    []string{"test.com", "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &sk.PublicKey, caKey)
	p.serverCertPEM, p.serverKeyPEM = sPEM, skPEM
	var err error
	if p.server, err = tls.X509KeyPair(sPEM, skPEM); err != nil {
		t.Fatal(err)
	}

	ck, ckPEM := genKey(t)
	_, cPEM := genCert(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "luaws-client"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, &ck.PublicKey, caKey)
	p.clientCertPEM, p.clientKey = cPEM, ckPEM

	ssk, sskPEM := genKey(t)
	_, ssPEM := genCert(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "test.com"}, DNSNames: []string{"test.com"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, nil, &ssk.PublicKey, ssk)
	if p.selfSigned, err = tls.X509KeyPair(ssPEM, sskPEM); err != nil {
		t.Fatal(err)
	}
	return p
}

// tlsPeer is tcpPeer over TLS with cert; serve gets the handshaken *tls.Conn. With clientCAs
// the server requires and verifies a client certificate.
func tlsPeer(t testing.TB, cert tls.Certificate, clientCAs *x509.CertPool, serve func(c *tls.Conn)) string {
	t.Helper()
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if clientCAs != nil {
		cfg.ClientCAs = clientCAs
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tcpPeer(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		tc.SetDeadline(time.Time{})
		serve(tc)
	})
}

// luaLongString quotes s as a Lua long string.
func luaLongString(s string) string { return "[==[" + s + "]==]" }

func boolPtr(b bool) *bool { return &b }
