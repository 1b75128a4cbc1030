package server

import (
	"bufio"
	"bytes"
	"net/http"
	"net/textproto"
	"net/url"
)

// handshakeRequest builds the request http.ReadRequest would return for head, a request head
// plainHandshakeHead accepted, without its textproto reader, bufio reader and per-line
// copies (http.ReadRequest was 4% of a handshake's CPU). It returns nil, and the caller
// parses head with http.ReadRequest, for any head where its result could differ: headers
// that ReadRequest acts on (Pragma, Connection with close, Content-Length,
// Transfer-Encoding, Trailer), a target url.ParseRequestURI refuses, more lines than a
// handshake has. TestHandshakeRequestIsReadRequest and FuzzHandshakeRequest hold it to
// http.ReadRequest's result field by field.
func handshakeRequest(head []byte) *http.Request {
	line, rest, _ := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	// plainHandshakeHead: "GET /... HTTP/1.1", exactly two spaces
	target := string(line[len("GET ") : len(line)-len(" HTTP/1.1")])
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil
	}
	lines := bytes.Count(rest, []byte("\n"))
	if lines > 64 {
		return nil
	}
	h := make(http.Header, lines)
	strs := make([]string, lines) // one backing array for the values, as textproto's
	host := ""
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, []byte("\n"))
		l = bytes.TrimSuffix(l, []byte("\r"))
		if len(l) == 0 {
			break
		}
		name, value, _ := bytes.Cut(l, []byte(":"))
		// plainHandshakeHead: name is a token, value printable ASCII or tabs
		key := canonicalKey(name)
		switch key {
		case "Pragma", "Content-Length", "Transfer-Encoding", "Trailer", "Expect":
			return nil
		}
		v := string(bytes.Trim(value, " \t"))
		if key == "Connection" && connectionHasClose(v) {
			return nil
		}
		if key == "Host" { // http.ReadRequest takes it out of the map
			host = v
			continue
		}
		if vv := h[key]; vv == nil && len(strs) > 0 {
			vv, strs = strs[:1:1], strs[1:]
			vv[0] = v
			h[key] = vv
		} else {
			h[key] = append(vv, v)
		}
	}
	return &http.Request{
		Method:     http.MethodGet,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Body:       http.NoBody,
		Host:       host,
		RequestURI: target,
	}
}

// commonKeys are the canonical forms of a handshake's usual header names, so that they are
// not built per request.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Host", "Upgrade", "Connection", "Origin", "User-Agent", "Accept",
		"Accept-Encoding", "Accept-Language", "Cache-Control", "Cookie", "Pragma",
		"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Protocol",
		"Sec-Websocket-Extensions", "X-Forwarded-For", "X-Real-Ip"} {
		m[k] = k
	}
	return m
}()

// canonicalKey is textproto.CanonicalMIMEHeaderKey of a token.
func canonicalKey(name []byte) string {
	var buf [32]byte
	if len(name) <= len(buf) {
		b := buf[:len(name)]
		upper := true
		for i, c := range name {
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			} else if !upper && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i] = c
			upper = c == '-'
		}
		if k, ok := commonKeys[string(b)]; ok {
			return k
		}
	}
	return textproto.CanonicalMIMEHeaderKey(string(name))
}

// connectionHasClose reports whether a Connection value may hold the close token (ASCII case
// ignored); any "close" in it sends the head to http.ReadRequest, which decides.
func connectionHasClose(v string) bool {
	for i := 0; i+5 <= len(v); i++ {
		if asciiEqualFoldString(v[i:i+5], "close") {
			return true
		}
	}
	return false
}

// readRequest is http.ReadRequest of head.
func readRequest(head []byte) (*http.Request, error) {
	br := headReaders.Get().(*bufio.Reader)
	br.Reset(bytes.NewReader(head))
	req, err := http.ReadRequest(br)
	br.Reset(nil)
	headReaders.Put(br)
	return req, err
}
