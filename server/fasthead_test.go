package server

import (
	"net/http"
	"reflect"
	"testing"
)

var handshakeHeads = []string{
	"GET /s HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	"GET /s?a=1&b=%20x HTTP/1.1\r\nhost: example.com\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\nsec-websocket-key: x\r\n\r\n",
	"GET /a/../b//c%2Fd HTTP/1.1\r\nHost: [::1]:80\nUpgrade: websocket\nX-A:\nX-A:  two  \nx-a:\tthree\t\n\n",
	"GET /s HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Protocol: v2\r\nOrigin: http://x\r\nCookie: a=b; c=d\r\nUser-Agent: t\r\n\r\n",
	"GET /s HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n",
	"GET /s HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nPragma: no-cache\r\n\r\n",
	"GET /s HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n",
	"GET /s HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nTrailer: X\r\n\r\n",
	"GET /%zz HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n",
	"GET /s HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nA-Very-Long-Header-Name-Beyond-Thirty-Two: 1\r\nsec-WEBSOCKET-version: 13\r\nX-9-a: 1\r\n\r\n",
}

// checkHandshakeRequest compares handshakeRequest(head) with http.ReadRequest's request.
func checkHandshakeRequest(t *testing.T, head string) {
	t.Helper()
	if !plainHandshakeHead([]byte(head)) {
		return
	}
	got := handshakeRequest([]byte(head))
	if got == nil {
		return // left to http.ReadRequest
	}
	want, err := readRequest([]byte(head))
	if err != nil {
		t.Errorf("%q: handshakeRequest built a request, http.ReadRequest failed: %v", head, err)
		return
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"Method", got.Method, want.Method},
		{"URL", got.URL, want.URL},
		{"Proto", got.Proto, want.Proto},
		{"ProtoMajor", got.ProtoMajor, want.ProtoMajor},
		{"ProtoMinor", got.ProtoMinor, want.ProtoMinor},
		{"Header", got.Header, want.Header},
		{"Body", got.Body, want.Body},
		{"ContentLength", got.ContentLength, want.ContentLength},
		{"TransferEncoding", got.TransferEncoding, want.TransferEncoding},
		{"Close", got.Close, want.Close},
		{"Host", got.Host, want.Host},
		{"Trailer", got.Trailer, want.Trailer},
		{"RequestURI", got.RequestURI, want.RequestURI},
		{"Form", got.Form, want.Form},
		{"TLS", got.TLS, want.TLS},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%q: %s is %#v, http.ReadRequest's %#v", head, f.name, f.got, f.want)
		}
	}
	// every field of http.Request not compared above is the zero value in both
	g, w := *got, *want
	for _, p := range []*http.Request{&g, &w} {
		p.Method, p.URL, p.Proto, p.ProtoMajor, p.ProtoMinor, p.Header, p.Body = "", nil, "", 0, 0, nil, nil
		p.Host, p.RequestURI = "", ""
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%q: the other fields differ: %#v, http.ReadRequest's %#v", head, g, w)
	}
}

func TestHandshakeRequestIsReadRequest(t *testing.T) {
	built := 0
	for _, head := range handshakeHeads {
		checkHandshakeRequest(t, head)
		if plainHandshakeHead([]byte(head)) && handshakeRequest([]byte(head)) != nil {
			built++
		}
	}
	if built < 5 {
		t.Errorf("handshakeRequest built %d of the plain heads, want at least 5", built)
	}
	for _, head := range handshakeHeads[4:9] {
		if handshakeRequest([]byte(head)) != nil {
			t.Errorf("%q: handshakeRequest built it, want it left to http.ReadRequest", head)
		}
	}
}

func FuzzHandshakeRequest(f *testing.F) {
	for _, h := range handshakeHeads {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, head string) {
		if end := headEnd([]byte(head)); end >= 0 {
			checkHandshakeRequest(t, head[:end])
		}
	})
}
