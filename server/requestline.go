package server

import (
	"bufio"
	"net"
	"net/http"
)

// The request line as nginx 1.22 reads it (ngx_http_parse_request_line), byte by byte: it
// refuses a bad line as soon as the byte that makes it bad arrives, without waiting for the
// rest of the head, and takes a line without a version as an HTTP/0.9 request. net/http
// waits for the whole head, accepts methods nginx refuses ("GeT") and refuses HTTP/0.9, so
// the sniffer checks each request line itself (see framedConn.Read).

// lineState is what a request line (or the part of it received) is to nginx.
type lineState uint8

const (
	lineWait       lineState = iota // no verdict yet: more bytes are needed
	lineOK                          // an HTTP/1.x line (net/http serves it)
	line09                          // a complete line without a version: HTTP/0.9
	lineBad                         // refused with 400
	lineBadVersion                  // refused with 505 (an HTTP version above 1)
)

// lineVerdict is what checkRequestLine found.
type lineVerdict struct {
	state  lineState
	msg    string // for lineBad and lineBadVersion: nginx's error-log message
	method string // the method, when it was read whole and valid
	uri    string // for line09: the URI
}

// checkRequestLine reads b, the start of a request head (empty lines skipped), as nginx's
// parser does.
func checkRequestLine(b []byte) lineVerdict {
	const (
		invalidMethod  = "client sent invalid method"
		invalidRequest = "client sent invalid request"
		invalidVersion = "client sent invalid version"
	)
	bad := func(msg, method string) lineVerdict {
		st := lineBad
		if msg == invalidVersion {
			st = lineBadVersion
		}
		return lineVerdict{state: st, msg: msg, method: method}
	}
	i := 0
	for i < len(b) && (b[i] >= 'A' && b[i] <= 'Z' || b[i] == '_' || b[i] == '-') {
		i++
	}
	if i == len(b) {
		return lineVerdict{}
	}
	if i == 0 || b[i] != ' ' {
		return bad(invalidMethod, "")
	}
	method := string(b[:i])
	for i < len(b) && b[i] == ' ' {
		i++
	}
	if i == len(b) {
		return lineVerdict{}
	}
	uriStart := i
	switch c := b[i] | 0x20; {
	case b[i] == '/':
	case c >= 'a' && c <= 'z': // an absolute URI: its scheme, then "://"
		for i < len(b) && isSchemeByte(b[i]) {
			i++
		}
		if i == len(b) {
			return lineVerdict{}
		}
		if b[i] != ':' {
			return bad(invalidRequest, method)
		}
		for _, c := range []byte("://") {
			if i == len(b) {
				return lineVerdict{}
			}
			if b[i] != c {
				return bad(invalidRequest, method)
			}
			i++
		}
	default:
		return bad(invalidRequest, method)
	}
	for i < len(b) && b[i] != ' ' && b[i] != '\r' && b[i] != '\n' {
		if b[i] < 0x20 || b[i] == 0x7f {
			return bad(invalidRequest, method)
		}
		i++
	}
	if i == len(b) {
		return lineVerdict{}
	}
	uri := string(b[uriStart:i])
	for i < len(b) && b[i] == ' ' {
		i++
	}
	if i == len(b) {
		return lineVerdict{}
	}
	http09 := func() lineVerdict {
		if method != "GET" {
			return bad("client sent invalid method in HTTP/0.9 request", method)
		}
		return lineVerdict{state: line09, method: method, uri: uri}
	}
	switch b[i] {
	case '\n':
		return http09()
	case '\r':
		if i+1 == len(b) {
			return lineVerdict{}
		}
		if b[i+1] != '\n' {
			return bad(invalidRequest, method)
		}
		return http09()
	case 'H':
	default:
		return bad(invalidRequest, method)
	}
	for _, c := range []byte("HTTP/") {
		if i == len(b) {
			return lineVerdict{}
		}
		if b[i] != c {
			return bad(invalidRequest, method)
		}
		i++
	}
	// the major version: 1 (a leading zero is refused, more than 1 is a 505)
	if i == len(b) {
		return lineVerdict{}
	}
	if b[i] < '1' || b[i] > '9' {
		return bad(invalidRequest, method)
	}
	if b[i] > '1' {
		return bad(invalidVersion, method)
	}
	i++
	switch {
	case i == len(b):
		return lineVerdict{}
	case b[i] >= '0' && b[i] <= '9': // 10 and above
		return bad(invalidVersion, method)
	case b[i] != '.':
		return bad(invalidRequest, method)
	}
	i++
	if i == len(b) {
		return lineVerdict{}
	}
	if b[i] < '0' || b[i] > '9' {
		return bad(invalidRequest, method)
	}
	minor := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if minor > 99 {
			return bad(invalidRequest, method)
		}
		minor = minor*10 + int(b[i]-'0')
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	switch {
	case i == len(b):
		return lineVerdict{}
	case b[i] == '\n':
		return lineVerdict{state: lineOK, method: method}
	case b[i] != '\r':
		return bad(invalidRequest, method)
	case i+1 == len(b):
		return lineVerdict{}
	case b[i+1] != '\n':
		return bad(invalidRequest, method)
	}
	return lineVerdict{state: lineOK, method: method}
}

func isSchemeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// synthetic is the request net/http is given in place of a line nginx refuses or reads as
// HTTP/0.9: one it parses at once and answers without keeping the connection (HTTP/1.0);
// the server's handler knows it by the connection's verdict.
func (v *framingVerdict) synthetic() []byte {
	method, uri := v.method, v.uri
	if method == "" {
		method = "GET"
	}
	if uri == "" {
		uri = "/"
	}
	return []byte(method + " " + uri + " HTTP/1.0\r\n\r\n")
}

type badLineKey struct{}

// badLineOf is the verdict on r's request line when nginx refuses it or reads it as
// HTTP/0.9 (nil for any other request).
func badLineOf(r *http.Request) *framingVerdict {
	v, _ := r.Context().Value(badLineKey{}).(*framingVerdict)
	return v
}

// bodyOnlyWriter answers an HTTP/0.9 request: the body alone, on the connection taken from
// net/http, closed at the end.
type bodyOnlyWriter struct {
	conn net.Conn
	bw   *bufio.Writer
	h    http.Header
}

func (b *bodyOnlyWriter) Header() http.Header { return b.h }

func (b *bodyOnlyWriter) WriteHeader(int) {}

func (b *bodyOnlyWriter) Write(p []byte) (int, error) { return b.bw.Write(p) }

func (b *bodyOnlyWriter) Flush() { _ = b.bw.Flush() }

func (b *bodyOnlyWriter) close() {
	_ = b.bw.Flush()
	_ = b.conn.Close()
}
