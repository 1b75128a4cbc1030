package wsnative

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
)

// ClientRequest describes the opening handshake of upstream's client
// connect (RFC 6455 section 4.1).
type ClientRequest struct {
	Path string // request target, "/" when the URI has none
	Host string // Host header value: opts.host, or "addr:port", or "unix_sock"
	Key  string // Sec-WebSocket-Key, e.g. from NewClientKey
	// Protocols are joined with "," (no space, as upstream's table.concat
	// does) into Sec-WebSocket-Protocol. nil sends no header; a non-nil
	// empty slice sends an empty one, as an empty Lua table does.
	Protocols []string
	// Origin is sent unless empty. (Upstream would also send an empty
	// Origin for opts.origin = "".)
	Origin string
	// Headers are whole header lines, without CRLF, sent in order after
	// Connection; nil sends none (a non-nil empty slice sends the bare CRLF
	// that an empty Lua table produces upstream).
	Headers []string
}

// AppendClientRequest appends the request head upstream's connect sends,
// byte for byte: the request line, then Upgrade, Host, Sec-WebSocket-Key,
// Sec-WebSocket-Protocol, Sec-WebSocket-Version, Origin, Connection, the
// custom lines, and the blank line.
func AppendClientRequest(dst []byte, req ClientRequest) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, req.Path...)
	dst = append(dst, " HTTP/1.1\r\nUpgrade: websocket\r\nHost: "...)
	dst = append(dst, req.Host...)
	dst = append(dst, "\r\nSec-WebSocket-Key: "...)
	dst = append(dst, req.Key...)
	if req.Protocols != nil {
		dst = append(dst, "\r\nSec-WebSocket-Protocol: "...)
		for i, p := range req.Protocols {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, p...)
		}
	}
	dst = append(dst, "\r\nSec-WebSocket-Version: 13"...)
	if req.Origin != "" {
		dst = append(dst, "\r\nOrigin: "...)
		dst = append(dst, req.Origin...)
	}
	dst = append(dst, "\r\nConnection: Upgrade"...)
	if req.Headers != nil {
		dst = append(dst, "\r\n"...)
		for i, h := range req.Headers {
			if i > 0 {
				dst = append(dst, "\r\n"...)
			}
			dst = append(dst, h...)
		}
	}
	return append(dst, "\r\n\r\n"...)
}

// NewClientKey returns a Sec-WebSocket-Key: 16 random bytes in base64
// (section 4.1). It uses crypto/rand; one key a connection costs nothing
// worth saving.
func NewClientKey() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// StrictError is a handshake response that upstream's client accepts but
// CheckClientResponse does not (see there). A binding that wants upstream's
// leniency can let these through.
type StrictError struct{ msg string }

func (e *StrictError) Error() string { return e.msg }

// CheckClientResponse checks a server's handshake response head, given up to
// and including the blank line, for a request sent with key.
//
// First, as upstream does, the head (without its final CRLFCRLF, which
// upstream's reader strips) must match ^\s*HTTP/1\.1\s+ (PCRE2's \s: space,
// \t, \n, \v, \f, \r); otherwise the error is "bad HTTP response status line: "
// followed by that head, upstream's text.
//
// Upstream stops there ("FIXME: verify the response headers"): it accepts a
// 404, or a 101 with a wrong key. This function is stricter, as section 4.1
// requires of a client, and reports the extra failures as *StrictError:
// the status code must be 101, and Sec-WebSocket-Accept must be present and
// equal AcceptKey(key). Upgrade and Connection are not checked.
func CheckClientResponse(head []byte, key string) error {
	header := bytes.TrimSuffix(head, []byte("\r\n\r\n"))
	rest, ok := matchStatusPrefix(header)
	if !ok {
		return &statusLineError{string(header)}
	}
	// rest starts after "HTTP/1.1" and its whitespace: the status code.
	code := rest
	if i := bytes.IndexAny(code, " \t\r\n\v\f"); i >= 0 {
		code = code[:i]
	}
	if string(code) != "101" {
		return &StrictError{"bad HTTP response status code: " + quoteShort(code) + " (want 101)"}
	}
	accept, found := responseHeader(header, "sec-websocket-accept")
	if !found {
		return &StrictError{`missing "sec-websocket-accept" response header`}
	}
	if accept != AcceptKey(key) {
		return &StrictError{`bad "sec-websocket-accept" response header: ` + quoteShort([]byte(accept))}
	}
	return nil
}

// statusLineError is upstream's error for a response that is not HTTP/1.1.
type statusLineError struct{ header string }

func (e *statusLineError) Error() string { return "bad HTTP response status line: " + e.header }

// isPCRESpace reports whether c is in PCRE2's \s class (no UTF mode).
func isPCRESpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// matchStatusPrefix matches ^\s*HTTP/1\.1\s+ and returns what follows.
func matchStatusPrefix(h []byte) ([]byte, bool) {
	i := 0
	for i < len(h) && isPCRESpace(h[i]) {
		i++
	}
	h, ok := bytes.CutPrefix(h[i:], []byte("HTTP/1.1"))
	if !ok || len(h) == 0 || !isPCRESpace(h[0]) {
		return nil, false
	}
	for len(h) > 0 && isPCRESpace(h[0]) {
		h = h[1:]
	}
	return h, true
}

// responseHeader returns the first value of a header (name in lower case) in
// the lines after the status line, trimmed of spaces and tabs.
func responseHeader(head []byte, name string) (string, bool) {
	lines := bytes.Split(head, []byte("\n"))
	for _, line := range lines[1:] {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && asciiEqualFold(strings.Trim(string(k), " \t"), name) {
			return strings.Trim(string(v), " \t\r"), true
		}
	}
	return "", false
}

// quoteShort quotes b for an error message, cut to 64 bytes.
func quoteShort(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return strconv.Quote(string(b))
}
