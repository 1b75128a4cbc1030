package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/luaws/luaws/luabind"
)

// The websocket fast path (plain-HTTP flag-mode servers).
//
// net/http spends, per connection, a goroutine, a 4 KiB read buffer and a 4 KiB write buffer
// that a hijack never gives back, a background read, and the locking around them; for a
// websocket, all of that serves one request head. So the server reads the first request of
// each connection itself: when it is a well-formed websocket handshake (GET, HTTP/1.1, one
// Host, Upgrade: websocket, no body, nothing nginx's framing rules or net/http would refuse,
// the whole head in one 4 KiB buffer), the request is parsed by http.ReadRequest and served
// by the same handler net/http would call, with a ResponseWriter whose Hijack hands the
// socket over at once. Every other connection goes to net/http untouched, replaying the bytes
// read (its limits, error pages, keep-alive and framing checks apply as before).
//
// A handler that answers a handshake with an ordinary response (a refusal, a 404) adopts
// net/http for it: the connection, its head replayed, is handed to net/http, whose handler
// call gives its ResponseWriter to the waiting handler and returns when that handler is done.
// The response is thus net/http's byte for byte, and the connection lives on under net/http
// (keep-alive), with the same connection number.

// fastHeadSize is the buffer a connection's first request head is read into.
const fastHeadSize = 4096

var headBufs = sync.Pool{New: func() any { b := make([]byte, fastHeadSize); return &b }}

var headReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, fastHeadSize) }}

// fastPath accepts a server's connections and serves websocket handshakes itself.
type fastPath struct {
	s    *Server
	ln   net.Listener // the guard listener
	slow *slowListener
	next chan net.Conn // to a serving goroutine waiting for its next connection

	mu      sync.Mutex
	reading map[net.Conn]struct{} // connections whose first head is being read
	closed  bool
}

func newFastPath(s *Server, ln net.Listener) *fastPath {
	f := &fastPath{s: s, ln: ln, reading: map[net.Conn]struct{}{}, next: make(chan net.Conn)}
	f.slow = &slowListener{f: f, conns: make(chan net.Conn), done: make(chan struct{})}
	return f
}

func (f *fastPath) acceptLoop() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			f.slow.fail(err)
			return
		}
		select {
		case f.next <- c:
		default:
			go f.server(c)
		}
	}
}

// serverIdle is how long a serving goroutine waits for another connection before it ends.
const serverIdle = time.Second

// server serves c and then the connections the accept loop hands it, until none comes for
// serverIdle: a connection's first head is read and parsed on a goroutine whose stack has
// grown already, and no goroutine is made per connection.
func (f *fastPath) server(c net.Conn) {
	var t *time.Timer
	for {
		f.serve(c)
		c = nil
		if t == nil {
			t = time.NewTimer(serverIdle)
		} else {
			t.Reset(serverIdle)
		}
		select {
		case c = <-f.next:
			t.Stop()
		case <-t.C:
			return
		}
	}
}

// close stops accepting and closes the connections still sending their first head.
func (f *fastPath) close() {
	f.mu.Lock()
	f.closed = true
	for c := range f.reading {
		_ = c.Close()
	}
	f.mu.Unlock()
	_ = f.ln.Close()
}

func (f *fastPath) track(c net.Conn, on bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on {
		if f.closed {
			return false
		}
		f.reading[c] = struct{}{}
	} else {
		delete(f.reading, c)
	}
	return true
}

// serve reads c's first request head and serves it, or hands c to net/http.
func (f *fastPath) serve(c net.Conn) {
	fc, ok := c.(*framedConn)
	if !ok || !f.track(c, true) {
		f.slow.deliver(c)
		return
	}
	bp := headBufs.Get().(*[]byte)
	buf := *bp
	_ = fc.SetReadDeadline(time.Now().Add(f.s.hs.ReadHeaderTimeout))
	n, end := 0, -1
	var rerr error
	for {
		m, err := fc.Read(buf[n:])
		n += m
		if end = headEnd(buf[:n]); end >= 0 || err != nil || n == len(buf) {
			rerr = err
			break
		}
	}
	f.track(c, false)
	var req *http.Request
	cancel := context.CancelFunc(nil)
	if end >= 0 && rerr == nil {
		req, cancel = f.parse(fc, buf[:end])
	}
	if req == nil {
		if n == 0 && rerr != nil {
			_ = fc.Close() // gone before a byte, as net/http would close it
		} else {
			f.slow.deliver(&replayConn{framedConn: fc, prefix: append([]byte(nil), buf[:n]...)})
		}
		headBufs.Put(bp)
		return
	}
	_ = fc.SetReadDeadline(time.Time{})
	w := &fastWriter{f: f, fc: fc, head: append([]byte(nil), buf[:n]...), headLen: end}
	headBufs.Put(bp)
	w.req = req
	f.run(w, req)
	cancel()
	w.finish()
}

// run calls the server's handler as net/http would, recovering from its panics.
func (f *fastPath) run(w *fastWriter, req *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			w.aborted = true
			if p != http.ErrAbortHandler {
				f.s.hs.ErrorLog.Printf("http: panic serving %v: %v\n%s", req.RemoteAddr, p, debug.Stack())
			}
		}
	}()
	f.s.hs.Handler.ServeHTTP(w, req)
}

// parse returns the request of head, the first request of fc, when the fast path serves it
// (a websocket handshake nothing would refuse), with the cancel of its context (net/http
// cancels it when the handler returns); nil otherwise.
func (f *fastPath) parse(fc *framedConn, head []byte) (*http.Request, context.CancelFunc) {
	if !plainHandshakeHead(head) {
		return nil, nil
	}
	fc.mu.Lock()
	bad := fc.sn.bad
	fc.mu.Unlock()
	if bad != nil && bad.index == 0 {
		return nil, nil
	}
	req, err := handshakeRequest(head), error(nil)
	if req == nil {
		req, err = readRequest(head)
	}
	if err != nil || req.ProtoMajor != 1 || req.ProtoMinor != 1 || req.Method != http.MethodGet || req.Host == "" ||
		req.ContentLength != 0 || len(req.TransferEncoding) > 0 || req.Header["Expect"] != nil ||
		req.Header["Content-Length"] != nil || !headerHasToken(req.Header, "Upgrade", "websocket") {
		return nil, nil
	}
	ctx := context.WithValue(context.Background(), http.ServerContextKey, f.s.hs)
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, fc.LocalAddr())
	ctx = f.s.hs.ConnContext(ctx, fc)
	ctx, cancel := context.WithCancel(ctx) // one copy of the request, with its final context
	req.RemoteAddr = fc.RemoteAddr().String()
	return req.WithContext(ctx), cancel
}

// plainHandshakeHead checks the bytes of a request head the fast path takes: "GET ", HTTP/1.1,
// printable ASCII, header names of token characters, no folded lines, one Host of plain
// host characters. Anything else is left to net/http and its checks.
func plainHandshakeHead(head []byte) bool {
	if !bytes.HasPrefix(head, []byte("GET /")) {
		return false
	}
	line, rest, _ := bytes.Cut(head, []byte("\n"))
	if !bytes.HasSuffix(line, []byte(" HTTP/1.1\r")) || bytes.Count(line, []byte(" ")) != 2 {
		return false
	}
	hosts := 0
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, []byte("\n"))
		l = bytes.TrimSuffix(l, []byte("\r"))
		if len(l) == 0 {
			return len(rest) == 0 && hosts == 1
		}
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok || len(name) == 0 {
			return false
		}
		for _, c := range name {
			if !isTokenByte(c) {
				return false
			}
		}
		for _, c := range value {
			if c < 0x20 && c != '\t' || c > 0x7e {
				return false
			}
		}
		if asciiEqualFold(name, "host") {
			hosts++
			for _, c := range bytes.Trim(value, " \t") {
				if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
					return false
				}
			}
		}
	}
	return false
}

// tokenBytes are the bytes of an RFC 9110 token (section 5.6.2).
var tokenBytes = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0
	}
	return
}()

func isTokenByte(c byte) bool { return tokenBytes[c] }

// headerHasToken reports whether a comma-separated header holds token (ASCII case ignored).
// It walks the values in place: a handshake's Upgrade header is checked without allocating.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for v != "" {
			t, rest, _ := strings.Cut(v, ",")
			if asciiEqualFoldString(strings.Trim(t, " \t"), token) {
				return true
			}
			v = rest
		}
	}
	return false
}

// asciiEqualFoldString is asciiEqualFold of a string.
func asciiEqualFoldString(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// fastWriter is the ResponseWriter of a request the fast path serves. Hijack hands the
// socket over; any other response adopts net/http's ResponseWriter (see adopt).
type fastWriter struct {
	f       *fastPath
	fc      *framedConn
	req     *http.Request
	head    []byte // the bytes read: the request head (headLen bytes) and what followed
	headLen int

	header   http.Header
	hijacked bool
	aborted  bool      // the handler panicked
	adopted  *adoption // net/http's writer, once adopted
}

func (w *fastWriter) Header() http.Header {
	if w.adopted != nil {
		return w.adopted.w.Header()
	}
	if w.header == nil {
		w.header = make(http.Header)
	}
	return w.header
}

func (w *fastWriter) WriteHeader(code int) {
	if rw := w.adopt(); rw != nil {
		rw.WriteHeader(code)
	}
}

func (w *fastWriter) Write(p []byte) (int, error) {
	rw := w.adopt()
	if rw == nil {
		return 0, http.ErrHijacked
	}
	return rw.Write(p)
}

func (w *fastWriter) Flush() {
	if rw := w.adopt(); rw != nil {
		_ = http.NewResponseController(rw).Flush()
	}
}

// Hijack hands the connection over with the bytes that came after the request head.
func (w *fastWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.adopted != nil {
		return http.NewResponseController(w.adopted.w).Hijack()
	}
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	w.hijacked = true
	// What follows is not HTTP: the framing guard stops following the bytes and lets go of
	// its buffers (an idle websocket keeps none).
	w.fc.mu.Lock()
	w.fc.sn.state, w.fc.sn.head, w.fc.sn.heads = sniffOff, nil, nil
	w.fc.mu.Unlock()
	rest := w.head[w.headLen:]
	var br *bufio.Reader
	if len(rest) > 0 {
		br = bufio.NewReaderSize(&replayConn{framedConn: w.fc, prefix: rest}, len(rest))
		_, _ = br.Peek(len(rest)) // buffered: what the hijacker sees as already read
	} else {
		br = bufio.NewReaderSize(w.fc, 16) // bufio's minimum; the hijacker only asks what is buffered
	}
	w.head = nil
	return w.fc, bufio.NewReadWriter(br, bufio.NewWriterSize(w.fc, 16)), nil
}

// adoption is net/http serving the connection for a fast-path request that got an ordinary
// response: w is its ResponseWriter, lent until done is closed.
type adoption struct {
	w       http.ResponseWriter
	got     chan struct{}
	done    chan struct{}
	aborted bool // the handler panicked: net/http aborts the response too

	closeOnce sync.Once
	closed    chan struct{} // net/http closed the connection (it refused the request)
}

type adoptKey struct{}

// adopt hands the connection, its head replayed, to net/http and waits for its
// ResponseWriter; nil once hijacked, or if net/http does not serve the request.
func (w *fastWriter) adopt() http.ResponseWriter {
	if w.adopted != nil {
		return w.adopted.w
	}
	if w.hijacked {
		return nil
	}
	a := &adoption{got: make(chan struct{}), done: make(chan struct{}), closed: make(chan struct{})}
	rc := &replayConn{framedConn: w.fc, prefix: w.head, adopt: a}
	w.head = nil
	w.hijacked = true // the connection is net/http's now
	if !w.f.slow.deliver(rc) {
		return nil
	}
	select {
	case <-a.got:
	case <-a.closed:
		return nil
	}
	for k, v := range w.header {
		a.w.Header()[k] = v
	}
	w.adopted = a
	return a.w
}

// finish ends the request once the handler returned: an adopted response is net/http's to
// complete; a request that got no response at all gets net/http's empty 200.
func (w *fastWriter) finish() {
	switch {
	case w.adopted != nil:
		w.adopted.aborted = w.aborted
		close(w.adopted.done)
	case w.aborted && !w.hijacked:
		_ = w.fc.Close()
	case !w.hijacked:
		if rw := w.adopt(); rw != nil {
			close(w.adopted.done)
		}
	}
}

// adoptedHandler is the handler net/http runs: for a connection the fast path handed over
// with a response to write, it lends its ResponseWriter; otherwise the server's handler.
func adoptedHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := r.Context().Value(adoptKey{}).(*adoption); ok && a != nil {
			if a.w == nil {
				a.w = w
				close(a.got)
				<-a.done
				if a.aborted {
					panic(http.ErrAbortHandler)
				}
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// replayConn is a connection whose first bytes were read already: Read returns them first.
type replayConn struct {
	*framedConn
	prefix []byte
	adopt  *adoption // set when net/http is to lend its writer for the first request
}

// Close closes the connection; for one handed over with a response to write, it also tells
// the waiting handler that net/http will not lend its writer.
func (c *replayConn) Close() error {
	if c.adopt != nil {
		c.adopt.closeOnce.Do(func() { close(c.adopt.closed) })
	}
	return c.framedConn.Close()
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.framedConn.Read(p)
}

// slowListener is what net/http serves: the connections the fast path does not.
type slowListener struct {
	f     *fastPath
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	mu    sync.Mutex
	err   error // the guard listener's failure
}

// deliver gives c to net/http; false (c closed) once the server stopped.
func (l *slowListener) deliver(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		_ = c.Close()
		return false
	}
}

// fail ends Accept with the guard listener's error.
func (l *slowListener) fail(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
	l.once.Do(func() { close(l.done) })
}

func (l *slowListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil && !errors.Is(l.err, net.ErrClosed) {
			return nil, l.err
		}
		return nil, fmt.Errorf("accept: %w", net.ErrClosed)
	}
}

// Close stops the fast path too (net/http's Shutdown and Close call it).
func (l *slowListener) Close() error {
	l.once.Do(func() { close(l.done) })
	l.f.close()
	return nil
}

func (l *slowListener) Addr() net.Addr { return l.f.ln.Addr() }

// fastConnContext is the http.Server's ConnContext with the fast path: a connection handed
// over keeps the number it was given, and one handed over with a response to write carries
// its adoption.
func fastConnContext(next func(context.Context, net.Conn) context.Context) func(context.Context, net.Conn) context.Context {
	return func(ctx context.Context, c net.Conn) context.Context {
		rc, ok := c.(*replayConn)
		if !ok {
			return next(ctx, c)
		}
		fc := rc.framedConn
		fc.mu.Lock()
		id := fc.id
		fc.mu.Unlock()
		if id == 0 {
			ctx = next(ctx, fc)
		} else {
			ctx = context.WithValue(luabind.WithConnID(ctx, id), framedConnKey{}, fc)
		}
		if rc.adopt != nil {
			ctx = context.WithValue(ctx, adoptKey{}, rc.adopt)
		}
		return ctx
	}
}
