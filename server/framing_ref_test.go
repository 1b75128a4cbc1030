package server

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceParseHead is the straightforward (allocating) form of sniffer.parseHead, kept as
// the oracle FuzzParseHead compares it with.
func referenceParseHead(s *sniffer, head []byte) {
	lines := strings.Split(strings.TrimRight(string(head), "\r\n"), "\n")
	reqLine := strings.TrimRight(lines[0], "\r")
	fields := strings.Fields(reqLine)
	http11 := len(fields) == 3 && fields[2] != "HTTP/1.0" && strings.HasPrefix(fields[2], "HTTP/1.")
	var cl, te, host, clLine, teLine, hostLine string
	var haveCL, haveTE, haveHost bool
	v := framingVerdict{line: reqLine}
	dup := func(line, prev string) {
		v.status, v.host = 400, host
		v.msg = "client sent duplicate header line: \"" + line + "\", previous value: \"" + prev + "\" while reading client request headers"
		s.refuse(v)
	}
	for _, l := range lines[1:] {
		l = strings.TrimRight(l, "\r")
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		value = strings.Trim(value, " \t")
		shown := name + ": " + value
		switch strings.ToLower(name) {
		case "host":
			if haveHost {
				v.status = 400
				v.msg = "client sent duplicate host header: \"" + shown + "\", previous value: \"" + hostLine + "\" while reading client request headers"
				v.host = host
				s.refuse(v)
				return
			}
			haveHost, host, hostLine = true, value, shown
		case "content-length":
			if haveCL {
				dup(shown, clLine)
				return
			}
			haveCL, cl, clLine = true, value, shown
		case "transfer-encoding":
			if haveTE {
				dup(shown, teLine)
				return
			}
			haveTE, te, teLine = true, value, shown
		}
	}
	v.host = host
	fail := func(status int, msg string) {
		v.status, v.msg = status, msg+" while reading client request headers"
		s.refuse(v)
	}
	if !haveHost && http11 {
		fail(400, "client sent HTTP/1.1 request without \"Host\" header")
		return
	}
	var length int64
	if haveCL {
		n, ok := parseLength([]byte(cl))
		if !ok {
			fail(400, "client sent invalid \"Content-Length\" header")
			return
		}
		length = n
	}
	if haveTE {
		if !http11 {
			fail(400, "client sent HTTP/1.0 request with \"Transfer-Encoding\" header")
			return
		}
		if !strings.EqualFold(te, "chunked") {
			fail(501, "client sent unknown \"Transfer-Encoding\": \""+te+"\"")
			return
		}
		if haveCL {
			fail(400, "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time")
			return
		}
		s.state, s.remain, s.digits = sniffChunkSize, 0, 0
		return
	}
	if length > 0 {
		s.state, s.remain = sniffBody, length
		return
	}
	s.next()
}

// FuzzParseHead: the allocation-free parseHead reaches the verdict and the body framing the
// reference form does, on any ASCII head (past ASCII, the reference folds case as Unicode
// does, nginx and parseHead as ASCII).
func FuzzParseHead(f *testing.F) {
	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"GET /  HTTP/1.1 \r\nhost:x\r\nHOST: y\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
		"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST /echo HTTP/1.1\nHost: x\ncontent-length:\t12 \n\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX: a:b\r\nnocolon\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		for _, c := range head {
			if c >= utf8.RuneSelf {
				return
			}
		}
		var got, want sniffer
		got.parseHead(head)
		referenceParseHead(&want, head)
		if got.state != want.state || got.remain != want.remain || got.digits != want.digits || got.index != want.index {
			t.Fatalf("%q: state %v/%d/%d/%d, want %v/%d/%d/%d", head, got.state, got.remain, got.digits, got.index,
				want.state, want.remain, want.digits, want.index)
		}
		if (got.bad == nil) != (want.bad == nil) || got.bad != nil && *got.bad != *want.bad {
			t.Fatalf("%q: verdict %+v, want %+v", head, got.bad, want.bad)
		}
	})
}

// TestParseHeadAllocs: a request head nginx accepts is checked without allocating.
func TestParseHeadAllocs(t *testing.T) {
	head := []byte("GET /s HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	var s sniffer
	if n := testing.AllocsPerRun(100, func() { s.parseHead(head) }); n != 0 {
		t.Errorf("parseHead allocates %v times per request", n)
	}
	if s.bad != nil {
		t.Errorf("refused: %+v", s.bad)
	}
}
