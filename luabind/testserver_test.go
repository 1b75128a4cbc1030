package luabind_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
)

// syncBuf is a goroutine-safe error log sink.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines returns the log lines containing substr.
func (s *syncBuf) lines(substr string) []string {
	var out []string
	for _, l := range strings.Split(s.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// waitTimeout bounds how long a test waits for the server to do something; it only decides
// when a test gives up, never whether it passes.
const waitTimeout = 10 * time.Second

// waitFor waits until the log contains substr and returns that log line.
func (s *syncBuf) waitFor(t testing.TB, substr string) string {
	t.Helper()
	end := time.Now().Add(waitTimeout)
	for {
		if l := s.lines(substr); len(l) > 0 {
			return l[0]
		}
		if time.Now().After(end) {
			t.Fatalf("error log never got %q; log:\n%s", substr, s.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// testServer is a luaws host serving one Lua handler on every path.
type testServer struct {
	*httptest.Server
	log  *syncBuf
	addr string // host:port
	host *luabind.Host
}

// testdataPath is the absolute path of a testdata script.
func testdataPath(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// serveFile serves the Lua file at path with a fresh host logging at debug level.
func serveFile(t testing.TB, path string) *testServer {
	t.Helper()
	log := &syncBuf{}
	host, err := luabind.NewHost(luabind.Config{Log: errlog.New(log, errlog.Debug)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.FileHandler(path)
	if err != nil {
		t.Fatal(err)
	}
	return start(t, host, h, log)
}

// serveScript writes src to a file called name in a temporary directory and serves it, so
// that log lines show "name:LINE".
func serveScript(t testing.TB, name, src string) *testServer {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return serveFile(t, p)
}

func start(t testing.TB, host *luabind.Host, h http.Handler, log *syncBuf) *testServer {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnContext = host.ConnContext
	srv.Config.ErrorLog = nil
	srv.Start()
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, log: log, addr: srv.Listener.Addr().String(), host: host}
}

func (ts *testServer) wsURL(path string) string {
	return "ws://" + ts.addr + path
}

func (ts *testServer) dial(t testing.TB) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The handshake of RFC 6455 section 1.3, also upstream's test suite's.
const (
	testKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	testAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// upgradeRequest is a valid handshake request for path, with extra header lines.
func upgradeRequest(path, host string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", path, host)
	fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", testKey)
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// wsConn is a raw client connection after a successful handshake.
type wsConn struct {
	net.Conn
	br   *bufio.Reader
	resp *http.Response
}

// upgrade dials, sends a handshake for path and reads the 101.
func (ts *testServer) upgrade(t testing.TB, path string, extra ...string) *wsConn {
	t.Helper()
	return ts.upgradeEarly(t, path, nil, extra...)
}

// upgradeEarly is upgrade with early bytes written right behind the request head, so that
// they are there when the handler's first recv_frame starts, however slow the machine.
func (ts *testServer) upgradeEarly(t testing.TB, path string, early []byte, extra ...string) *wsConn {
	t.Helper()
	c := ts.dial(t)
	if _, err := io.WriteString(c, upgradeRequest(path, ts.addr, extra...)+string(early)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read handshake response: %v; log:\n%s", err, ts.log.String())
	}
	_ = c.SetReadDeadline(time.Time{})
	if resp.StatusCode != 101 {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("handshake status %d, body %q; log:\n%s", resp.StatusCode, body, ts.log.String())
	}
	return &wsConn{Conn: c, br: br, resp: resp}
}

func (c *wsConn) write(t testing.TB, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// readAll reads whatever the server sends until it closes the connection.
func (c *wsConn) readAll(t testing.TB) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	b, err := io.ReadAll(c.br)
	if err != nil && !isReset(err) {
		t.Fatalf("read until close: %v (got %q)", err, b)
	}
	return b
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

// rawFrame is a client frame: header byte 0 and payload, masked with maskKey.
var maskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

func frame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	return frameHead(b0, true, len(payload), payload)
}

// frameHead builds a frame with byte 0 as given, the mask bit as given and the shortest
// length encoding for n; payload is masked when masked.
func frameHead(b0 byte, masked bool, n int, payload []byte) []byte {
	b := []byte{b0, 0}
	var mbit byte
	if masked {
		mbit = 0x80
	}
	switch {
	case n <= 125:
		b[1] = mbit | byte(n)
	case n <= 0xffff:
		b[1] = mbit | 126
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b[1] = mbit | 127
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if masked {
		b = append(b, maskKey[:]...)
		for i, p := range payload {
			b = append(b, p^maskKey[i%4])
		}
		return b
	}
	return append(b, payload...)
}

// serverFrame is an unmasked frame as the server sends it.
func serverFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	return frameHead(b0, false, len(payload), payload)
}

func closePayload(code int, reason string) []byte {
	return append([]byte{byte(code >> 8), byte(code)}, reason...)
}

func newBufReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
