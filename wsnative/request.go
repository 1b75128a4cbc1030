package wsnative

import (
	"bytes"
	"errors"
	"net/http"
	"net/textproto"
)

// Bounds of ParseRequestHead.
const (
	// MaxRequestHeadSize is the longest request head accepted, blank line
	// included: nginx's default ceiling (large_client_header_buffers 4 8k).
	MaxRequestHeadSize = 32 << 10
	// MaxRequestHeaders is how many header lines are kept. Further lines are
	// parsed and dropped, and RequestHead.Truncated is set, which matches
	// what ngx.req.get_headers() shows a script by default.
	MaxRequestHeaders = 100
)

// Errors of ParseRequestHead.
var (
	// ErrHeadIncomplete means b holds no blank line yet: read more.
	ErrHeadIncomplete = errors.New("incomplete request head")
	// ErrHeadTooLarge means the head is longer than MaxRequestHeadSize.
	ErrHeadTooLarge = errors.New("request head too large")
	// ErrBadRequestLine means the request line is malformed.
	ErrBadRequestLine = errors.New("client sent invalid request line")
	// ErrBadHeaderLine means a header line has a byte nginx rejects.
	ErrBadHeaderLine = errors.New("client sent invalid header line")
)

// RequestHead is a parsed HTTP/1.x request line and header block.
type RequestHead struct {
	Method     string
	Target     string // the request target as sent, e.g. "/chat?room=1"
	ProtoMajor int
	ProtoMinor int
	Header     http.Header // canonical names, values in arrival order
	// Size is the number of bytes of the head, blank line included; bytes
	// after it (a client may send frames right behind the handshake) are
	// not part of it.
	Size int
	// Truncated says that more than MaxRequestHeaders headers came and only
	// the first ones were kept.
	Truncated bool

	kept int // header values in Header
}

// ParseRequestHead parses a request head: the request line and the header
// lines up to the first empty line (RFC 9112 section 2), with the tolerance
// of nginx's defaults: lines may end in LF alone, empty lines before the
// request line are skipped, spaces (only) around a value are trimmed, a
// header without a colon has an empty value, and headers whose names hold
// anything but letters, digits and "-" (an underscore, say) are ignored, as
// with ignore_invalid_headers on and underscores_in_headers off. Control
// bytes in a name, NUL in a value and a stray CR are errors.
//
// It returns ErrHeadIncomplete while b holds no complete head, and
// ErrHeadTooLarge beyond MaxRequestHeadSize.
func ParseRequestHead(b []byte) (*RequestHead, error) {
	if len(b) > MaxRequestHeadSize {
		b = b[:MaxRequestHeadSize]
	}
	head := &RequestHead{Header: make(http.Header)}
	pos := 0
	sawRequestLine := false
	for {
		i := bytes.IndexByte(b[pos:], '\n')
		if i < 0 {
			if len(b) >= MaxRequestHeadSize {
				return nil, ErrHeadTooLarge
			}
			return nil, ErrHeadIncomplete
		}
		line := trimCR(b[pos : pos+i])
		pos += i + 1
		if !sawRequestLine {
			if len(line) == 0 {
				continue
			}
			if err := head.parseRequestLine(line); err != nil {
				return nil, err
			}
			sawRequestLine = true
			continue
		}
		if len(line) == 0 {
			head.Size = pos
			return head, nil
		}
		if err := head.parseHeaderLine(line); err != nil {
			return nil, err
		}
	}
}

// trimCR strips the CRs before a line's LF; a CR elsewhere stays, for the
// line parsers to reject.
func trimCR(line []byte) []byte {
	for len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line
}

// parseRequestLine parses "METHOD SP target SP HTTP/x.y". Runs of spaces
// count as one, as nginx allows.
func (h *RequestHead) parseRequestLine(line []byte) error {
	fields := bytes.Fields(line)
	if len(fields) != 3 || bytes.ContainsAny(line, "\t\r\x00") {
		return ErrBadRequestLine
	}
	for _, c := range fields[0] {
		if !('A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return ErrBadRequestLine
		}
	}
	major, minor, ok := parseHTTPVersion(fields[2])
	if !ok {
		return ErrBadRequestLine
	}
	h.Method, h.Target = string(fields[0]), string(fields[1])
	h.ProtoMajor, h.ProtoMinor = major, minor
	return nil
}

// parseHTTPVersion parses "HTTP/major.minor", each part 1-3 digits.
func parseHTTPVersion(v []byte) (major, minor int, ok bool) {
	rest, found := bytes.CutPrefix(v, []byte("HTTP/"))
	if !found {
		return 0, 0, false
	}
	ma, mi, found := bytes.Cut(rest, []byte("."))
	if !found {
		return 0, 0, false
	}
	major, ok1 := parseSmallUint(ma)
	minor, ok2 := parseSmallUint(mi)
	return major, minor, ok1 && ok2
}

func parseSmallUint(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 3 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseHeaderLine parses one "Name: value" line into h.Header.
func (h *RequestHead) parseHeaderLine(line []byte) error {
	name, value, _ := bytes.Cut(line, []byte(":"))
	if len(name) == 0 {
		return ErrBadHeaderLine // nginx rejects a line that starts with ':'
	}
	valid := true
	for _, c := range name {
		switch {
		case c <= 0x20 || c == 0x7f:
			return ErrBadHeaderLine
		case !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'):
			valid = false
		}
	}
	if bytes.IndexByte(value, 0) >= 0 || bytes.IndexByte(value, '\r') >= 0 {
		return ErrBadHeaderLine
	}
	if !valid {
		return nil
	}
	if h.kept >= MaxRequestHeaders {
		h.Truncated = true
		return nil
	}
	h.kept++
	key := textproto.CanonicalMIMEHeaderKey(string(name))
	h.Header[key] = append(h.Header[key], trimSpaces(string(value)))
	return nil
}
