package wsnative

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
)

// acceptGUID is the GUID of RFC 6455 section 1.3 that the server appends to
// the client's key.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Handshake errors of [CheckServerRequest], with upstream's text.
var (
	// ErrBadHTTPVersion is returned for a request that is not HTTP/1.1.
	ErrBadHTTPVersion = errors.New("bad http version")
	// ErrBadUpgrade matches (with errors.Is) the error for a missing or
	// wrong Upgrade header, whose text also carries the value.
	ErrBadUpgrade = errors.New(`bad "upgrade" request header`)
	// ErrBadConnection is returned when the Connection header is missing or
	// does not contain "upgrade".
	ErrBadConnection = errors.New(`bad "connection" request header`)
	// ErrBadKey is returned when Sec-WebSocket-Key is missing.
	ErrBadKey = errors.New(`bad "sec-websocket-key" request header`)
	// ErrBadVersion is returned when Sec-WebSocket-Version is not "13".
	ErrBadVersion = errors.New(`bad "sec-websocket-version" request header`)
)

// upgradeError reports the Upgrade header's value as upstream does: "nil"
// when the header is absent.
type upgradeError struct{ value string }

func (e *upgradeError) Error() string { return ErrBadUpgrade.Error() + ": " + e.value }

func (e *upgradeError) Is(target error) bool { return target == ErrBadUpgrade }

// ServerRequest holds what a server needs from a valid opening handshake.
type ServerRequest struct {
	Key      string // Sec-WebSocket-Key, for AcceptKey
	Protocol string // the first Sec-WebSocket-Protocol value, verbatim; "" if none
}

// CheckServerRequest checks a client's opening handshake (RFC 6455 section
// 4.2.1) the way upstream's server.new does, in its order and with its
// messages: the HTTP version, Upgrade (must be "websocket" in any case),
// Connection (must contain "upgrade" in any case), the presence of
// Sec-WebSocket-Key and Sec-WebSocket-Version "13". Like upstream it looks
// only at the first value of a repeated header, and neither checks the
// method nor decodes the key.
func CheckServerRequest(protoMajor, protoMinor int, h http.Header) (ServerRequest, error) {
	if protoMajor != 1 || protoMinor != 1 {
		return ServerRequest{}, ErrBadHTTPVersion
	}
	v, ok := firstValue(h, "Upgrade")
	if !ok {
		return ServerRequest{}, &upgradeError{"nil"}
	}
	if !asciiEqualFold(v, "websocket") {
		return ServerRequest{}, &upgradeError{v}
	}
	if v, ok = firstValue(h, "Connection"); !ok || !containsFoldASCII(v, "upgrade") {
		return ServerRequest{}, ErrBadConnection
	}
	key, ok := firstValue(h, "Sec-WebSocket-Key")
	if !ok {
		return ServerRequest{}, ErrBadKey
	}
	if v, ok = firstValue(h, "Sec-WebSocket-Version"); !ok || v != "13" {
		return ServerRequest{}, ErrBadVersion
	}
	proto, _ := firstValue(h, "Sec-WebSocket-Protocol")
	return ServerRequest{Key: key, Protocol: proto}, nil
}

// AcceptKey returns the Sec-WebSocket-Accept value for a client's key:
// base64(SHA-1(key + GUID)), RFC 6455 section 4.2.2.
func AcceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(acceptGUID))
	var sum [sha1.Size]byte
	return base64.StdEncoding.EncodeToString(h.Sum(sum[:0]))
}

// firstValue returns the first value of a header, looked up by its canonical
// name.
func firstValue(h http.Header, name string) (string, bool) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// asciiEqualFold compares as Lua's string.lower does: ASCII letters only.
// (strings.EqualFold would also fold "ſ" to "s" and "K" to "k".)
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether lower-cased s contains sub, which must be
// lower case.
func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if asciiEqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// trimSpaces trims the bytes nginx strips around a header value: spaces only.
func trimSpaces(s string) string {
	return strings.Trim(s, " ")
}
