package luabind_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// echoScript is the seed blog post's handler, verbatim.
func echoScript(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "scripts", "echo.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dialer writes each message as one frame up to 128 KiB: with gorilla's default 4 KiB write
// buffer, a bigger message goes out fragmented, and the seed handler echoes only the first
// (text) fragment of a fragmented message, as it does on OpenResty.
var dialer = websocket.Dialer{HandshakeTimeout: waitTimeout, WriteBufferSize: 128 << 10}

// TestSeedEcho runs scripts/echo.lua with gorilla/websocket as the client: ping -> pong, text
// echo (UTF-8, empty, large), binary and pong frames ignored, and the close handshake.
func TestSeedEcho(t *testing.T) {
	t.Parallel()
	ts := serveFile(t, echoScript(t))
	c, resp, err := dialer.Dial(ts.wsURL("/s"), nil)
	if err != nil {
		t.Fatalf("dial: %v; log:\n%s", err, ts.log.String())
	}
	defer c.Close()
	if resp.StatusCode != 101 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	pongs := make(chan string, 4)
	c.SetPongHandler(func(s string) error { pongs <- s; return nil })

	expectText := func(want string) {
		t.Helper()
		typ, b, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v; log:\n%s", err, ts.log.String())
		}
		if typ != websocket.TextMessage || string(b) != want {
			t.Fatalf("got type %d %d bytes %.40q, want text %d bytes %.40q", typ, len(b), b, len(want), want)
		}
	}

	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"text", func() error { return c.WriteMessage(websocket.TextMessage, []byte("hello")) }, "hello"},
		{"utf-8", func() error { return c.WriteMessage(websocket.TextMessage, []byte("héllo wörld ✓ 世界 🎉")) }, "héllo wörld ✓ 世界 🎉"},
		{"empty", func() error { return c.WriteMessage(websocket.TextMessage, nil) }, ""},
		{"16 KiB", func() error { return c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("x"), 16<<10)) }, strings.Repeat("x", 16<<10)},
		{"65535", func() error { return c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("y"), 65535)) }, strings.Repeat("y", 65535)},
		{"binary ignored", func() error {
			if err := c.WriteMessage(websocket.BinaryMessage, []byte("bin")); err != nil {
				return err
			}
			return c.WriteMessage(websocket.TextMessage, []byte("after binary"))
		}, "after binary"},
		{"ping answered with an empty pong", func() error {
			if err := c.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(waitTimeout)); err != nil {
				return err
			}
			return c.WriteMessage(websocket.TextMessage, []byte("after ping"))
		}, "after ping"},
		{"pong logged", func() error {
			if err := c.WriteControl(websocket.PongMessage, []byte("q"), time.Now().Add(waitTimeout)); err != nil {
				return err
			}
			return c.WriteMessage(websocket.TextMessage, []byte("after pong"))
		}, "after pong"},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: write: %v", st.name, err)
		}
		expectText(st.want)
	}
	select {
	case p := <-pongs:
		if p != "" {
			t.Errorf("pong payload = %q, want empty (send_pong())", p)
		}
	default:
		t.Errorf("no pong received for the ping")
	}
	ts.log.waitFor(t, "[info]")
	if l := ts.log.lines("client ponged"); len(l) != 1 || !strings.Contains(l[0], "[info]") || !strings.Contains(l[0], "[lua] echo.lua:30: client ponged") {
		t.Errorf("pong log lines = %q, want one [info] ... [lua] echo.lua:30: client ponged", l)
	}

	// close: the handler leaves its loop and answers with send_close() (no status code)
	if err := c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "bye")); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNoStatusReceived {
		t.Errorf("after close: err = %v, want a close frame without status (1005)", err)
	}
	// then the server closes the connection
	_, _, err = c.NextReader()
	if err == nil {
		t.Errorf("connection still open after the close handshake")
	}
	if l := ts.log.lines("[error]"); len(l) > 0 {
		t.Errorf("error log lines: %q", l)
	}
}

// TestSeedEchoNotWebsocket: a plain GET to the seed handler logs the example line
// and closes without a response (ngx.exit(444)).
func TestSeedEchoNotWebsocket(t *testing.T) {
	t.Parallel()
	ts := serveFile(t, echoScript(t))
	c := ts.dial(t)
	fmt.Fprintf(c, "GET /s HTTP/1.1\r\nHost: %s\r\n\r\n", ts.addr)
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	b, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatal(err)
	}
	if len(b) != 0 {
		t.Errorf("response = %q, want no bytes", b)
	}
	line := ts.log.waitFor(t, "failed to new websocket")
	pid := os.Getpid()
	re := regexp.MustCompile(fmt.Sprintf(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] %d#%d: \*1 \[lua\] echo\.lua:7: `+
		`failed to new websocket: bad "upgrade" request header: nil, client: 127\.0\.0\.1, server: localhost, `+
		`request: "GET /s HTTP/1\.1", host: "%s"$`, pid, pid, regexp.QuoteMeta(ts.addr)))
	if !re.MatchString(line) {
		t.Errorf("log line\n%s\ndoes not match\n%s", line, re)
	}
}

// raiseNoFile makes sure the process may open n files.
func raiseNoFile(t testing.TB, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Fatalf("RLIMIT_NOFILE hard limit %d < %d needed; raise it (ulimit -Hn)", lim.Max, n)
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("raise RLIMIT_NOFILE to %d: %v", n, err)
	}
}

// TestEchoLoad1000 opens 1,000 gorilla connections to scripts/echo.lua, then has all of them
// echo at once: every message must come back on its own connection.
func TestEchoLoad1000(t *testing.T) {
	t.Parallel()
	const conns, msgs = 1000, 5
	raiseNoFile(t, 2*conns+512) // client and server ends live in this process
	// The seed's 5 s read timeout is idle behaviour (a log line and a ping): on a loaded
	// machine (the race detector, CI) the first connections can wait longer than that for the
	// last ones to be dialed, so this copy of the seed waits a minute instead.
	seed, err := os.ReadFile(echoScript(t))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "echo.lua")
	patched := strings.Replace(string(seed), "timeout = 5000,", "timeout = 60000,", 1)
	if patched == string(seed) {
		t.Fatal("scripts/echo.lua no longer sets timeout = 5000: update this test")
	}
	if err := os.WriteFile(script, []byte(patched), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := serveFile(t, script)

	clients := make([]*websocket.Conn, conns)
	var wg sync.WaitGroup
	var dialErrs atomic.Int64
	var firstErr atomic.Value
	sem := make(chan struct{}, 100) // don't overflow the listen backlog
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c, _, err := dialer.Dial(ts.wsURL("/s"), nil)
			if err != nil {
				dialErrs.Add(1)
				firstErr.CompareAndSwap(nil, err)
				return
			}
			clients[i] = c
		}()
	}
	wg.Wait()
	if n := dialErrs.Load(); n > 0 {
		t.Fatalf("%d of %d dials failed, first: %v", n, conns, firstErr.Load())
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()

	startGate := make(chan struct{})
	var okMsgs atomic.Int64
	errs := make(chan error, conns)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGate
			_ = c.SetReadDeadline(time.Now().Add(3 * waitTimeout))
			for j := range msgs {
				want := fmt.Sprintf("conn %d message %d é", i, j)
				if err := c.WriteMessage(websocket.TextMessage, []byte(want)); err != nil {
					errs <- fmt.Errorf("conn %d write: %w", i, err)
					return
				}
				typ, got, err := c.ReadMessage()
				if err != nil {
					errs <- fmt.Errorf("conn %d read: %w", i, err)
					return
				}
				if typ != websocket.TextMessage || string(got) != want {
					errs <- fmt.Errorf("conn %d: got %q, want %q", i, got, want)
					return
				}
				okMsgs.Add(1)
			}
			_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
			_, _, err := c.ReadMessage()
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				errs <- fmt.Errorf("conn %d close: %v", i, err)
			}
		}()
	}
	close(startGate)
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n < 5 {
			t.Error(err)
		}
		n++
	}
	if got := okMsgs.Load(); got != conns*msgs {
		t.Errorf("%d of %d messages echoed (%d connection errors)", got, conns*msgs, n)
	}
	if l := ts.log.lines("[error]"); len(l) > 0 {
		t.Errorf("%d error log lines, first: %s", len(l), l[0])
	}
}

// TestBinarySeedDemo builds cmd/luaws and runs it with no --location: the seed's echo handler
// at /s and the demo page, with the error log in a file at debug level.
func TestBinarySeedDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "luaws")
	build := exec.Command("go", "build", "-o", bin, "../cmd/luaws")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile := filepath.Join(dir, "error.log")
	cmd := exec.Command(bin, "--listen", addr, "--error-log", logFile, "--log-level", "debug")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	var c *websocket.Conn
	for end := time.Now().Add(waitTimeout); ; {
		c, _, err = dialer.Dial("ws://"+addr+"/s", nil)
		if err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("dial luaws: %v; stderr:\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	if err := c.WriteMessage(websocket.TextMessage, []byte("from the binary")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := c.ReadMessage(); err != nil || string(b) != "from the binary" {
		t.Errorf("echo = %q, %v; want %q", b, err, "from the binary")
	}

	resp, err := http.Get("http://" + addr + "/websockets.html")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("WebSocket")) {
		t.Errorf("demo page: %d, %d bytes", resp.StatusCode, len(page))
	}

	// a plain GET to /s: 444 and the log line in the --error-log file
	resp, err = http.Get("http://" + addr + "/s")
	if err == nil {
		resp.Body.Close()
		t.Errorf("plain GET /s got a response (%d), want the connection closed", resp.StatusCode)
	}
	re := regexp.MustCompile(`\[error\] \d+#\d+: \*\d+ \[lua\] echo\.lua:7: failed to new websocket: bad "upgrade" request header: nil, client: 127\.0\.0\.1, server: localhost, request: "GET /s HTTP/1\.1", host: "` + regexp.QuoteMeta(addr) + `"\n`)
	for end := time.Now().Add(waitTimeout); ; {
		b, _ := os.ReadFile(logFile)
		if re.Match(b) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("error log has no line matching %s:\n%s", re, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
