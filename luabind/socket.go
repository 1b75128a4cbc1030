package luabind

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"crypto/tls"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/wsnative"
)

// socket is a luaws socket object as Lua sees it: the raw request socket
// (ngx.req.socket(true), what resty.websocket.server runs on) and, later, cosockets.
// Only the light thread holding the baton touches it; blocking calls release the baton.
type socket struct {
	conn net.Conn
	rbuf []byte // read but not yet consumed by receive()
	// readClosed: a read failed (other than by timing out): reads say "closed", sends and
	// close work on, as lua-nginx-module finalizes only the read part
	readClosed bool
	frames     *wsnative.Reader
	req        *request

	readTimeout, sendTimeout, connectTimeout time.Duration

	// the deadlines last set on conn (see armDeadline)
	rdl, wdl armedDeadline

	// output coalescing on the request socket (see wsSendFrame, coalesce.go)
	reader *lthread   // the light thread that last called recv_frame
	wbuf   *[]byte    // frames sent while more input was buffered, not yet written
	werr   error      // why writing wbuf failed, reported by the next send
	sentN  int        // the last send_frame's byte count ...
	sentV  lua.LValue // ... as a Lua value, reused while frames keep their size

	closed  bool
	reading bool
	writing int        // sends under way (queued on wmu)
	wmu     sync.Mutex // one write at a time on the wire

	// cosockets only
	raw        bool   // the request's own connection: no connect, no pool
	poolName   string // the pool this connection returns to on setkeepalive
	counted    bool   // counted against a backlog-limited pool
	reused     int    // getreusedtimes
	clientCert *tls.Certificate
	readUntil  *untilState

	inl   *inlineIO      // a websocket's TCP connection for inline I/O (inline.go), or nil
	ext   *wsExt         // opt-in WebSocket extensions (websocket_ext.go); nil for none
	stats *Stats         // the host's counters (metrics), nil when off
	wsLoc *LocationStats // this websocket's location counters
}

const socketTypeName = "luaws.socket"

// Default cosocket timeouts (lua_socket_read_timeout and friends): 60s.
const defaultSocketTimeout = 60 * time.Second

func newSocket(r *request, conn net.Conn, buffered []byte) *socket {
	s := &socket{conn: conn, rbuf: buffered, req: r}
	s.connectTimeout, s.sendTimeout, s.readTimeout = r.socketTimeouts()
	return s
}

// socketTimeouts are lua_socket_connect_timeout, lua_socket_send_timeout and
// lua_socket_read_timeout of the request's location (60s each by default).
func (r *request) socketTimeouts() (connect, send, read time.Duration) {
	connect, send, read = defaultSocketTimeout, defaultSocketTimeout, defaultSocketTimeout
	if r == nil || r.sc == nil {
		return
	}
	if r.sc.connectTimeout > 0 {
		connect = r.sc.connectTimeout
	}
	if r.sc.sendTimeout > 0 {
		send = r.sc.sendTimeout
	}
	if r.sc.readTimeout > 0 {
		read = r.sc.readTimeout
	}
	return
}

// Read makes the socket the source of its frame reader: bytes buffered by receive() first.
func (s *socket) Read(p []byte) (int, error) {
	if len(s.rbuf) > 0 {
		n := copy(p, s.rbuf)
		s.rbuf = s.rbuf[n:]
		if len(s.rbuf) == 0 {
			s.rbuf = nil
		}
		return n, nil
	}
	if in := s.inl; in != nil && in.reading {
		return in.read(p) // only the inline recv_frame's own reads: s.reading keeps others out
	}
	return s.conn.Read(p)
}

func (s *socket) frameReader() *wsnative.Reader {
	if s.frames == nil {
		s.frames = wsnative.NewReader(s)
	}
	return s.frames
}

func deadline(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// pushSocket pushes s as OpenResty shapes a cosocket object: a table holding the native
// socket at [1], with the methods in its metatable.
func pushSocket(L *lua.LState, s *socket) *lua.LTable {
	ud := L.NewUserData()
	ud.Value = s
	obj := L.CreateTable(1, 0)
	obj.RawSetInt(1, ud)
	mt, ok := L.GetTypeMetatable(socketTypeName).(*lua.LTable)
	if !ok {
		mt = L.NewTypeMetatable(socketTypeName)
		methods := L.CreateTable(0, len(socketMethods))
		for k, fn := range socketMethods {
			methods.RawSetString(k, L.NewFunction(fn))
		}
		mt.RawSetString("__index", methods)
	}
	obj.Metatable = mt
	L.Push(obj)
	return obj
}

var socketMethods = map[string]lua.LGFunction{
	"receive":        sockReceive,
	"receiveany":     sockReceiveAny,
	"receiveuntil":   sockReceiveUntil,
	"send":           sockSend,
	"settimeout":     sockSetTimeout,
	"settimeouts":    sockSetTimeouts,
	"close":          sockClose,
	"setoption":      sockSetOption,
	"connect":        sockConnect,
	"sslhandshake":   sockSSLHandshake,
	"setkeepalive":   sockSetKeepalive,
	"getreusedtimes": sockGetReusedTimes,
	"setclientcert":  sockSetClientCert,
}

// checkSocket returns the socket of argument n; a method call on something else raises.
func checkSocket(L *lua.LState, n int) *socket {
	if s, ok := isSocket(L.Get(n)); ok {
		return s
	}
	argError(L, n, "table expected, got "+L.Get(n).Type().String())
	return nil
}

func isSocket(v lua.LValue) (*socket, bool) {
	if t, ok := v.(*lua.LTable); ok {
		if ud, ok := t.RawGetInt(1).(*lua.LUserData); ok {
			s, ok := ud.Value.(*socket)
			return s, ok
		}
	}
	return nil, false
}

// ioFailed pushes nil, reason (and partial data when asked) and logs as
// lua_socket_log_errors does (not for a thread that was killed meanwhile).
func (s *socket) ioFailed(L *lua.LState, op string, err error) string {
	reason := wsnative.Reason(err)
	if t := threadOf(L); t != nil && t.ctx.Err() != nil {
		return reason // killed (its deadline expired for it): nothing timed out, nothing to log
	}
	if reason == "timeout" && s.req.sc.sockLog {
		s.req.sc.log.Log(errlog.Err, &s.req.logc, "lua tcp socket "+op+" timed out")
	}
	return reason
}

// fill reads more bytes into rbuf; it blocks with the baton released.
func (s *socket) fill(L *lua.LState, t *lthread) error {
	var n int
	var err error
	t.blockOn(L, s.conn, func() {
		s.armDeadline(false, s.readTimeout)
		var buf [4096]byte
		n, err = s.conn.Read(buf[:])
		if n > 0 {
			s.rbuf = append(s.rbuf, buf[:n]...)
		}
	})
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// sock:receive(size | "*l" | "*a") -> data | nil, err, partial
func sockReceive(L *lua.LState) int {
	s := checkSocket(L, 1)
	if why := s.unusable(true); why != "" {
		return s.refuse(L, "receive", why)
	}
	t := threadOf(L)
	s.debugTimeout("read", s.readTimeout)
	s.reading = true
	defer func() { s.reading = false }()
	s.pullFrameBuffer()

	pattern := L.Get(2)
	if pattern == lua.LNil {
		pattern = lua.LString("*l")
	} else if str, ok := pattern.(lua.LString); ok {
		// a numeric string is a size, as lua_isnumber takes it ("10")
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(str)), 64); err == nil {
			pattern = lua.LNumber(f)
		}
	}
	switch p := pattern.(type) {
	case lua.LNumber:
		n := int(p)
		if n < 0 {
			L.ArgError(2, "bad pattern argument")
		}
		for len(s.rbuf) < n {
			if err := s.fill(L, t); err != nil {
				return s.pushPartial(L, err, "read")
			}
		}
		L.Push(lua.LString(s.rbuf[:n]))
		s.rbuf = s.rbuf[n:]
		return 1
	case lua.LString:
		switch {
		case len(p) >= 2 && p[:2] == "*l":
			for {
				if i := bytes.IndexByte(s.rbuf, '\n'); i >= 0 {
					line := bytes.ReplaceAll(s.rbuf[:i], []byte("\r"), nil)
					s.rbuf = s.rbuf[i+1:]
					L.Push(lua.LString(line))
					return 1
				}
				if err := s.fill(L, t); err != nil {
					return s.pushPartial(L, err, "read")
				}
			}
		case len(p) >= 2 && p[:2] == "*a":
			for {
				if err := s.fill(L, t); err != nil {
					if wsnative.Reason(err) == "closed" {
						L.Push(lua.LString(s.rbuf))
						s.rbuf = nil
						return 1
					}
					return s.pushPartial(L, err, "read")
				}
			}
		}
	}
	L.ArgError(2, "bad pattern argument")
	return 0
}

// pullFrameBuffer hands bytes the frame reader already took from the wire back to receive().
func (s *socket) pullFrameBuffer() {
	if s.frames != nil && s.frames.Buffered() > 0 {
		s.rbuf = append(s.frames.Unread(), s.rbuf...)
	}
}

func (s *socket) pushPartial(L *lua.LState, err error, op string) int {
	reason := s.ioFailed(L, op, err)
	L.Push(lua.LNil)
	L.Push(lua.LString(reason))
	L.Push(lua.LString(s.rbuf))
	s.rbuf = nil
	if reason != "timeout" {
		s.readClosed = true
	}
	return 3
}

// sock:receiveany(max) -> data | nil, err
func sockReceiveAny(L *lua.LState) int {
	s := checkSocket(L, 1)
	max, ok := L.Get(2).(lua.LNumber)
	if !ok || max <= 0 {
		argError(L, 2, "bad max argument")
	}
	if why := s.unusable(true); why != "" {
		return s.refuse(L, "receive", why)
	}
	s.debugTimeout("read", s.readTimeout)
	s.reading = true
	defer func() { s.reading = false }()
	s.pullFrameBuffer()
	if len(s.rbuf) == 0 {
		if err := s.fill(L, threadOf(L)); err != nil {
			return s.pushPartial(L, err, "read")
		}
	}
	n := min(int(max), len(s.rbuf))
	L.Push(lua.LString(s.rbuf[:n]))
	s.rbuf = s.rbuf[n:]
	return 1
}

// appendSendData flattens send()'s argument as lua-nginx-module does: a string, a number,
// or a (nested) array of strings and numbers; on its own, nil and booleans are sent as
// their names.
func appendSendData(L *lua.LState, b []byte, v lua.LValue, top bool) []byte {
	switch v := v.(type) {
	case lua.LString:
		return append(b, v...)
	case lua.LNumber:
		return append(b, fmtNumber(float64(v))...)
	case lua.LBool, *lua.LNilType:
		if top {
			return append(b, luaToString(v)...)
		}
	case *lua.LTable:
		for i := 1; i <= v.Len(); i++ {
			b = appendSendData(L, b, v.RawGetInt(i), false)
		}
		return b
	}
	argError(L, 2, "bad data type "+v.Type().String()+" found")
	return b
}

// sock:send(data) -> bytes | nil, err
func sockSend(L *lua.LState) int {
	s := checkSocket(L, 1)
	if why := s.unusable(false); why != "" {
		return s.refuse(L, "send", why)
	}
	s.debugTimeout("send", s.sendTimeout)
	var data []byte
	if str, ok := L.Get(2).(lua.LString); ok {
		data = []byte(str)
	} else {
		data = appendSendData(L, nil, L.Get(2), true)
	}
	n, err := s.write(L, func(c net.Conn) (int, error) { return c.Write(data) })
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(s.ioFailed(L, "write", err)))
		s.shut()
		return 2
	}
	L.Push(lua.LNumber(n))
	return 1
}

// write runs one write with the send timeout and the baton released. Writes of several
// threads to one socket go out one after the other: OpenResty completes a send that fits the
// socket buffer without yielding, so its scripts never see two sends overlap; queueing keeps
// that true here rather than failing the second with "socket busy writing".
func (s *socket) write(L *lua.LState, f func(net.Conn) (int, error)) (int, error) {
	t := threadOf(L)
	s.writing++
	defer func() { s.writing-- }()
	var n int
	var err error
	conn := s.conn
	t.blockOn(L, conn, func() {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		s.armDeadline(true, s.sendTimeout)
		n, err = f(conn)
		if s.raw && s.req != nil {
			s.req.rawBytes += int64(n)
		}
	})
	if err == nil && t.ctx.Err() != nil {
		err = net.ErrClosed
	}
	return n, err
}

// sendFrameInline is send_frame's write of one frame that fits a pooled buffer (one write)
// as an inline operation (t.inlineOK(s)).
func (s *socket) sendFrameInline(L *lua.LState, t *lthread, fin bool, op byte, payload []byte, masked bool, key [4]byte) (int, error) {
	var n int
	var err error
	s.writing++
	t.blockInline(L, s, func() {
		if !s.wmu.TryLock() { // a ping of the keepalive is on the wire: wait without the baton
			t.yieldInline()
			s.wmu.Lock()
		}
		s.armDeadline(true, s.sendTimeout)
		n, err = wsnative.WriteFrame(s.inl, fin, op, payload, masked, key)
		s.wmu.Unlock()
		if s.raw && s.req != nil {
			s.req.rawBytes += int64(n)
		}
	})
	s.writing--
	if err == nil && t.ctx.Err() != nil {
		err = net.ErrClosed
	}
	return n, err
}

func timeoutArg(L *lua.LState, n int) time.Duration {
	ms := float64(L.CheckNumber(n))
	if ms < 0 || int64(ms)>>31 != 0 { // lua-nginx-module keeps timeouts in 31 bits
		ngxStrError(L, 1, "bad timeout value")
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// sock:settimeout(ms): read, send and connect timeouts at once.
func sockSetTimeout(L *lua.LState) int {
	s := checkSocket(L, 1)
	if L.Get(2) == lua.LNil {
		return 0
	}
	d := timeoutArg(L, 2)
	if d == 0 { // back to the configured timeouts
		s.connectTimeout, s.sendTimeout, s.readTimeout = s.req.socketTimeouts()
		return 0
	}
	s.readTimeout, s.sendTimeout, s.connectTimeout = d, d, d
	return 0
}

// sock:settimeouts(connect, send, read)
func sockSetTimeouts(L *lua.LState) int {
	s := checkSocket(L, 1)
	s.connectTimeout = timeoutArg(L, 2)
	s.sendTimeout = timeoutArg(L, 3)
	s.readTimeout = timeoutArg(L, 4)
	return 0
}

func sockClose(L *lua.LState) int {
	s := checkSocket(L, 1)
	if why := s.unusable(false); why != "" {
		return pushErr(L, why)
	}
	s.shut()
	L.Push(lua.LNumber(1))
	return 1
}

// shut closes the connection for good.
func (s *socket) shut() {
	s.flushNow()
	s.closed = true
	if s.conn != nil {
		_ = s.conn.Close()
	}
	if s.counted {
		s.counted = false
		s.req.host.pools.closed(s.poolName)
	}
}

// sock:setoption(name, value): keepalive, reuseaddr, tcp-nodelay, sndbuf, rcvbuf.
func sockSetOption(L *lua.LState) int {
	s := checkSocket(L, 1)
	opt := L.CheckString(2)
	tc, _ := s.conn.(*net.TCPConn)
	if tc == nil {
		L.Push(lua.LTrue)
		return 1
	}
	var err error
	switch opt {
	case "keepalive":
		err = tc.SetKeepAlive(L.ToBool(3))
	case "tcp-nodelay":
		err = tc.SetNoDelay(L.ToBool(3))
	case "sndbuf":
		err = tc.SetWriteBuffer(L.CheckInt(3))
	case "rcvbuf":
		err = tc.SetReadBuffer(L.CheckInt(3))
	case "reuseaddr":
	default:
		L.ArgError(2, "unsupported option "+opt)
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(wsnative.Reason(err)))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

// ngx.req.socket(raw): with raw true, the client connection itself, taken over from the HTTP
// server (what resty.websocket.server does after its 101); without it, a read-only socket on
// the request body.
func ngxReqSocket(L *lua.LState) int {
	r := outputRequestOf(L) // "API disabled in the context of ngx.timer"
	if !L.ToBool(1) {
		// The request body as a read-only cosocket (lua-nginx-module refuses a chunked
		// body and a request without one).
		chunked := len(r.r.TransferEncoding) > 0 && r.r.TransferEncoding[0] == "chunked"
		var msg string
		switch {
		case chunked:
			msg = "chunked request bodies not supported yet"
		case r.bodyRead || r.bodyGone():
			msg = "request body already exists"
		case r.r.ContentLength <= 0:
			msg = "no body"
		}
		if msg != "" {
			L.Push(lua.LNil)
			L.Push(lua.LString(msg))
			return 2
		}
		r.bodyRead = true
		s := newSocket(r, &bodyConn{body: r.r.Body, r: r, rc: r.bodyCutter()}, nil)
		s.raw = true
		pushSocket(L, s)
		return 1
	}
	if r.sock != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("duplicate call"))
		return 2
	}
	if r.headersSent && !r.hijacked {
		_ = r.flushOut()
		_ = http.NewResponseController(r.w).Flush()
	}
	conn, buffered, err := r.hijack()
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}

	r.sock = newSocket(r, conn, buffered)
	r.sock.raw = true
	pushSocket(L, r.sock)
	return 1
}

// unusable says why the socket cannot be used now: "closed" (never connected, or closed), or
// with reading, "socket busy reading" while another light thread reads; "" when it can.
func (s *socket) unusable(reading bool) string {
	switch {
	case s.closed || s.conn == nil:
		return "closed"
	case reading && s.readClosed:
		return "closed"
	case reading && s.reading:
		return "socket busy reading"
	}
	return ""
}

// refuse answers a send or receive (op) the socket cannot take; on a closed one it logs
// lua-nginx-module's "attempt to send data on a closed socket" line (lua_socket_log_errors).
func (s *socket) refuse(L *lua.LState, op, why string) int {
	if why == "closed" && s.req != nil && s.req.sc.sockLog {
		eof := "0"
		if s.readClosed {
			eof = "1"
		}
		// a closed socket has no connection (c:NULL); luaws keeps no failure type (ft)
		s.req.sc.log.Log(errlog.Err, &s.req.logc, "attempt to "+op+" data on a closed socket: u:"+ngxPointer(s)+
			", c:0000000000000000, ft:0 eof:"+eof)
	}
	return pushErr(L, why)
}

// pushErr returns nil, msg to Lua: the soft error of every socket method.
func pushErr(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}
