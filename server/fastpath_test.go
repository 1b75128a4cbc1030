package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestFastPathResponses: a handshake request that gets an ordinary response (the handler does
// not upgrade) is answered as net/http answers the same request when it is not a handshake,
// byte for byte but the date, and the connection serves a next request (keep-alive) with the
// same connection number in the log.
func TestFastPathResponses(t *testing.T) {
	addr, logs := startFlagServer(t, Options{Locations: []Location{
		{Path: "/say", Code: []byte(`ngx.header["X-B"] = {"2", "1"} ngx.header["A-Z"] = "z" ngx.say("hello")`)},
		{Path: "/deny", Code: []byte(`return ngx.exit(403)`)},
		{Path: "/big", Code: []byte(`ngx.print(string.rep("x", 5000))`)},
		{Path: "/flush", Code: []byte(`ngx.say("one") ngx.flush(true) ngx.say("two")`)},
		{Path: "/none", Code: []byte(`ngx.status = 204 return ngx.exit(204)`)},
		{Path: "/log", Code: []byte(`ngx.log(ngx.ERR, "conn ") ngx.say("ok")`)},
	}})
	const upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, path := range []string{"/say", "/deny", "/big", "/flush", "/none", "/missing"} {
		t.Run(path, func(t *testing.T) {
			plain := exchangeTwo(t, addr, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
			fast := exchangeTwo(t, addr, "GET "+path+" HTTP/1.1\r\nHost: x\r\n"+upgrade+"\r\n")
			if fast != plain {
				t.Errorf("handshake request answered\n%q\nnet/http answers\n%q", fast, plain)
			}
		})
	}
	// the connection number stays the connection's: the last two /log lines are of one
	// connection, the first request of it a handshake
	exchangeTwo(t, addr, "GET /log HTTP/1.1\r\nHost: x\r\n"+upgrade+"\r\n")
	re := regexp.MustCompile(`\*(\d+) \[lua\] [^ ]+ conn `)
	m := re.FindAllStringSubmatch(logs.String(), -1)
	if len(m) < 2 || m[len(m)-2][1] != m[len(m)-1][1] {
		t.Errorf("connection numbers of two requests on one connection: %q\n%s", m, logs.String())
	}
}

// exchangeTwo sends req and, on the same connection, a request for /log (keep-alive), and
// returns both responses with the dates blanked.
func exchangeTwo(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	var out strings.Builder
	for i, r := range []string{req, "GET /log HTTP/1.1\r\nHost: x\r\n\r\n"} {
		_, err := io.WriteString(c, r)
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(br, nil)
		}
		if err != nil && i > 0 {
			out.WriteString("closed\n") // the server closed the connection after the first
			break
		}
		if err != nil {
			t.Fatalf("%q: %v", r, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Header.Del("Date")
		var h strings.Builder
		_ = resp.Header.Write(&h)
		out.WriteString(resp.Status + "\n" + strings.Join(resp.TransferEncoding, ",") + "\n" + h.String() + string(b) + "\n--\n")
	}
	return out.String()
}

// TestFastPathHandshake: a handshake with a frame right behind its head gets the 101 and the
// echo (the bytes read with the head reach the websocket), and a head the fast path does not
// take (split over reads, odd bytes, a body) is served by net/http as before.
func TestFastPathHandshake(t *testing.T) {
	addr, _ := startFlagServer(t, Options{Locations: []Location{{Path: "/s", Code: []byte(`
		local server = require "resty.websocket.server"
		local wb = assert(server:new())
		local data = wb:recv_frame()
		wb:send_text(data)
		wb:send_close()`)}}})
	const hs = "GET /s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, tc := range []struct {
		name  string
		parts []string
	}{
		{"frame behind the head", []string{hs + "\r\n" + string(maskedFrame(1, []byte("hi")))}},
		{"head split", []string{hs, "\r\n" + string(maskedFrame(1, []byte("hi")))}},
		{"underscore header", []string{hs + "X_Y: 1\r\n\r\n" + string(maskedFrame(1, []byte("hi")))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			for _, p := range tc.parts {
				if _, err := io.WriteString(c, p); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			got, _ := io.ReadAll(c)
			if !strings.HasPrefix(string(got), "HTTP/1.1 101 Switching Protocols\r\n") || !strings.Contains(string(got), "\r\n\r\n\x81\x02hi\x88") {
				t.Errorf("got %q", got)
			}
		})
	}
}
