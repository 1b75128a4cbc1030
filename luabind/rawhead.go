package luabind

import (
	"bytes"
	"context"
	"net/http"
)

// The request head as the client sent it. net/http keeps header names in its canonical case
// and in a map; nginx keeps the client's bytes: ngx.req.raw_header returns them, and
// ngx.req.get_headers gives the names in their case (raw) and counts them in their order.
// The server hands the head of the request it is serving on a connection through a
// RawHeadSource in the connection's context.

// RawHeadSource gives the head of the request being served on a connection (nil when not
// known).
type RawHeadSource interface{ CurrentHead() []byte }

type rawHeadsKey struct{}

// WithRawHeads makes src the raw-head source of the requests of ctx's connection.
func WithRawHeads(ctx context.Context, src RawHeadSource) context.Context {
	return context.WithValue(ctx, rawHeadsKey{}, src)
}

// rawHead is hr's head as received, through its empty line; nil when unknown (TLS, a
// subrequest, a head the server did not follow).
// headersChangedKey marks a request whose headers the server changed before Lua ran
// (headers-more's input commands): they are listed from http.Request.Header, not the raw head.
type headersChangedKey struct{}

// WithHeadersChanged marks ctx's request as one whose headers were changed.
func WithHeadersChanged(ctx context.Context) context.Context {
	return context.WithValue(ctx, headersChangedKey{}, true)
}

type requestLineKey struct{}

// WithRequestLine gives ctx's request the request line $request shows, for a request whose
// line net/http did not parse (one nginx refused, an HTTP/0.9 one).
func WithRequestLine(ctx context.Context, line string) context.Context {
	return context.WithValue(ctx, requestLineKey{}, line)
}

// RequestLineOf is the line WithRequestLine gave ctx's request ("", false without one).
func RequestLineOf(ctx context.Context) (string, bool) {
	l, ok := ctx.Value(requestLineKey{}).(string)
	return l, ok
}

func rawHead(hr *http.Request) []byte {
	src, _ := hr.Context().Value(rawHeadsKey{}).(RawHeadSource)
	if src == nil {
		return nil
	}
	head := src.CurrentHead()
	line, _, _ := bytes.Cut(head, []byte("\n"))
	if string(bytes.TrimRight(line, "\r")) != hr.Method+" "+hr.RequestURI+" "+hr.Proto {
		return nil
	}
	return head
}

// headerLine is one header field of a raw head.
type headerLine struct{ name, value string }

// rawHeaderLines are the header fields of head in order, as nginx keeps them: the value
// trimmed, and names nginx ignores (ignore_invalid_headers: anything but letters, digits
// and "-") left out.
func rawHeaderLines(head []byte) []headerLine {
	_, rest, _ := bytes.Cut(head, []byte("\n"))
	var out []headerLine
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, []byte("\n"))
		l = bytes.TrimRight(l, "\r")
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok || !validHeaderName(name) {
			continue
		}
		out = append(out, headerLine{string(name), string(bytes.Trim(value, " \t"))})
	}
	return out
}

func validHeaderName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
