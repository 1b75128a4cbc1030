package wsnative

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestAcceptKey(t *testing.T) {
	t.Parallel()
	// RFC 6455 section 1.3.
	if got := AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("AcceptKey(RFC example) = %q", got)
	}
}

func TestCheckServerRequest(t *testing.T) {
	t.Parallel()
	good := func() http.Header {
		return http.Header{
			"Upgrade":               {"websocket"},
			"Connection":            {"Upgrade"},
			"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
			"Sec-Websocket-Version": {"13"},
		}
	}
	with := func(k string, v ...string) http.Header {
		h := good()
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
		return h
	}
	tests := []struct {
		name         string
		major, minor int
		h            http.Header
		want         string
		proto        string
	}{
		{"ok", 1, 1, good(), "", ""},
		{"http/1.0", 1, 0, good(), "bad http version", ""},
		{"http/2", 2, 0, good(), "bad http version", ""},
		{"version before headers", 1, 0, http.Header{}, "bad http version", ""},
		{"no upgrade", 1, 1, with("Upgrade"), `bad "upgrade" request header: nil`, ""},
		{"wrong upgrade", 1, 1, with("Upgrade", "websockets"), `bad "upgrade" request header: websockets`, ""},
		{"empty upgrade", 1, 1, with("Upgrade", ""), `bad "upgrade" request header: `, ""},
		{"upgrade case", 1, 1, with("Upgrade", "WebSocket"), "", ""},
		{"upgrade first value only", 1, 1, with("Upgrade", "h2c", "websocket"), `bad "upgrade" request header: h2c`, ""},
		{"upgrade list", 1, 1, with("Upgrade", "websocket, h2c"), `bad "upgrade" request header: websocket, h2c`, ""},
		{"upgrade unicode fold", 1, 1, with("Upgrade", "webſocket"), `bad "upgrade" request header: webſocket`, ""},
		{"upgrade before connection", 1, 1, http.Header{}, `bad "upgrade" request header: nil`, ""},
		{"no connection", 1, 1, with("Connection"), `bad "connection" request header`, ""},
		{"connection without upgrade", 1, 1, with("Connection", "keep-alive"), `bad "connection" request header`, ""},
		{"connection list", 1, 1, with("Connection", "keep-alive, UPGRADE"), "", ""},
		{"connection substring", 1, 1, with("Connection", "noupgrades"), "", ""},
		{"connection first value only", 1, 1, with("Connection", "keep-alive", "upgrade"), `bad "connection" request header`, ""},
		{"no key", 1, 1, with("Sec-Websocket-Key"), `bad "sec-websocket-key" request header`, ""},
		{"empty key passes", 1, 1, with("Sec-Websocket-Key", ""), "", ""},
		{"no version", 1, 1, with("Sec-Websocket-Version"), `bad "sec-websocket-version" request header`, ""},
		{"version 8", 1, 1, with("Sec-Websocket-Version", "8"), `bad "sec-websocket-version" request header`, ""},
		{"version 13 then 8", 1, 1, with("Sec-Websocket-Version", "13", "8"), "", ""},
		{"version with space", 1, 1, with("Sec-Websocket-Version", "13 "), `bad "sec-websocket-version" request header`, ""},
		{"protocol", 1, 1, with("Sec-Websocket-Protocol", "chat, superchat", "other"), "", "chat, superchat"},
	}
	for _, tc := range tests {
		req, err := CheckServerRequest(tc.major, tc.minor, tc.h)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: CheckServerRequest returned %v", tc.name, err)
			} else if req.Key != tc.h.Get("Sec-WebSocket-Key") || req.Protocol != tc.proto {
				t.Errorf("%s: CheckServerRequest = %+v", tc.name, req)
			}
			continue
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: CheckServerRequest returned %v, want %q", tc.name, err, tc.want)
		}
	}
	_, err := CheckServerRequest(1, 1, with("Upgrade", "x"))
	if !errors.Is(err, ErrBadUpgrade) {
		t.Errorf("Upgrade error %v is not ErrBadUpgrade", err)
	}
}

func TestParseRequestHead(t *testing.T) {
	t.Parallel()
	const browser = "GET /chat?room=1 HTTP/1.1\r\n" +
		"Host: server.example.com\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Origin: http://example.com\r\n" +
		"Sec-WebSocket-Protocol: chat, superchat\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
	h, err := ParseRequestHead([]byte(browser + "\x81\x80abcd"))
	if err != nil {
		t.Fatalf("ParseRequestHead(RFC example) returned %v", err)
	}
	if h.Method != "GET" || h.Target != "/chat?room=1" || h.ProtoMajor != 1 || h.ProtoMinor != 1 || h.Size != len(browser) {
		t.Errorf("ParseRequestHead = %+v", h)
	}
	req, err := CheckServerRequest(h.ProtoMajor, h.ProtoMinor, h.Header)
	if err != nil || req.Key != "dGhlIHNhbXBsZSBub25jZQ==" || req.Protocol != "chat, superchat" {
		t.Errorf("CheckServerRequest(parsed RFC example) = %+v, %v", req, err)
	}

	tests := []struct {
		name   string
		in     string
		err    error
		header http.Header
		major  int
		minor  int
	}{
		{"LF only", "GET / HTTP/1.1\nUpgrade: websocket\n\n", nil, http.Header{"Upgrade": {"websocket"}}, 1, 1},
		{"leading empty lines", "\r\n\nGET / HTTP/1.0\r\n\r\n", nil, http.Header{}, 1, 0},
		{"spaces trimmed, tabs kept", "GET / HTTP/1.1\r\nA:   x y  \r\nB:\tz\r\n\r\n", nil, http.Header{"A": {"x y"}, "B": {"\tz"}}, 1, 1},
		{"repeated header in order", "GET / HTTP/1.1\r\nupgrade: a\r\nUPGRADE: b\r\n\r\n", nil, http.Header{"Upgrade": {"a", "b"}}, 1, 1},
		{"underscore ignored", "GET / HTTP/1.1\r\nSec_WebSocket_Key: x\r\nX: 1\r\n\r\n", nil, http.Header{"X": {"1"}}, 1, 1},
		{"odd name ignored", "GET / HTTP/1.1\r\nX@Y: 1\r\n\r\n", nil, http.Header{}, 1, 1},
		{"no colon", "GET / HTTP/1.1\r\nUpgrade\r\n\r\n", nil, http.Header{"Upgrade": {""}}, 1, 1},
		{"empty value", "GET / HTTP/1.1\r\nUpgrade:\r\n\r\n", nil, http.Header{"Upgrade": {""}}, 1, 1},
		{"several spaces in request line", "GET  /  HTTP/1.1\r\n\r\n", nil, http.Header{}, 1, 1},
		{"http/2.0", "GET / HTTP/2.0\r\n\r\n", nil, http.Header{}, 2, 0},
		{"incomplete", "GET / HTTP/1.1\r\nUpgrade: websocket\r\n", ErrHeadIncomplete, nil, 0, 0},
		{"empty", "", ErrHeadIncomplete, nil, 0, 0},
		{"too large", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", MaxRequestHeadSize) + "\r\n\r\n", ErrHeadTooLarge, nil, 0, 0},
		{"http/0.9", "GET /\r\n\r\n", ErrBadRequestLine, nil, 0, 0},
		{"lower-case method", "get / HTTP/1.1\r\n\r\n", ErrBadRequestLine, nil, 0, 0},
		{"bad version", "GET / HTTP/1\r\n\r\n", ErrBadRequestLine, nil, 0, 0},
		{"not http", "GET / FTP/1.1\r\n\r\n", ErrBadRequestLine, nil, 0, 0},
		{"space in name", "GET / HTTP/1.1\r\nUp grade: websocket\r\n\r\n", ErrBadHeaderLine, nil, 0, 0},
		{"folded line", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", ErrBadHeaderLine, nil, 0, 0},
		{"leading colon", "GET / HTTP/1.1\r\n: b\r\n\r\n", ErrBadHeaderLine, nil, 0, 0},
		{"NUL in value", "GET / HTTP/1.1\r\nA: b\x00\r\n\r\n", ErrBadHeaderLine, nil, 0, 0},
		{"CR in value", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", ErrBadHeaderLine, nil, 0, 0},
	}
	for _, tc := range tests {
		h, err := ParseRequestHead([]byte(tc.in))
		if err != tc.err {
			t.Errorf("%s: ParseRequestHead returned %v, want %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if h.ProtoMajor != tc.major || h.ProtoMinor != tc.minor || !headerEqual(h.Header, tc.header) || h.Size != len(tc.in) {
			t.Errorf("%s: ParseRequestHead = %d.%d %v size %d; want %d.%d %v", tc.name, h.ProtoMajor, h.ProtoMinor, h.Header, h.Size, tc.major, tc.minor, tc.header)
		}
	}
}

func TestParseRequestHeadTruncates(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\n")
	for i := 0; i < MaxRequestHeaders; i++ {
		b.WriteString("X-Filler: 1\r\n")
	}
	b.WriteString("Upgrade: websocket\r\n\r\n")
	h, err := ParseRequestHead([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !h.Truncated || len(h.Header["X-Filler"]) != MaxRequestHeaders || h.Header.Get("Upgrade") != "" {
		t.Errorf("ParseRequestHead kept %d fillers, Upgrade %q, Truncated %v", len(h.Header["X-Filler"]), h.Header.Get("Upgrade"), h.Truncated)
	}
}

func headerEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb := b[k]
		if len(va) != len(vb) {
			return false
		}
		for i := range va {
			if va[i] != vb[i] {
				return false
			}
		}
	}
	return true
}

func TestAppendClientRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  ClientRequest
		want string
	}{
		{"minimal", ClientRequest{Path: "/", Host: "127.0.0.1:80", Key: "k=="},
			"GET / HTTP/1.1\r\nUpgrade: websocket\r\nHost: 127.0.0.1:80\r\nSec-WebSocket-Key: k==\r\n" +
				"Sec-WebSocket-Version: 13\r\nConnection: Upgrade\r\n\r\n"},
		{"everything", ClientRequest{Path: "/s?a=1", Host: "example.com", Key: "k==", Protocols: []string{"chat", "superchat"},
			Origin: "http://example.com", Headers: []string{"X-A: 1", "X-B: 2"}},
			"GET /s?a=1 HTTP/1.1\r\nUpgrade: websocket\r\nHost: example.com\r\nSec-WebSocket-Key: k==\r\n" +
				"Sec-WebSocket-Protocol: chat,superchat\r\nSec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\n" +
				"Connection: Upgrade\r\nX-A: 1\r\nX-B: 2\r\n\r\n"},
		{"one protocol", ClientRequest{Path: "/", Host: "unix_sock", Key: "k==", Protocols: []string{"chat"}},
			"GET / HTTP/1.1\r\nUpgrade: websocket\r\nHost: unix_sock\r\nSec-WebSocket-Key: k==\r\n" +
				"Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Version: 13\r\nConnection: Upgrade\r\n\r\n"},
		{"empty tables", ClientRequest{Path: "/", Host: "h", Key: "k==", Protocols: []string{}, Headers: []string{}},
			"GET / HTTP/1.1\r\nUpgrade: websocket\r\nHost: h\r\nSec-WebSocket-Key: k==\r\n" +
				"Sec-WebSocket-Protocol: \r\nSec-WebSocket-Version: 13\r\nConnection: Upgrade\r\n\r\n\r\n"},
	}
	for _, tc := range tests {
		if got := string(AppendClientRequest(nil, tc.req)); got != tc.want {
			t.Errorf("%s: AppendClientRequest =\n%q\nwant\n%q", tc.name, got, tc.want)
		}
	}
}

func TestNewClientKey(t *testing.T) {
	t.Parallel()
	a, b := NewClientKey(), NewClientKey()
	raw, err := base64.StdEncoding.DecodeString(a)
	if err != nil || len(raw) != 16 || a == b {
		t.Errorf("NewClientKey() = %q, %q (decoded %d bytes, %v)", a, b, len(raw), err)
	}
}

func TestCheckClientResponse(t *testing.T) {
	t.Parallel()
	const k = "dGhlIHNhbXBsZSBub25jZQ=="
	const ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	tests := []struct {
		name   string
		head   string
		want   string
		strict bool
	}{
		{"ok", ok, "", false},
		{"header case and spacing", "HTTP/1.1 101 x\r\nsec-websocket-accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  \r\n\r\n", "", false},
		{"leading whitespace", "\r\n \tHTTP/1.1\t101\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", "", false},
		{"http/1.0", "HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
			"bad HTTP response status line: HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket", false},
		{"http/1.10", "HTTP/1.10 101\r\n\r\n", "bad HTTP response status line: HTTP/1.10 101", false},
		{"no space after version", "HTTP/1.1", "bad HTTP response status line: HTTP/1.1", false},
		{"garbage", "SSH-2.0-OpenSSH\r\n\r\n", "bad HTTP response status line: SSH-2.0-OpenSSH", false},
		{"404", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", `bad HTTP response status code: "404" (want 101)`, true},
		{"no accept", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", `missing "sec-websocket-accept" response header`, true},
		{"wrong accept", "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: nope\r\n\r\n", `bad "sec-websocket-accept" response header: "nope"`, true},
	}
	for _, tc := range tests {
		err := CheckClientResponse([]byte(tc.head), k)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: CheckClientResponse returned %v", tc.name, err)
			}
			continue
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: CheckClientResponse returned %v, want %q", tc.name, err, tc.want)
			continue
		}
		var se *StrictError
		if errors.As(err, &se) != tc.strict {
			t.Errorf("%s: error %v: StrictError %v, want %v", tc.name, err, !tc.strict, tc.strict)
		}
	}
}

func TestClientServerHandshake(t *testing.T) {
	t.Parallel()
	key := NewClientKey()
	raw := AppendClientRequest(nil, ClientRequest{Path: "/ws", Host: "localhost:8080", Key: key, Protocols: []string{"a", "b"}})
	h, err := ParseRequestHead(raw)
	if err != nil {
		t.Fatal(err)
	}
	req, err := CheckServerRequest(h.ProtoMajor, h.ProtoMinor, h.Header)
	if err != nil || req.Key != key || req.Protocol != "a,b" || h.Target != "/ws" {
		t.Fatalf("server view of our request: %+v, %v", req, err)
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: " + AcceptKey(req.Key) + "\r\n\r\n"
	if err := CheckClientResponse([]byte(resp), key); err != nil {
		t.Errorf("CheckClientResponse(our own response) = %v", err)
	}
	if !bytes.HasSuffix(raw, []byte("\r\n\r\n")) {
		t.Errorf("request does not end with a blank line")
	}
}
