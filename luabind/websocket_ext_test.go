package luabind_test

import (
	"bytes"
	"compress/flate"
	"encoding/binary"

	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// extEcho echoes data frames with the opt-in extensions taken from the query string.
const extEcho = `
local server = require "resty.websocket.server"
local args = ngx.req.get_uri_args()
local opts = { timeout = 10000, max_payload_len = 65535 }
if args.protocols then
  opts.protocols = {}
  for p in string.gmatch(args.protocols, "[^,]+") do opts.protocols[#opts.protocols + 1] = p end
end
opts.compression = args.compression == "1"
opts.strict = args.strict == "1"
opts.ping_interval = tonumber(args.ping)
opts.idle_timeout = tonumber(args.idle)
local wb, err = server:new(opts)
if not wb then
  ngx.log(ngx.ERR, "failed to new websocket: ", err)
  return ngx.exit(400)
end
if wb.protocol then wb:send_text("protocol=" .. wb.protocol) end
while true do
  local data, typ, err = wb:recv_frame()
  if not data then
    if wb.fatal then
      ngx.log(ngx.ERR, "failed to receive frame: ", err)
      return ngx.exit(444)
    end
  elseif typ == "close" then
    wb:send_close(1000, "bye")
    break
  elseif typ == "ping" then
    wb:send_pong(data)
  elseif typ == "text" or typ == "binary" or typ == "continuation" then
    local op = ({ text = 0x1, binary = 0x2, continuation = 0x0 })[typ]
    local bytes, err = wb:send_frame(err ~= "again", op, data)
    if not bytes then
      ngx.log(ngx.ERR, "failed to send: ", err)
      return ngx.exit(444)
    end
  end
end
`

func dialExt(t *testing.T, ts *testServer, query string, d websocket.Dialer, h http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d.HandshakeTimeout = waitTimeout
	c, resp, err := d.Dial(ts.wsURL("/s?"+query), h)
	if c != nil {
		t.Cleanup(func() { c.Close() })
		_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	}
	return c, resp, err
}

func TestSubprotocols(t *testing.T) {
	t.Parallel()
	ts := serveScript(t, "ext.lua", extEcho)
	cases := []struct {
		name    string
		server  string
		offered []string
		want    string // chosen protocol; "" = refused
		log     string
	}{
		{"server order wins", "v2,v1", []string{"v1", "v2"}, "v2", ""},
		{"only one common", "v2,v1", []string{"v1", "x"}, "v1", ""},
		{"none common", "v2,v1", []string{"x", "y"}, "",
			"failed to new websocket: none of the client's subprotocols is supported (offered: x, y; server accepts: v2, v1)"},
		{"none offered", "v2", nil, "",
			"failed to new websocket: no subprotocol offered by the client (server accepts: v2)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, resp, err := dialExt(t, ts, "protocols="+tc.server, websocket.Dialer{Subprotocols: tc.offered}, nil)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("handshake accepted (protocol %q), want refusal", c.Subprotocol())
				}
				if resp == nil || resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("refusal: %v, response %v", err, resp)
				}
				ts.log.waitFor(t, tc.log)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Subprotocol(); got != tc.want {
				t.Fatalf("Sec-WebSocket-Protocol %q, want %q", got, tc.want)
			}
			_, msg, err := c.ReadMessage()
			if err != nil || string(msg) != "protocol="+tc.want {
				t.Fatalf("wb.protocol: %q, %v", msg, err)
			}
		})
	}
}

func TestCompressionGorilla(t *testing.T) {
	t.Parallel()
	ts := serveScript(t, "ext.lua", extEcho)
	for _, on := range []bool{false, true} {
		q := "compression=0"
		if on {
			q = "compression=1"
		}
		t.Run(q, func(t *testing.T) {
			c, resp, err := dialExt(t, ts, q, websocket.Dialer{EnableCompression: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ext := resp.Header.Get("Sec-WebSocket-Extensions")
			if on != strings.HasPrefix(ext, "permessage-deflate") {
				t.Fatalf("Sec-WebSocket-Extensions %q with %s", ext, q)
			}
			c.EnableWriteCompression(true)
			msgs := [][]byte{[]byte("hello"), {}, bytes.Repeat([]byte("abcdefgh"), 4000), []byte("hello again")}
			for i, m := range msgs {
				typ := websocket.TextMessage
				if i%2 == 1 {
					typ = websocket.BinaryMessage
				}
				if err := c.WriteMessage(typ, m); err != nil {
					t.Fatal(err)
				}
				gt, got, err := c.ReadMessage()
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if gt != typ || !bytes.Equal(got, m) {
					t.Fatalf("message %d: echoed type %d len %d, want type %d len %d", i, gt, len(got), typ, len(m))
				}
			}
		})
	}
}

// rawDeflate compresses p as one permessage-deflate message (no context takeover).
func rawDeflate(t *testing.T, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(p)
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// readClose reads server frames until a close frame and returns its status code.
func readClose(t *testing.T, c *wsConn) int {
	t.Helper()
	b := c.readAll(t)
	for len(b) >= 2 {
		op := b[0] & 0x0f
		n := int(b[1] & 0x7f)
		hdr := 2
		switch n {
		case 126:
			n, hdr = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			n, hdr = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if len(b) < hdr+n {
			break
		}
		if op == 0x8 && n >= 2 {
			return int(binary.BigEndian.Uint16(b[hdr:]))
		}
		b = b[hdr+n:]
	}
	t.Fatalf("no close frame in %q", b)
	return 0
}

func TestExtensionRejects(t *testing.T) {
	t.Parallel()
	ts := serveScript(t, "ext.lua", extEcho)
	deflateHdr := "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover"
	bomb := rawDeflate(t, make([]byte, 1<<20))
	cases := []struct {
		name  string
		query string
		extra []string
		frame []byte
		code  int
		log   string
	}{
		{"deflate bomb", "compression=1", []string{deflateHdr}, frameRSV1(0x1, bomb), 1009,
			"failed to receive frame: exceeding max payload len"},
		{"garbage deflate", "compression=1", []string{deflateHdr}, frameRSV1(0x1, []byte{0xff, 0xff, 0xff}), 1007,
			"failed to receive frame: invalid compressed data"},
		{"rsv1 without the extension", "compression=1", nil, frameRSV1(0x1, rawDeflate(t, []byte("x"))), 0,
			"failed to receive frame: bad RSV1, RSV2, or RSV3 bits"},
		{"strict bad utf-8", "strict=1", nil, frame(true, 0x1, []byte("a\xffb")), 1007,
			"failed to receive frame: invalid UTF-8 in text message"},
		{"strict utf-8 split over fragments, then cut", "strict=1", nil,
			append(frame(false, 0x1, []byte("\xe2\x82")), frame(true, 0x0, []byte("x"))...), 1007,
			"failed to receive frame: invalid UTF-8 in text message"},
		{"strict close code 1005", "strict=1", nil, frame(true, 0x8, closePayload(1005, "")), 1002,
			"failed to receive frame: invalid close status code"},
		{"strict bad close reason", "strict=1", nil, frame(true, 0x8, closePayload(1000, "\xc3")), 1007,
			"failed to receive frame: invalid UTF-8 in close reason"},
		{"strict stray continuation", "strict=1", nil, frame(true, 0x0, []byte("x")), 1002,
			"failed to receive frame: unexpected continuation frame"},
		{"strict new message inside a fragmented one", "strict=1", nil,
			append(frame(false, 0x1, []byte("a")), frame(true, 0x1, []byte("b"))...), 1002,
			"failed to receive frame: unfinished fragmented message"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.upgrade(t, "/s?"+tc.query, tc.extra...)
			c.write(t, tc.frame)
			if tc.code != 0 {
				if got := readClose(t, c); got != tc.code {
					t.Fatalf("close code %d, want %d", got, tc.code)
				}
			}
			ts.log.waitFor(t, tc.log)
		})
	}
	// Without strict, the same bytes pass as upstream passes them.
	t.Run("default mode passes bad utf-8", func(t *testing.T) {
		c := ts.upgrade(t, "/s")
		c.write(t, frame(true, 0x1, []byte("a\xffb")))
		c.write(t, frame(true, 0x8, closePayload(1000, "")))
		if b := c.readAll(t); !bytes.Contains(b, []byte("a\xffb")) {
			t.Fatalf("echo missing: %q", b)
		}
	})
}

// frameRSV1 is a masked client frame with RSV1 set.
func frameRSV1(op byte, payload []byte) []byte {
	b := frame(true, op, payload)
	b[0] |= 0x40
	return b
}

func TestKeepalivePingAndIdle(t *testing.T) {
	t.Parallel()
	ts := serveScript(t, "ext.lua", extEcho)
	c, _, err := dialExt(t, ts, "ping=50&idle=400", websocket.Dialer{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pings atomic.Int32
	c.SetPingHandler(func(string) error { pings.Add(1); return nil }) // answer nothing: stay "silent"
	_, _, err = c.ReadMessage()
	var ce *websocket.CloseError
	if !errorAs(err, &ce) || ce.Code != websocket.CloseGoingAway || ce.Text != "idle timeout" {
		t.Fatalf("read: %v, want close 1001 \"idle timeout\"", err)
	}
	if pings.Load() < 2 {
		t.Fatalf("%d pings before the idle close, want several", pings.Load())
	}
}

func errorAs(err error, target **websocket.CloseError) bool {
	ce, ok := err.(*websocket.CloseError)
	if ok {
		*target = ce
	}
	return ok
}

// TestRejectAfterCoalescedEchoes: frames that arrive together are echoed with their replies
// held back and written together (coalesce.go); a frame the extensions then refuse is
// answered with a close frame that follows every echo already sent, and nothing after it.
func TestRejectAfterCoalescedEchoes(t *testing.T) {
	t.Parallel()
	ts := serveScript(t, "ext.lua", extEcho)
	for _, n := range []int{1, 3, 20} {
		t.Run(strings.Repeat("m", n), func(t *testing.T) {
			c := ts.upgrade(t, "/s?strict=1")
			var in []byte
			for i := range n {
				in = append(in, frame(true, 0x1, []byte("message "+string(rune('a'+i%26))))...)
			}
			in = append(in, frame(true, 0x1, []byte("a\xffb"))...)
			c.write(t, in)
			b := c.readAll(t)
			var got []string
			for len(b) >= 2 {
				op, size := b[0]&0x0f, int(b[1]&0x7f)
				if size > 125 || len(b) < 2+size {
					t.Fatalf("unexpected frame bytes %q", b)
				}
				p := b[2 : 2+size]
				b = b[2+size:]
				if op == 0x8 {
					if code := int(binary.BigEndian.Uint16(p)); code != 1007 || len(b) != 0 {
						t.Fatalf("close %d followed by %q, want 1007 and nothing", code, b)
					}
					got = append(got, "close")
					break
				}
				got = append(got, string(p))
			}
			var want []string
			for i := range n {
				want = append(want, "message "+string(rune('a'+i%26)))
			}
			want = append(want, "close")
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("frames %q, want %q", got, want)
			}
		})
	}
}
