package luabind_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------------------------
// server:new

// TestHandshake101 checks the 101 response of server:new: the headers upstream's
// sanity.t expects, and headers the script staged with ngx.header before new().
func TestHandshake101(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		path       string
		extra      []string
		connection string
		key        string
		accept     string
		wantProto  string
		wantHeader map[string]string
	}{
		{name: "no subprotocol", path: "/s", key: testKey, accept: testAccept},
		{name: "subprotocol chat", path: "/s", extra: []string{"Sec-WebSocket-Protocol: chat"},
			key: testKey, accept: testAccept, wantProto: "chat"},
		{name: "header set before new", path: "/s?header=yes", key: testKey, accept: testAccept,
			wantHeader: map[string]string{"X-Before-New": "yes"}},
		// upstream sanity.t TEST 1 and TEST 21 (Firefox 22.0: "Connection: keep-alive, Upgrade")
		{name: "upstream key", path: "/s", extra: []string{"Sec-WebSocket-Protocol: chat"},
			key: "x3JJHMbDL1EzLkh9GBhXDw==", accept: "HSmrc0sMlYUkAGmm5OPpG2HaGWk=", wantProto: "chat"},
		{name: "firefox connection list", path: "/s", connection: "keep-alive, Upgrade",
			extra: []string{"Sec-WebSocket-Protocol: chat"},
			key:   "05EiFj8mhoZ5F/oFE3Tyeg==", accept: "tBNO4O+F4DrQyajB62pvtRNU8LM=", wantProto: "chat"},
	}
	ts := serveFile(t, testdataPath(t, "handshake.lua"))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial(t)
			conn := tc.connection
			if conn == "" {
				conn = "Upgrade"
			}
			req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: %s\r\n"+
				"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", tc.path, ts.addr, conn, tc.key)
			for _, e := range tc.extra {
				req += e + "\r\n"
			}
			req += "\r\n"
			if _, err := io.WriteString(c, req); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
			raw, err := io.ReadAll(c)
			if err != nil && !isReset(err) {
				t.Fatalf("read: %v", err)
			}
			head, rest, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
			if !ok {
				t.Fatalf("no response head in %q; log:\n%s", raw, ts.log.String())
			}
			lines := strings.Split(string(head), "\r\n")
			if lines[0] != "HTTP/1.1 101 Switching Protocols" {
				t.Errorf("status line = %q, want %q", lines[0], "HTTP/1.1 101 Switching Protocols")
			}
			hdr := http.Header{}
			for _, l := range lines[1:] {
				k, v, _ := strings.Cut(l, ": ")
				hdr.Add(k, v)
			}
			want := map[string]string{
				"Upgrade":              "websocket",
				"Connection":           "upgrade",
				"Sec-WebSocket-Accept": tc.accept,
			}
			for k, v := range tc.wantHeader {
				want[k] = v
			}
			for k, v := range want {
				if got := hdr.Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("header %s = %q, want [%q]", k, got, v)
				}
			}
			if got := hdr.Values("Sec-WebSocket-Protocol"); tc.wantProto == "" && len(got) != 0 {
				t.Errorf("Sec-WebSocket-Protocol = %q, want none", got)
			} else if tc.wantProto != "" && (len(got) != 1 || got[0] != tc.wantProto) {
				t.Errorf("Sec-WebSocket-Protocol = %q, want [%q]", got, tc.wantProto)
			}
			for _, absent := range []string{"Content-Type", "Content-Length", "Transfer-Encoding"} {
				if got := hdr.Values(absent); len(got) != 0 {
					t.Errorf("header %s = %q, want none", absent, got)
				}
			}
			// After the head, the handler's first frame: send_text("hello").
			if want := serverFrame(true, 0x1, []byte("hello")); !bytes.Equal(rest, want) {
				t.Errorf("bytes after the 101 head = %q, want %q", rest, want)
			}
		})
	}
}

// TestHandshakeErrors checks server:new's error strings, reported by the handler with ngx.say.
func TestHandshakeErrors(t *testing.T) {
	t.Parallel()
	const key = "Sec-WebSocket-Key: " + testKey + "\r\n"
	const ver = "Sec-WebSocket-Version: 13\r\n"
	cases := []struct {
		name    string
		request string // %s is the Host
		wantErr string
	}{
		{"http/1.0", "GET /s?say=1 HTTP/1.0\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key + ver,
			"bad http version"},
		{"no upgrade header", "GET /s?say=1 HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\n" + key + ver,
			`bad "upgrade" request header: nil`},
		{"upgrade foo", "GET /s?say=1 HTTP/1.1\r\nHost: %s\r\nUpgrade: foo\r\nConnection: Upgrade\r\n" + key + ver,
			`bad "upgrade" request header: foo`},
		{"no connection header", "GET /s?say=1 HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n" + key + ver,
			`bad "connection" request header`},
		{"connection keep-alive", "GET /s?say=1 HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n" + key + ver,
			`bad "connection" request header`},
		{"no key", "GET /s?say=1 HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + ver,
			`bad "sec-websocket-key" request header`},
		{"no version", "GET /s?say=1 HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key,
			`bad "sec-websocket-version" request header`},
		{"version 12", "GET /s?say=1 HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key + "Sec-WebSocket-Version: 12\r\n",
			`bad "sec-websocket-version" request header`},
		{"headers already sent", "GET /s?say=1&sent=1 HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key + ver,
			"response header already sent"},
	}
	ts := serveFile(t, testdataPath(t, "handshake.lua"))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial(t)
			if _, err := fmt.Fprintf(c, tc.request+"\r\n", ts.addr); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
			resp, err := http.ReadResponse(newBufReader(c), nil)
			if err != nil {
				t.Fatalf("read response: %v; log:\n%s", err, ts.log.String())
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Errorf("status = %d, want 200", resp.StatusCode)
			}
			if want := "failed to new websocket: " + tc.wantErr + "\n"; string(body) != want {
				t.Errorf("body = %q, want %q", body, want)
			}
		})
	}
}

// TestHandshakeError444 checks the synopsis's error path: the error logged in nginx's layout,
// then ngx.exit(444) closes the connection without a single response byte.
func TestHandshakeError444(t *testing.T) {
	t.Parallel()
	ts := serveFile(t, testdataPath(t, "handshake.lua"))
	c := ts.dial(t)
	fmt.Fprintf(c, "GET /s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", ts.addr, testKey)
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	b, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("read: %v", err)
	}
	if len(b) != 0 {
		t.Errorf("response bytes after ngx.exit(444) = %q, want none", b)
	}
	line := ts.log.waitFor(t, "failed to new websocket")
	re := regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] (\d+)#(\d+): \*\d+ \[lua\] handshake\.lua:18: ` +
		`failed to new websocket: bad "upgrade" request header: nil, client: 127\.0\.0\.1, server: localhost, ` +
		`request: "GET /s HTTP/1\.1", host: "` + regexp.QuoteMeta(ts.addr) + `"$`)
	if !re.MatchString(line) {
		t.Errorf("log line\n%s\ndoes not match\n%s", line, re)
	}
}

// ---------------------------------------------------------------------------------------------
// recv_frame

type recvStep struct {
	waitLog string // wait for this log text before the step
	send    []byte
	closeW  bool // half-close the connection (the server reads EOF)
	// early: sent with the handshake request, so that the bytes are there before the first
	// recv_frame starts (a timeout case must not depend on how fast the client is)
	early bool
}

func repeatByte(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }

// TestRecvFrame drives testdata/recv.lua with raw frames and checks recv_frame's data, typ and
// err for each, and wb.fatal after it.
func TestRecvFrame(t *testing.T) {
	t.Parallel()
	const ok = " errtype=nil fatal=nil"
	mib := make([]byte, 1<<20)
	for i := range mib {
		mib[i] = byte(i * 7)
	}
	hello := frame(true, 0x1, []byte("hello"))
	cases := []struct {
		name  string
		query string
		steps []recvStep
		want  []string
		echo  []byte // expected bytes sent back (echo=1)
	}{
		{name: "text", steps: []recvStep{{send: frame(true, 0x1, []byte("foo"))}},
			want: []string{"data=[foo] typ=text err=nil" + ok}},
		{name: "text utf-8", steps: []recvStep{{send: frame(true, 0x1, []byte("héllo wörld ✓ 世界 🎉"))}},
			want: []string{"data=[héllo wörld ✓ 世界 🎉] typ=text err=nil" + ok}},
		{name: "binary", query: "echo=1", steps: []recvStep{{send: frame(true, 0x2, []byte{0, 1, 0xfe, 0xff, 'z'})}},
			want: []string{"data=[\x00\x01\xfe\xffz] typ=binary err=nil" + ok},
			echo: serverFrame(true, 0x2, []byte{0, 1, 0xfe, 0xff, 'z'})},
		{name: "text 0 bytes", steps: []recvStep{{send: frame(true, 0x1, nil)}},
			want: []string{"data=[] typ=text err=nil" + ok}},
		{name: "text 125 bytes", query: "echo=1", steps: []recvStep{{send: frame(true, 0x1, repeatByte('a', 125))}},
			want: []string{"data=[<125 bytes>] typ=text err=nil" + ok}, echo: serverFrame(true, 0x2, repeatByte('a', 125))},
		{name: "text 126 bytes", query: "echo=1", steps: []recvStep{{send: frame(true, 0x1, repeatByte('a', 126))}},
			want: []string{"data=[<126 bytes>] typ=text err=nil" + ok}, echo: serverFrame(true, 0x2, repeatByte('a', 126))},
		{name: "text 127 bytes", query: "echo=1", steps: []recvStep{{send: frame(true, 0x1, repeatByte('a', 127))}},
			want: []string{"data=[<127 bytes>] typ=text err=nil" + ok}, echo: serverFrame(true, 0x2, repeatByte('a', 127))},
		{name: "text 65535 bytes default limit", query: "echo=1",
			steps: []recvStep{{send: frame(true, 0x1, append(repeatByte('a', 65534), 'b'))}},
			want:  []string{"data=[<65535 bytes>] typ=text err=nil" + ok}, echo: serverFrame(true, 0x2, append(repeatByte('a', 65534), 'b'))},
		// upstream sanity.t TEST 17
		{name: "text 65536 bytes default limit", query: "n=2",
			steps: []recvStep{{send: frame(true, 0x1, append(repeatByte('a', 65535), 'b'))}},
			want: []string{"data=nil typ=nil err=exceeding max payload len errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
		{name: "text 65536 bytes raised limit", query: "echo=1&max_payload_len=65536",
			steps: []recvStep{{send: frame(true, 0x1, repeatByte('a', 65536))}},
			want:  []string{"data=[<65536 bytes>] typ=text err=nil" + ok}, echo: serverFrame(true, 0x2, repeatByte('a', 65536))},
		{name: "max_recv_len 10 allows 10", query: "max_recv_len=10",
			steps: []recvStep{{send: frame(true, 0x1, []byte("0123456789"))}},
			want:  []string{"data=[0123456789] typ=text err=nil" + ok}},
		{name: "max_recv_len 10 refuses 11", query: "max_recv_len=10",
			steps: []recvStep{{send: frame(true, 0x1, []byte("0123456789a"))}},
			want:  []string{"data=nil typ=nil err=exceeding max payload len errtype=string fatal=true"}},
		{name: "1 MiB binary raised limit", query: "echo=1&max_payload_len=1048576",
			steps: []recvStep{{send: frame(true, 0x2, mib)}},
			want:  []string{"data=[<1048576 bytes>] typ=binary err=nil" + ok}, echo: serverFrame(true, 0x2, mib)},
		{name: "1 MiB default limit", query: "n=1",
			steps: []recvStep{{send: frame(true, 0x2, mib)}},
			want:  []string{"data=nil typ=nil err=exceeding max payload len errtype=string fatal=true"}},
		// upstream sanity.t TESTs 18-20
		{name: "fragmented message", query: "n=3",
			steps: []recvStep{{send: frame(false, 0x1, []byte("foo"))}, {send: frame(false, 0x0, []byte("bar"))},
				{send: frame(true, 0x0, []byte("baz"))}},
			want: []string{"data=[foo] typ=text err=again errtype=string fatal=nil",
				"data=[bar] typ=continuation err=again errtype=string fatal=nil",
				"data=[baz] typ=continuation err=nil" + ok}},
		{name: "fragmented binary, ping in between", query: "n=3",
			steps: []recvStep{{send: append(frame(false, 0x2, []byte("ab")), append(frame(true, 0x9, []byte("p")), frame(true, 0x0, []byte("cd"))...)...)}},
			want: []string{"data=[ab] typ=binary err=again errtype=string fatal=nil",
				"data=[p] typ=ping err=nil" + ok, "data=[cd] typ=continuation err=nil" + ok}},
		{name: "two frames in one write", query: "n=2",
			steps: []recvStep{{send: append(frame(true, 0x1, []byte("a")), frame(true, 0x1, []byte("b"))...)}},
			want:  []string{"data=[a] typ=text err=nil" + ok, "data=[b] typ=text err=nil" + ok}},
		{name: "ping empty", steps: []recvStep{{send: frame(true, 0x9, nil)}},
			want: []string{"data=[] typ=ping err=nil" + ok}},
		{name: "ping payload", steps: []recvStep{{send: frame(true, 0x9, []byte("are you there"))}},
			want: []string{"data=[are you there] typ=ping err=nil" + ok}},
		{name: "ping 125 bytes", steps: []recvStep{{send: frame(true, 0x9, repeatByte('p', 125))}},
			want: []string{"data=[<125 bytes>] typ=ping err=nil" + ok}},
		{name: "pong payload", steps: []recvStep{{send: frame(true, 0xa, []byte("yes"))}},
			want: []string{"data=[yes] typ=pong err=nil" + ok}},
		{name: "close code and reason", steps: []recvStep{{send: frame(true, 0x8, closePayload(1000, "yes"))}},
			want: []string{"data=[yes] typ=close err=1000 errtype=number fatal=nil"}},
		{name: "close code only", steps: []recvStep{{send: frame(true, 0x8, closePayload(1002, ""))}},
			want: []string{"data=[] typ=close err=1002 errtype=number fatal=nil"}},
		{name: "close empty", steps: []recvStep{{send: frame(true, 0x8, nil)}},
			want: []string{"data=[] typ=close err=nil" + ok}},
		{name: "close 1-byte body", query: "n=2", steps: []recvStep{{send: frame(true, 0x8, []byte{3})}},
			want: []string{"data=nil typ=nil err=close frame with a body must carry a 2-byte status code errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
		{name: "RSV1", query: "n=2", steps: []recvStep{{send: frameHead(0x80|0x40|0x1, true, 3, []byte("foo"))}},
			want: []string{"data=nil typ=nil err=bad RSV1, RSV2, or RSV3 bits errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
		{name: "RSV2", steps: []recvStep{{send: frameHead(0x80|0x20|0x1, true, 3, []byte("foo"))}},
			want: []string{"data=nil typ=nil err=bad RSV1, RSV2, or RSV3 bits errtype=string fatal=true"}},
		{name: "RSV3", steps: []recvStep{{send: frameHead(0x80|0x10|0x2, true, 3, []byte("foo"))}},
			want: []string{"data=nil typ=nil err=bad RSV1, RSV2, or RSV3 bits errtype=string fatal=true"}},
		{name: "opcode 0x3", query: "n=2", steps: []recvStep{{send: frame(true, 0x3, []byte("foo"))}},
			want: []string{"data=nil typ=nil err=reserved non-control frames errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
		{name: "opcode 0x7", steps: []recvStep{{send: frame(true, 0x7, []byte("foo"))}},
			want: []string{"data=nil typ=nil err=reserved non-control frames errtype=string fatal=true"}},
		{name: "opcode 0xb", query: "n=2", steps: []recvStep{{send: frame(true, 0xb, []byte("foo"))}},
			want: []string{"data=nil typ=nil err=reserved control frames errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
		{name: "opcode 0xf", steps: []recvStep{{send: frame(true, 0xf, []byte("foo"))}},
			want: []string{"data=nil typ=nil err=reserved control frames errtype=string fatal=true"}},
		{name: "unmasked", query: "n=2", steps: []recvStep{{send: frameHead(0x81, false, 3, []byte("foo"))}},
			want: []string{"data=nil typ=nil err=frame unmasked errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
		{name: "64-bit length beyond 31 bits (high word)", query: "n=2",
			steps: []recvStep{{send: []byte{0x82, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0}}},
			want: []string{"data=nil typ=nil err=payload len too large errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
		{name: "64-bit length beyond 31 bits (bit 31)",
			steps: []recvStep{{send: []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0x80, 0, 0, 0}}},
			want:  []string{"data=nil typ=nil err=payload len too large errtype=string fatal=true"}},
		{name: "control frame 126 bytes", query: "n=2",
			steps: []recvStep{{send: frameHead(0x89, true, 126, repeatByte('p', 126))}},
			want: []string{"data=nil typ=nil err=too long payload for control frame errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
		{name: "close frame 126 bytes",
			steps: []recvStep{{send: frameHead(0x88, true, 126, repeatByte('p', 126))}},
			want:  []string{"data=nil typ=nil err=too long payload for control frame errtype=string fatal=true"}},
		{name: "fragmented ping", query: "n=2", steps: []recvStep{{send: frame(false, 0x9, []byte("x"))}},
			want: []string{"data=nil typ=nil err=fragmented control frame errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
		{name: "fragmented close", steps: []recvStep{{send: frame(false, 0x8, closePayload(1000, ""))}},
			want: []string{"data=nil typ=nil err=fragmented control frame errtype=string fatal=true"}},
		{name: "first 2 bytes timeout, then a frame", query: "n=2&timeout=50",
			steps: []recvStep{{waitLog: "frame 1:", send: hello}},
			want: []string{"data=nil typ=nil err=failed to receive the first 2 bytes: timeout errtype=string fatal=nil",
				"data=[hello] typ=text err=nil" + ok}},
		{name: "first 2 bytes timeout after 1 byte, then the rest", query: "n=2&timeout=50",
			steps: []recvStep{{send: hello[:1], early: true}, {waitLog: "frame 1:", send: hello[1:]}},
			want: []string{"data=nil typ=nil err=failed to receive the first 2 bytes: timeout errtype=string fatal=nil",
				"data=[hello] typ=text err=nil" + ok}},
		{name: "first 2 bytes closed", query: "n=2",
			steps: []recvStep{{closeW: true}},
			want: []string{"data=nil typ=nil err=failed to receive the first 2 bytes: closed errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
		{name: "first 2 bytes closed after 1 byte", query: "n=1",
			steps: []recvStep{{send: hello[:1], closeW: true}},
			want:  []string{"data=nil typ=nil err=failed to receive the first 2 bytes: closed errtype=string fatal=true"}},
		{name: "payload timeout mid-frame, then the rest", query: "n=2&timeout=50",
			steps: []recvStep{{send: hello[:5], early: true}, {waitLog: "frame 1:", send: hello[5:]}},
			want: []string{"data=nil typ=nil err=failed to read masking-len and payload: timeout errtype=string fatal=nil",
				"data=[hello] typ=text err=nil" + ok}},
		{name: "payload timeout in the masking key, then the rest", query: "n=3&timeout=50",
			steps: []recvStep{{send: hello[:3], early: true}, {waitLog: "frame 1:", send: hello[3:]}, {send: frame(true, 0x1, []byte("next"))}},
			want: []string{"data=nil typ=nil err=failed to read masking-len and payload: timeout errtype=string fatal=nil",
				"data=[hello] typ=text err=nil" + ok, "data=[next] typ=text err=nil" + ok}},
		{name: "16-bit length timeout, then the rest", query: "n=2&timeout=50",
			steps: []recvStep{{send: frame(true, 0x1, repeatByte('x', 200))[:3], early: true},
				{waitLog: "frame 1:", send: frame(true, 0x1, repeatByte('x', 200))[3:]}},
			want: []string{"data=nil typ=nil err=failed to receive the 2 byte payload length: timeout errtype=string fatal=nil",
				"data=[<200 bytes>] typ=text err=nil" + ok}},
		{name: "payload closed mid-frame", query: "n=2",
			steps: []recvStep{{send: hello[:8], closeW: true}},
			want: []string{"data=nil typ=nil err=failed to read masking-len and payload: closed errtype=string fatal=true",
				"data=nil typ=nil err=fatal error already happened errtype=string fatal=true"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := serveFile(t, testdataPath(t, "recv.lua"))
			var early []byte
			if len(tc.steps) > 0 && tc.steps[0].early {
				early = tc.steps[0].send
			}
			c := ts.upgradeEarly(t, "/s?"+tc.query, early)
			echoed := make(chan []byte, 1)
			go func() {
				_ = c.SetReadDeadline(time.Now().Add(2 * waitTimeout))
				b, _ := io.ReadAll(c.br)
				echoed <- b
			}()
			for _, st := range tc.steps {
				if st.waitLog != "" {
					ts.log.waitFor(t, st.waitLog)
				}
				if len(st.send) > 0 && !st.early {
					// A server that rejects a frame by its header (too long) may close before
					// it has read the rest: the write then meets a reset, which is not the
					// outcome checked (the handler's lines are).
					if _, err := c.Write(st.send); err != nil && !isReset(err) {
						t.Fatalf("write: %v", err)
					}
				}
				if st.closeW {
					_ = c.Conn.(*net.TCPConn).CloseWrite()
				}
			}
			ts.log.waitFor(t, "handler done")
			for i, w := range tc.want {
				prefix := fmt.Sprintf("frame %d: ", i+1)
				lines := ts.log.lines(prefix)
				if len(lines) != 1 {
					t.Errorf("%d log lines with %q, want 1; log:\n%s", len(lines), prefix, ts.log.String())
					continue
				}
				got := lines[0][strings.Index(lines[0], prefix)+len(prefix):]
				got, _, _ = strings.Cut(got, ", client: ")
				if got != w {
					t.Errorf("frame %d:\n got %s\nwant %s", i+1, got, w)
				}
			}
			if l := ts.log.lines("[error]"); len(l) > 0 && tc.echo != nil {
				t.Errorf("error lines: %q", l)
			}
			if tc.echo != nil {
				got := <-echoed
				if !bytes.Equal(got, tc.echo) {
					t.Errorf("echoed %d bytes (head %x), want %d bytes (head %x)", len(got), head(got), len(tc.echo), head(tc.echo))
				}
			}
		})
	}
}

func head(b []byte) []byte {
	if len(b) > 12 {
		return b[:12]
	}
	return b
}

// ---------------------------------------------------------------------------------------------
// send_*

// TestSend drives testdata/send.lua: each send method's return values, wb.fatal after it, and
// the exact bytes on the wire (read raw from the connection).
func TestSend(t *testing.T) {
	t.Parallel()
	after := serverFrame(true, 0x1, []byte("after"))
	const afterOK = "bytes=7 err=nil"
	const afterFatal = "bytes=nil err=fatal error already happened"
	cases := []struct {
		query     string
		wantOp    string
		wantWire  []byte // the op's frame(s), before "after"
		wantAfter string
	}{
		{"op=text", "bytes=7 err=nil fatal=nil", serverFrame(true, 0x1, []byte("hello")), afterOK},
		{"op=text_utf8", "bytes=16 err=nil fatal=nil", serverFrame(true, 0x1, []byte("héllo, 世界")), afterOK},
		{"op=text_empty", "bytes=2 err=nil fatal=nil", []byte{0x81, 0}, afterOK},
		{"op=text_nil", "bytes=2 err=nil fatal=nil", []byte{0x81, 0}, afterOK},
		{"op=text_number", "bytes=4 err=nil fatal=nil", serverFrame(true, 0x1, []byte("42")), afterOK},
		{"op=binary", "bytes=6 err=nil fatal=nil", []byte{0x82, 4, 0, 1, 2, 255}, afterOK},
		{"op=binary_125", "bytes=127 err=nil fatal=nil", append([]byte{0x82, 125}, repeatByte('b', 125)...), afterOK},
		{"op=binary_126", "bytes=130 err=nil fatal=nil", append([]byte{0x82, 126, 0, 126}, repeatByte('b', 126)...), afterOK},
		{"op=binary_65535", "bytes=65539 err=nil fatal=nil", append([]byte{0x82, 126, 0xff, 0xff}, repeatByte('b', 65535)...), afterOK},
		{"op=binary_65536&max_send_len=65536", "bytes=65546 err=nil fatal=nil",
			append([]byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}, repeatByte('b', 65536)...), afterOK},
		{"op=binary_65536&max_payload_len=65536", "bytes=65546 err=nil fatal=nil",
			append([]byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}, repeatByte('b', 65536)...), afterOK},
		{"op=binary_65536", "bytes=nil err=payload too big fatal=true", nil, afterFatal},
		{"op=text&max_send_len=4", "bytes=nil err=payload too big fatal=true", nil, afterFatal},
		{"op=ping", "bytes=2 err=nil fatal=nil", []byte{0x89, 0}, afterOK},
		{"op=ping_msg", "bytes=15 err=nil fatal=nil", serverFrame(true, 0x9, []byte("are you there")), afterOK},
		{"op=ping_126", "bytes=nil err=too much payload for control frame fatal=true", nil, afterFatal},
		{"op=pong", "bytes=2 err=nil fatal=nil", []byte{0x8a, 0}, afterOK},
		{"op=pong_msg", "bytes=5 err=nil fatal=nil", []byte{0x8a, 3, 'y', 'e', 's'}, afterOK},
		{"op=pong_126", "bytes=nil err=too much payload for control frame fatal=true", nil, afterFatal},
		{"op=close", "bytes=2 err=nil fatal=nil", []byte{0x88, 0}, afterOK},
		{"op=close_code", "bytes=4 err=nil fatal=nil", []byte{0x88, 2, 0x03, 0xe8}, afterOK},
		{"op=close_code_msg", "bytes=14 err=nil fatal=nil", serverFrame(true, 0x8, closePayload(1001, "going away")), afterOK},
		{"op=close_max_code", "bytes=4 err=nil fatal=nil", []byte{0x88, 2, 0x7f, 0xff}, afterOK},
		{"op=close_string_code", "bytes=nil err=bad status code fatal=nil", nil, afterOK},
		{"op=close_big_code", "bytes=nil err=bad status code fatal=nil", nil, afterOK},
		{"op=close_126", "bytes=nil err=too much payload for control frame fatal=true", nil, afterFatal},
		{"op=frame_nofin", "bytes=6 err=nil fatal=nil", []byte{0x01, 4, 'f', 'r', 'a', 'g'}, afterOK},
		{"op=frame_binary", "bytes=5 err=nil fatal=nil", []byte{0x82, 3, 'r', 'a', 'w'}, afterOK},
		{"op=frame_ping_nofin", "bytes=nil err=fragmented control frame fatal=true", nil, afterFatal},
		{"op=continue", "bytes=6 err=nil fatal=nil", []byte{0x80, 4, 't', 'a', 'i', 'l'}, afterOK},
		{"op=set_timeout&ms=20", "bytes=nil err=failed to receive the first 2 bytes: timeout fatal=nil", nil, afterOK},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			t.Parallel()
			ts := serveFile(t, testdataPath(t, "send.lua"))
			c := ts.upgrade(t, "/s?"+tc.query)
			wire := c.readAll(t)
			op, _, _ := strings.Cut(strings.TrimPrefix(tc.query, "op="), "&")
			if got := logTail(t, ts, "op "+op+": "); got != tc.wantOp {
				t.Errorf("op: got %q, want %q", got, tc.wantOp)
			}
			if got := logTail(t, ts, "after: "); got != tc.wantAfter {
				t.Errorf("after: got %q, want %q", got, tc.wantAfter)
			}
			want := append([]byte(nil), tc.wantWire...)
			if tc.wantAfter == afterOK {
				want = append(want, after...)
			}
			if !bytes.Equal(wire, want) {
				t.Errorf("wire: got %d bytes %q, want %d bytes %q", len(wire), trunc(wire), len(want), trunc(want))
			}
		})
	}
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// logTail returns the text after prefix on the log line with prefix, without the ", client:"
// suffix.
func logTail(t testing.TB, ts *testServer, prefix string) string {
	t.Helper()
	line := ts.log.waitFor(t, prefix)
	got := line[strings.Index(line, prefix)+len(prefix):]
	got, _, _ = strings.Cut(got, ", client: ")
	return got
}

// TestSendMasked checks send_masked = true: the mask bit is set, a 4-byte key follows the
// length, the payload is masked with it, and bytes counts the key.
func TestSendMasked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		op      string
		b0      byte
		payload string
		bytes   int
	}{
		{"text", 0x81, "hello", 11},
		{"ping_msg", 0x89, "are you there", 19},
		{"close_code_msg", 0x88, "\x03\xe9going away", 18},
		{"text_empty", 0x81, "", 6},
	} {
		t.Run(tc.op, func(t *testing.T) {
			t.Parallel()
			ts := serveFile(t, testdataPath(t, "send.lua"))
			c := ts.upgrade(t, "/s?send_masked=1&op="+tc.op)
			wire := c.readAll(t)
			if got, want := logTail(t, ts, "op "+tc.op+": "), fmt.Sprintf("bytes=%d err=nil fatal=nil", tc.bytes); got != want {
				t.Errorf("op: got %q, want %q", got, want)
			}
			n := len(tc.payload)
			if len(wire) < 6+n {
				t.Fatalf("wire %q too short", wire)
			}
			if wire[0] != tc.b0 || wire[1] != 0x80|byte(n) {
				t.Errorf("header = %x %x, want %x %x", wire[0], wire[1], tc.b0, 0x80|byte(n))
			}
			key := wire[2:6]
			got := make([]byte, n)
			for i := range got {
				got[i] = wire[6+i] ^ key[i%4]
			}
			if string(got) != tc.payload {
				t.Errorf("unmasked payload = %q, want %q", got, tc.payload)
			}
			if rest := wire[6+n:]; len(rest) != 11 || rest[0] != 0x81 || rest[1] != 0x85 {
				t.Errorf("after frame = %x, want a masked 5-byte text frame", rest)
			}
		})
	}
}

// ---------------------------------------------------------------------------------------------
// module shape

func TestModuleShape(t *testing.T) {
	t.Parallel()
	ts := serveScript(t, "shape.lua", `
local function keys(m)
    local t = {}
    for k in pairs(m) do t[#t + 1] = k end
    table.sort(t)
    return #t .. ": " .. table.concat(t, ",")
end
ngx.say(keys(require "resty.websocket.server"))
ngx.say(keys(require "resty.websocket.protocol"))
ngx.say(type(require("resty.websocket.server")._VERSION))
`)
	body, status := get(t, ts.URL+"/t")
	want := "11: _VERSION,new,recv_frame,send_binary,send_close,send_continue,send_frame,send_ping,send_pong,send_text,set_timeout\n" +
		"5: _VERSION,build_frame,new_tab,recv_frame,send_frame\n" +
		"string\n"
	if status != 200 || body != want {
		t.Errorf("got %d %q, want 200 %q; log:\n%s", status, body, want, ts.log.String())
	}
}

func get(t testing.TB, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b), resp.StatusCode
}
