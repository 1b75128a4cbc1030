package server

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/internal/errpage"
	"github.com/luaws/luaws/luabind"
)

// Request framing as nginx checks it.
//
// net/http tolerates framings nginx refuses: two identical Content-Length headers, and
// Content-Length with "Transfer-Encoding: chunked" (it drops the length). Behind a proxy that
// frames the other way, that is request smuggling. So every plain-HTTP connection is read
// through a framedConn, which follows the HTTP/1.1 framing of the bytes net/http reads (each
// request head, then its body by Content-Length or by chunks) and notes the first request
// nginx would refuse. The request's handler then answers it with nginx's 400 (or 501) page
// and closes the connection, and nothing after it on the connection is served. Once a
// handler takes the connection over (a websocket), luabind reads the socket itself.
//
// Requests net/http refuses on its own (two different Content-Lengths, a malformed header)
// never reach a handler: net/http writes its plain-text error to the connection, which the
// framedConn replaces with nginx's page.

// maxSniffHead bounds the request head a framedConn keeps (net/http's MaxHeaderBytes plus
// the request line); past it net/http has refused the request anyway.
const maxSniffHead = 64 << 10

// framingVerdict is the first request of a connection nginx refuses.
type framingVerdict struct {
	index  int    // which request of the connection (0: the first)
	status int    // the response: 400 or 501; 0: a bad body (the connection is closed)
	msg    string // nginx's error-log message (logged at info, as nginx does)
	line   string // the request line, to check the parse agrees with net/http's
	host   string
	// a request line nginx refuses or reads as HTTP/0.9 (lineBad, lineBadVersion, line09;
	// lineWait for the other verdicts): its method and URI, where its head starts in the
	// bytes read with it (-1: in earlier ones), and whether net/http was given the synthetic
	// request instead
	kind        lineState
	method, uri string
	start       int
	replaced    bool
}

type sniffState uint8

const (
	sniffHead sniffState = iota
	sniffBody
	sniffChunkSize
	sniffChunkExt
	sniffChunkData
	sniffChunkEnd
	sniffTrailer
	sniffOff
)

// sniffer follows the framing of one connection's requests.
type sniffer struct {
	state  sniffState
	head   []byte
	remain int64 // body bytes (sniffBody) or chunk bytes (sniffChunkData) left
	digits int   // hex digits of the chunk size so far
	line   int   // length of the current trailer line
	index  int   // the request being read
	bad    *framingVerdict
	// lineDone: the current request's line was found good; headAt: where its head starts
	// in the bytes being fed (-1: in bytes fed before)
	lineDone bool
	headAt   int
	// upgraded: a request asked for an upgrade; what follows may be its new protocol (a
	// websocket's frames), so no line after it is checked
	upgraded bool
	// heads are the request heads read and not yet taken by their handler, as the client
	// sent them (ngx.req.raw_header, header names in their case and order)
	heads []rawHead
}

// rawHead is request index's head, through its empty line.
type rawHead struct {
	index int
	b     []byte
}

// maxHeldHeads bounds the heads a connection holds for handlers not yet started (pipelining).
const maxHeldHeads = 8

// takeHead hands request k's head over (nil when not held).
func (s *sniffer) takeHead(k int) []byte {
	for i, h := range s.heads {
		if h.index == k {
			s.heads = append(s.heads[:i], s.heads[i+1:]...)
			return h.b
		}
	}
	return nil
}

// feed follows p, the next bytes the server read.
func (s *sniffer) feed(p []byte) {
	orig := len(p)
	s.headAt = -1
	for len(p) > 0 {
		switch s.state {
		case sniffOff:
			return
		case sniffHead:
			if len(s.head) == 0 {
				for len(p) > 0 && (p[0] == '\r' || p[0] == '\n') { // nginx skips empty lines
					p = p[1:]
				}
				if len(p) == 0 {
					return
				}
				s.headAt = orig - len(p)
			}
			prev := len(s.head)
			s.head = append(s.head, p...)
			if !s.lineDone && !s.upgraded && s.checkLine() {
				return
			}
			from := max(0, prev-3)
			end := headEnd(s.head[from:])
			if end < 0 {
				if len(s.head) > maxSniffHead {
					s.state = sniffOff
				}
				return
			}
			end += from
			p = p[end-prev:]
			if len(s.heads) == maxHeldHeads {
				s.heads = s.heads[1:]
			}
			s.heads = append(s.heads, rawHead{index: s.index, b: append([]byte(nil), s.head[:end]...)})
			s.parseHead(s.head[:end])
			if cap(s.head) > 4096 {
				s.head = nil
			} else {
				s.head = s.head[:0]
			}
		case sniffBody:
			n := min(int64(len(p)), s.remain)
			p = p[n:]
			s.remain -= n
			if s.remain == 0 {
				s.next()
			}
		case sniffChunkData:
			n := min(int64(len(p)), s.remain)
			p = p[n:]
			s.remain -= n
			if s.remain == 0 {
				s.state = sniffChunkEnd
			}
		default:
			s.chunkByte(p[0])
			p = p[1:]
		}
	}
}

// headEnd is the length of the request head in b (through its empty line), or -1.
func headEnd(b []byte) int {
	i := bytes.Index(b, []byte("\n\r\n"))
	j := bytes.Index(b, []byte("\n\n"))
	switch {
	case i >= 0 && (j < 0 || i < j):
		return i + 3
	case j >= 0:
		return j + 2
	}
	return -1
}

// next starts on the connection's next request.
func (s *sniffer) next() {
	s.state = sniffHead
	s.index++
	s.lineDone = false
}

// checkLine checks the request line received so far; it reports whether nginx refuses it
// or reads it as HTTP/0.9 (then nothing after it is followed).
func (s *sniffer) checkLine() bool {
	lv := checkRequestLine(s.head)
	switch lv.state {
	case lineWait:
		return false
	case lineOK:
		s.lineDone = true
		return false
	}
	line, _, _ := bytes.Cut(s.head, []byte("\n"))
	v := framingVerdict{kind: lv.state, line: string(bytes.TrimRight(line, "\r")), method: lv.method, uri: lv.uri, start: s.headAt}
	switch lv.state {
	case lineBad:
		v.status, v.msg = http.StatusBadRequest, lv.msg+" while reading client request line"
	case lineBadVersion:
		v.status, v.msg = http.StatusHTTPVersionNotSupported, lv.msg+" while reading client request line"
	}
	s.refuse(v)
	return true
}

// refuse notes the request nginx would refuse; nothing after it is followed.
func (s *sniffer) refuse(v framingVerdict) {
	v.index = s.index
	s.bad = &v
	s.state = sniffOff
}

// chunkByte follows one byte of chunked framing, as nginx's ngx_http_parse_chunked.
func (s *sniffer) chunkByte(c byte) {
	switch s.state {
	case sniffChunkSize:
		switch {
		case hexVal(c) >= 0:
			if s.digits >= 15 { // over nginx's NGX_MAX_OFF_T_VALUE / 16
				s.badBody()
				return
			}
			s.remain = s.remain*16 + int64(hexVal(c))
			s.digits++
		case s.digits > 0 && (c == ';' || c == ' ' || c == '\t' || c == '\r'):
			s.state = sniffChunkExt
		case s.digits > 0 && c == '\n':
			s.chunkSized()
		default:
			s.badBody()
		}
	case sniffChunkExt:
		if c == '\n' {
			s.chunkSized()
		}
	case sniffChunkEnd:
		switch c {
		case '\r':
		case '\n':
			s.state, s.remain, s.digits = sniffChunkSize, 0, 0
		default:
			s.badBody()
		}
	case sniffTrailer:
		switch c {
		case '\r':
		case '\n':
			if s.line == 0 {
				s.next()
				return
			}
			s.line = 0
		default:
			s.line++
			if s.line > maxSniffHead {
				s.badBody()
			}
		}
	}
}

func (s *sniffer) chunkSized() {
	if s.remain == 0 {
		s.state, s.line = sniffTrailer, 0
		return
	}
	s.state = sniffChunkData
}

func (s *sniffer) badBody() { s.refuse(framingVerdict{msg: "client sent invalid chunked body"}) }

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseHead checks one request head as nginx's ngx_http_process_request_headers and
// ngx_http_process_request_header do, and sets up reading its body. It allocates only for a
// request it refuses (it runs for every request).
func (s *sniffer) parseHead(head []byte) {
	head = bytes.TrimRight(head, "\r\n")
	reqLine, rest, _ := bytes.Cut(head, []byte("\n"))
	reqLine = bytes.TrimRight(reqLine, "\r")
	http11 := isHTTP11(reqLine)
	// each a header line's name and value, nil when absent
	var host, cl, te headerField
	refuse := func(status int, msg string) {
		s.refuse(framingVerdict{status: status, msg: msg, line: string(reqLine), host: string(host.value)})
	}
	dup := func(what string, f, prev headerField) {
		refuse(400, "client sent duplicate "+what+": \""+f.shown()+"\", previous value: \""+prev.shown()+"\" while reading client request headers")
	}
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, []byte("\n"))
		l = bytes.TrimRight(l, "\r")
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			continue
		}
		f := headerField{name: name, value: bytes.Trim(value, " \t")}
		switch {
		case asciiEqualFold(name, "host"):
			if host.name != nil {
				dup("host header", f, host)
				return
			}
			host = f
		case asciiEqualFold(name, "content-length"):
			if cl.name != nil {
				dup("header line", f, cl)
				return
			}
			cl = f
		case asciiEqualFold(name, "upgrade"):
			s.upgraded = true
		case asciiEqualFold(name, "transfer-encoding"):
			if te.name != nil {
				dup("header line", f, te)
				return
			}
			te = f
		}
	}
	fail := func(status int, msg string) { refuse(status, msg+" while reading client request headers") }
	if host.name == nil && http11 {
		fail(400, "client sent HTTP/1.1 request without \"Host\" header")
		return
	}
	var length int64
	if cl.name != nil {
		n, ok := parseLength(cl.value)
		if !ok {
			fail(400, "client sent invalid \"Content-Length\" header")
			return
		}
		length = n
	}
	if te.name != nil {
		if !http11 {
			fail(400, "client sent HTTP/1.0 request with \"Transfer-Encoding\" header")
			return
		}
		if !asciiEqualFold(te.value, "chunked") {
			fail(501, "client sent unknown \"Transfer-Encoding\": \""+string(te.value)+"\"")
			return
		}
		if cl.name != nil {
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

// headerField is a header line of a request head being checked.
type headerField struct{ name, value []byte }

// shown is the line as nginx's log messages show it.
func (f headerField) shown() string { return string(f.name) + ": " + string(f.value) }

// isHTTP11 reports whether a request line has three fields, the last an HTTP/1.x version
// other than 1.0 (strings.Fields' notion of fields, without its allocation for ASCII).
func isHTTP11(line []byte) bool {
	for _, c := range line {
		if c >= 0x80 {
			f := strings.Fields(string(line))
			return len(f) == 3 && f[2] != "HTTP/1.0" && strings.HasPrefix(f[2], "HTTP/1.")
		}
	}
	n := 0
	var last []byte
	for i := 0; i < len(line); {
		for i < len(line) && asciiSpace(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		j := i
		for j < len(line) && !asciiSpace(line[j]) {
			j++
		}
		n++
		last = line[i:j]
		i = j
	}
	return n == 3 && string(last) != "HTTP/1.0" && bytes.HasPrefix(last, []byte("HTTP/1."))
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// asciiEqualFold compares b with lower, a lower-case ASCII word, ignoring ASCII case.
func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// parseLength is nginx's ngx_atoof: decimal digits only, no sign, no overflow.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n, true
}

// framedConn is an accepted plain-HTTP connection read through a sniffer.
type framedConn struct {
	net.Conn
	log    *errlog.Logger
	server string // server name for log lines

	mu      sync.Mutex
	sn      sniffer
	served  int    // handlers started on this connection
	current []byte // the head of the request being served (requests are served one by one)
	id      uint64 // nginx's connection number, once known
}

func (c *framedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		before := c.sn.bad
		c.sn.feed(p[:n])
		// a line nginx refuses or reads as HTTP/0.9: net/http gets a request it serves at
		// once instead (when the whole head came in these bytes, so none of it was handed
		// over before), and the server's handler answers as nginx does
		if v := c.sn.bad; v != nil && v != before && v.kind != lineWait && v.start >= 0 {
			if syn := v.synthetic(); v.start+len(syn) <= len(p) {
				n = v.start + copy(p[v.start:], syn)
				v.replaced = true
			}
		}
		c.mu.Unlock()
	}
	return n, err
}

// goRefusal is how net/http's answer to a request it could not parse starts and continues
// (it has no Date line, which every response of a handler has).
const goRefusalHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// Write replaces net/http's own plain-text refusal of a malformed request with nginx's page.
func (c *framedConn) Write(p []byte) (int, error) {
	if len(p) > 13 && bytes.HasPrefix(p, []byte("HTTP/1.1 ")) && (p[9] == '4' || p[9] == '5') &&
		bytes.Contains(p, []byte(goRefusalHeaders)) && !bytes.Contains(p, []byte("\r\nDate: ")) {
		c.writeRefusal(p)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *framedConn) writeRefusal(goResp []byte) {
	status := 400
	switch string(goResp[9:12]) {
	case "431":
		status = 494
	case "501":
		status = 501
	case "505":
		status = 505
	}
	c.mu.Lock()
	v := c.sn.bad
	index := c.served
	c.mu.Unlock()
	if v != nil && v.index == index && v.status != 0 {
		status = v.status
		c.logVerdict(v, c.RemoteAddr())
	}
	_ = c.Conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, _ = c.Conn.Write(errpage.Response(status, time.Now(), "", false))
}

func (c *framedConn) logVerdict(v *framingVerdict, addr net.Addr) {
	if c.log == nil {
		return
	}
	lc := &errlog.Conn{ID: c.id, Client: hostOnly(addr.String()), Server: c.server, Request: v.line, Host: v.host}
	level := errlog.Info
	if v.status == 0 {
		level = errlog.Err
	}
	c.log.Log(level, lc, v.msg)
}

// CloseWrite lets net/http half-close after refusing a request, as on a *net.TCPConn.
func (c *framedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// NetConn is the socket itself, for handlers that take the connection over.
func (c *framedConn) NetConn() net.Conn { return c.Conn }

type framedConnKey struct{}

// framingContext wraps an http.Server's ConnContext: it records the framedConn and its
// connection number.
func framingContext(next func(context.Context, net.Conn) context.Context) func(context.Context, net.Conn) context.Context {
	return func(ctx context.Context, c net.Conn) context.Context {
		if next != nil {
			ctx = next(ctx, c)
		}
		if fc, ok := c.(*framedConn); ok {
			fc.mu.Lock()
			fc.id = luabind.ConnIDOf(ctx)
			fc.mu.Unlock()
			ctx = context.WithValue(ctx, framedConnKey{}, fc)
			ctx = luabind.WithRawHeads(ctx, fc)
		}
		return ctx
	}
}

// checkFraming is called first by a server's handler: it reports whether the request may
// be served. A request nginx refuses gets nginx's page and the connection closes; one after
// a refused request (pipelined behind it) is not served.
func checkFraming(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request, bool) {
	fc, _ := r.Context().Value(framedConnKey{}).(*framedConn)
	if fc == nil {
		return w, r, true
	}
	fc.mu.Lock()
	k := fc.served
	fc.served++
	fc.current = fc.sn.takeHead(k)
	v := fc.sn.bad
	if v != nil && k == v.index && v.kind != lineWait {
		fc.current = nil
		fc.mu.Unlock()
		if !v.replaced { // net/http parsed the client's own bytes: it answers
			return w, r, true
		}
		return badLine(fc, w, r, v)
	}
	if v == nil || k < v.index || (k == v.index && v.status == 0) {
		fc.mu.Unlock()
		return w, r, true // a bad body shows when it is read, as under nginx
	}
	if k == v.index && v.line != r.Method+" "+r.RequestURI+" "+r.Proto {
		fc.sn.state, fc.sn.bad = sniffOff, nil // not the request net/http parsed: stand aside
		fc.mu.Unlock()
		return w, r, true
	}
	fc.mu.Unlock()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	if k == v.index {
		fc.logVerdict(v, conn.RemoteAddr())
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, _ = conn.Write(errpage.Response(v.status, time.Now(), "", r.Method == http.MethodHead))
	}
	return w, r, false
}

// badLine prepares the request net/http parsed in place of a line nginx refuses (answered
// with its 400 or 505, through the default server's error_page) or reads as HTTP/0.9
// (served, its response the body alone). Neither has a header list: headers-more's input
// commands find nothing to change and add nothing, and $server_protocol is empty.
func badLine(fc *framedConn, w http.ResponseWriter, r *http.Request, v *framingVerdict) (http.ResponseWriter, *http.Request, bool) {
	r = r.WithContext(luabind.WithRequestLine(context.WithValue(r.Context(), badLineKey{}, v), v.line))
	r.Proto = ""
	if v.kind != line09 {
		fc.logVerdict(v, fc.RemoteAddr())
		return w, r, true
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	r.ProtoMajor, r.ProtoMinor = 0, 9
	return &bodyOnlyWriter{conn: conn, bw: brw.Writer, h: http.Header{}}, r, true
}

// CurrentHead is the head of the request being served on the connection, as the client
// sent it (nil when not known); luabind checks it is the request's own.
func (c *framedConn) CurrentHead() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.current
}

// guardListener accepts connections: it wraps plain-HTTP ones in a framedConn and rides
// out accept failures (no file descriptors left) as nginx does: logged at crit, accepting
// paused, then resumed.
type guardListener struct {
	net.Listener
	log    *errlog.Logger
	server string
	frame  bool // false under TLS: the guard cannot see the requests
	stop   chan struct{}
	once   sync.Once
}

func newGuardListener(ln net.Listener, lg *errlog.Logger, server string, frame bool) *guardListener {
	return &guardListener{Listener: ln, log: lg, server: server, frame: frame, stop: make(chan struct{})}
}

// acceptDelay is how long accepting pauses after a failure for lack of descriptors (nginx's
// accept_mutex_delay, 500ms); other temporary failures are retried sooner, doubling from 5ms.
const acceptDelay = 500 * time.Millisecond

func (l *guardListener) Accept() (net.Conn, error) {
	backoff := 5 * time.Millisecond
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			if !l.frame {
				return c, nil
			}
			return &framedConn{Conn: c, log: l.log, server: l.server}, nil
		}
		level, delay, retry := acceptFailure(err)
		if !retry {
			return nil, err
		}
		if l.log != nil {
			l.log.Log(level, nil, "accept4() failed ("+errnoText(err)+")")
		}
		if delay == 0 {
			delay = backoff
			backoff = min(2*backoff, time.Second)
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-l.stop:
			t.Stop()
			return nil, net.ErrClosed
		}
	}
}

func (l *guardListener) Close() error {
	l.once.Do(func() { close(l.stop) })
	return l.Listener.Close()
}

// acceptFailure sorts an accept error as nginx's ngx_event_accept does: out of descriptors
// is crit and pauses accepting; an aborted connection is err; other temporary failures are
// alert. retry is false for a closed listener or a permanent failure.
func acceptFailure(err error) (level int, delay time.Duration, retry bool) {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return 0, 0, false
	}
	switch errno {
	case syscall.EMFILE, syscall.ENFILE:
		return errlog.Crit, acceptDelay, true
	case syscall.ECONNABORTED:
		return errlog.Err, time.Millisecond, true
	case syscall.ENOBUFS, syscall.ENOMEM, syscall.EAGAIN, syscall.EINTR, syscall.EPROTO, syscall.EPERM:
		return errlog.Alert, 0, true
	}
	return 0, 0, false
}

// firstName is a server's first server_name ("" without one), as nginx's log lines name it.
func firstName(v *VServer) string {
	if v == nil || len(v.Names) == 0 {
		return ""
	}
	return v.Names[0]
}
