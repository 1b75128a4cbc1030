package luabind

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
)

// ngx.socket.udp: lua-nginx-module's datagram cosocket (ngx_http_lua_socket_udp.c), what
// resty.dns.resolver talks through. setpeername "connects" a datagram socket (to an IP
// literal, a name resolved as the TCP cosocket resolves it, or "unix:/path"); send writes one
// datagram; receive returns one datagram of at most size bytes (65536 by default), waiting up
// to the read timeout with the baton released. Sending, and a receive that finds a datagram
// already queued, do not yield, as in nginx: what a thread does before its first wait happens
// in program order.

// udpMaxDatagram is lua-nginx-module's UDP_MAX_DATAGRAM_SIZE, receive's default and cap.
const udpMaxDatagram = 65536

const udpSocketTypeName = "luaws.socket.udp"

// udpSocket is one ngx.socket.udp() object. The connection lives in sock, a cosocket of the
// request, so that it is closed with the request's other cosockets when the request ends.
type udpSocket struct {
	sock    *socket
	timeout time.Duration // settimeout's value; 0: lua_socket_read_timeout
	local   net.Addr      // bind's address, used by the next setpeername
	host    string        // the peer as given, for error log lines
	port    int           // 0 for unix sockets
	peer    string        // the address it resolved to
	waiting bool          // a receive or resolve is under way
}

// udpBufs holds receive buffers of udpMaxDatagram bytes (receives of several light threads
// may wait at once, each in a buffer of its own).
var udpBufs = sync.Pool{New: func() any { return new([udpMaxDatagram]byte) }}

func ngxSocketUDP(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		luaError(L, "expecting zero arguments, but got %d", n)
	}
	r := requestOf(L)
	checkYieldable(L, r)
	u := &udpSocket{}
	ud := L.NewUserData()
	ud.Value = u
	obj := L.CreateTable(3, 1)
	obj.RawSetInt(1, ud)
	obj.Metatable = udpMetatable(L)
	L.Push(obj)
	return 1
}

var udpSocketMethods = map[string]lua.LGFunction{
	"setpeername": udpSetPeerName,
	"send":        udpSend,
	"receive":     udpReceive,
	"settimeout":  udpSetTimeout,
	"close":       udpClose,
	"bind":        udpBind,
}

// udpMetatable is the objects' metatable, which is also their method table (__index is
// itself), as lua-nginx-module builds it.
func udpMetatable(L *lua.LState) *lua.LTable {
	if mt, ok := L.GetTypeMetatable(udpSocketTypeName).(*lua.LTable); ok {
		return mt
	}
	mt := L.NewTypeMetatable(udpSocketTypeName)
	for k, fn := range udpSocketMethods {
		mt.RawSetString(k, L.NewFunction(fn))
	}
	mt.RawSetString("__index", mt)
	return mt
}

// lightThreadPhase reports whether lua-nginx-module runs phase's code in a light thread
// (a coroutine that may yield: content, rewrite, access, timers, ssl_certificate_by_lua*);
// set, log, the filters and init run it as a plain call.
func lightThreadPhase(phase string) bool {
	switch phase {
	case "", "content", "rewrite", "access", "timer", "ssl_cert":
		return true
	}
	return false
}

// checkYieldable raises lua-nginx-module's error for an API that yields, called where a Lua
// thread cannot yield.
func checkYieldable(L *lua.LState, r *request) {
	if !lightThreadPhase(r.phase) {
		ngxStrError(L, 1, "API disabled in the context of "+contextName(r.phase))
	}
}

// checkUDP returns the udp socket of the method's self (a table holding it at [1]).
func checkUDP(L *lua.LState) *udpSocket {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		argError(L, 1, "table expected, got "+typeName(L.Get(1)))
	}
	if ud, ok := t.RawGetInt(1).(*lua.LUserData); ok {
		if u, ok := ud.Value.(*udpSocket); ok {
			return u
		}
	}
	argError(L, 1, "table expected, got table")
	return nil
}

func typeName(v lua.LValue) string {
	if v == lua.LNil {
		return "no value"
	}
	return v.Type().String()
}

// connected reports whether setpeername succeeded and close has not been called since.
func (u *udpSocket) connected() bool {
	return u.sock != nil && u.sock.conn != nil && !u.sock.closed
}

// sameRequest raises "bad request" when the socket belongs to another request (a socket kept
// in a module-level variable across requests).
func (u *udpSocket) sameRequest(L *lua.LState, r *request) {
	if u.sock != nil && u.sock.req != r {
		luaError(L, "bad request")
	}
}

// logf logs a line about the socket in the request's context. (lua-nginx-module after
// 0.10.23 adds ", upstream: host:port(addr)"; Debian's 0.10.23, the reference, does not.)
func (u *udpSocket) logf(level int, format string, args ...any) {
	r := u.sock.req
	r.sc.log.Log(level, &r.logc, fmt.Sprintf(format, args...))
}

// intArg is luaL_checkinteger: a number, or a string that converts to one.
func intArg(L *lua.LState, n int) int {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return int(v)
	case lua.LString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			return int(f)
		}
	}
	L.ArgError(n, "number expected, got "+typeName(L.Get(n)))
	return 0
}

// readTimeout is settimeout's value, or lua_socket_read_timeout.
func (u *udpSocket) readTimeout(r *request) time.Duration {
	if u.timeout > 0 {
		return u.timeout
	}
	_, _, read := r.socketTimeouts()
	return read
}

// udp:setpeername(host, port) | udp:setpeername("unix:/path") -> 1 | nil, err
func udpSetPeerName(L *lua.LState) int {
	n := L.GetTop()
	if n != 2 && n != 3 {
		luaError(L, "ngx.socket.udp setpeername: expecting 2 or 3 arguments (including the object), but seen %d", n)
	}
	r := requestOf(L)
	checkYieldable(L, r)
	u := checkUDP(L)
	host := L.CheckString(2)
	port := 0
	if n == 3 {
		port = intArg(L, 3)
		if port < 0 || port > 65535 {
			return pushErr(L, "bad port number: "+strconv.Itoa(port))
		}
	}
	u.sameRequest(L, r)
	if u.waiting {
		return pushErr(L, "socket busy")
	}
	if u.connected() {
		r.sc.log.Log(errlog.Debug, &r.logc, "lua udp socket reconnect without shutting down")
		u.sock.shut()
	}
	if u.sock == nil {
		u.sock = newSocket(r, nil, nil)
		u.sock.closed = true
	} else {
		r.sc.log.Log(errlog.Debug, &r.logc, "lua reuse socket upstream ctx")
	}
	u.host, u.port, u.peer = host, port, ""

	var raddr net.Addr
	switch {
	case strings.HasPrefix(host, "unix:"):
		path := host[len("unix:"):]
		if path == "" {
			return pushErr(L, "failed to parse host name \""+host+"\": no path in the unix domain socket")
		}
		raddr = &net.UnixAddr{Name: path, Net: "unixgram"}
		u.peer = host
	default:
		name, p, perr := splitHostPort(host)
		if perr != "" {
			return pushErr(L, "failed to parse host name \""+host+"\": "+perr)
		}
		if p >= 0 {
			port = p
		}
		if ip := net.ParseIP(name); ip != nil {
			raddr = &net.UDPAddr{IP: ip, Port: port}
			u.peer = ip.String()
			break
		}
		if name == "" || strings.ContainsAny(name, "/ ") {
			return pushErr(L, "failed to parse host name \""+host+"\": invalid host")
		}
		// A name: resolved with the baton released, as nginx's resolver answers later.
		t := threadOf(L)
		var ip string
		var err error
		u.waiting = true
		t.block(L, func() { ip, err = r.sc.resolve(t.ctx, name) })
		u.waiting = false
		if err != nil {
			var re *resolveError
			if errors.As(err, &re) {
				return pushErr(L, re.Error())
			}
			return pushErr(L, name+" could not be resolved")
		}
		raddr = &net.UDPAddr{IP: net.ParseIP(ip), Port: port}
		u.peer = ip
	}
	conn, err := u.dial(raddr)
	if err != nil {
		return pushErr(L, udpErrText(err))
	}
	u.sock.conn, u.sock.closed, u.sock.req = conn, false, r
	r.cosockets = append(r.cosockets, u.sock)
	L.Push(lua.LNumber(1))
	return 1
}

// splitHostPort parses host as nginx's ngx_parse_url does for setpeername: "name",
// "1.2.3.4", "[::1]", with an optional ":port" that wins over the port argument (port -1
// when there is none); err is nginx's reason when host does not parse.
func splitHostPort(host string) (name string, port int, err string) {
	name, port = host, -1
	rest := ""
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return "", 0, "invalid host"
		}
		name, rest = host[1:end], host[end+1:]
		if rest != "" && rest[0] != ':' {
			return "", 0, "invalid host"
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 && strings.Count(host, ":") == 1 {
		name, rest = host[:i], host[i:]
	}
	if rest != "" {
		p, perr := strconv.Atoi(rest[1:])
		if perr != nil || p < 1 || p > 65535 {
			return "", 0, "invalid port"
		}
		port = p
	}
	if name == "" {
		return "", 0, "no host"
	}
	return name, port, ""
}

// dial makes the datagram socket: bound to bind's address if any (unix sockets autobind, so
// that the peer can answer), then connected to raddr. Failures are logged as nginx does.
func (u *udpSocket) dial(raddr net.Addr) (net.Conn, error) {
	switch a := raddr.(type) {
	case *net.UnixAddr:
		// nginx autobinds the socket (an abstract address) so that the peer can answer; Go's
		// dialer does not bind a nameless local address, so name one in the abstract space.
		var name [8]byte
		_, _ = rand.Read(name[:])
		local := &net.UnixAddr{Name: "@luaws-udp-" + hex.EncodeToString(name[:]), Net: "unixgram"}
		c, err := net.DialUnix("unixgram", local, a)
		if err != nil {
			u.logf(errlog.Crit, "connect() failed (%s)", errnoLog(err))
			return nil, err
		}
		return c, nil
	case *net.UDPAddr:
		var local *net.UDPAddr
		if l, ok := u.local.(*net.UDPAddr); ok {
			local = l
		}
		network := "udp4"
		if a.IP.To4() == nil {
			network = "udp6"
		}
		c, err := net.DialUDP(network, local, a)
		if err != nil {
			if local != nil && isSyscall(err, "bind") {
				u.logf(errlog.Crit, "bind(%s) failed (%s)", local.IP.String(), errnoLog(err))
			} else {
				u.logf(errlog.Crit, "connect() failed (%s)", errnoLog(err))
			}
			return nil, err
		}
		return c, nil
	}
	return nil, errors.New("error")
}

func isSyscall(err error, name string) bool {
	var se *os.SyscallError
	return errors.As(err, &se) && se.Syscall == name
}

// udpErrText is an errno as lua-nginx-module returns it: strerror in lower case.
func udpErrText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return strings.ToLower(errno.Error())
	}
	return "error"
}

// errnoLog is nginx's "(N: Text)" of an errno in log lines, without the parentheses.
func errnoLog(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	text := errno.Error()
	if text != "" {
		text = strings.ToUpper(text[:1]) + text[1:]
	}
	return strconv.Itoa(int(errno)) + ": " + text
}

// udp:send(data) -> 1 | nil, err. A datagram is written at once: send never yields.
func udpSend(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		luaError(L, "expecting 2 arguments (including the object), but got %d", n)
	}
	r := requestOf(L)
	u := checkUDP(L)
	if why := u.unusable(L, r, "send"); why != "" {
		return pushErr(L, why)
	}
	var data []byte
	switch v := L.Get(2).(type) {
	case lua.LString:
		data = []byte(v)
	case lua.LNumber, lua.LBool, *lua.LNilType, *lua.LTable:
		data = appendSendData(L, nil, v, true)
	default:
		argError(L, 2, "string, number, boolean, nil, or array table expected, got "+v.Type().String())
	}
	conn := u.sock.conn
	_ = conn.SetWriteDeadline(time.Time{})
	n, err := conn.Write(data)
	if err != nil {
		if !isTimeout(err) {
			u.logf(errlog.Err, "send() failed (%s)", errnoLog(err))
		}
		return pushErr(L, udpErrText(err))
	}
	if r.sc.log.Enabled(errlog.Debug) { // nginx's ngx_unix_send debug line
		r.sc.log.Log(errlog.Debug, &r.logc, fmt.Sprintf("send: fd:%d %d of %d", connFD(conn), n, len(data)))
	}
	if n != len(data) {
		return pushErr(L, "partial write")
	}
	L.Push(lua.LNumber(1))
	return 1
}

// connFD is the descriptor of c (under its TLS layer), for debug log lines (-1 when it has
// none).
func connFD(c net.Conn) int {
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = nc.NetConn()
	}
	fd := -1
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			_ = raw.Control(func(f uintptr) { fd = int(f) })
		}
	}
	return fd
}

// unusable says why send or receive (op) cannot go on: "closed" (logged as nginx does under
// lua_socket_log_errors) or "socket busy"; "" when it can. A socket of another request
// raises "bad request".
func (u *udpSocket) unusable(L *lua.LState, r *request, op string) string {
	if !u.connected() {
		if r.sc.sockLog {
			r.sc.log.Log(errlog.Err, &r.logc, "attempt to "+op+" data on a closed socket: "+u.ptrs())
		}
		return "closed"
	}
	u.sameRequest(L, r)
	if u.waiting {
		return "socket busy"
	}
	return ""
}

// ptrs stands for the "u:%p, c:%p" of nginx's closed-socket lines.
func (u *udpSocket) ptrs() string {
	if u.sock == nil {
		return "u:0000000000000000, c:0000000000000000"
	}
	return fmt.Sprintf("u:%p, c:0000000000000000", u)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// udp:receive(size?) -> data | nil, err
func udpReceive(L *lua.LState) int {
	nargs := L.GetTop()
	if nargs != 1 && nargs != 2 {
		luaError(L, "expecting 1 or 2 arguments (including the object), but got %d", nargs)
	}
	r := requestOf(L)
	u := checkUDP(L)
	if why := u.unusable(L, r, "receive"); why != "" {
		return pushErr(L, why)
	}
	size := udpMaxDatagram
	if nargs == 2 {
		f := float64(L.CheckNumber(2))
		if f >= 0 && f < udpMaxDatagram {
			size = int(f)
		}
	}
	r.sc.log.Log(errlog.Debug, &r.logc, "lua udp socket receive buffer size: "+strconv.Itoa(size))
	conn := u.sock.conn
	b := udpBufs.Get().(*[udpMaxDatagram]byte)
	defer udpBufs.Put(b)
	buf := b[:size]

	// A datagram already queued is returned without yielding.
	_ = conn.SetReadDeadline(time.Unix(1, 0))
	n, err := conn.Read(buf)
	if err != nil && isTimeout(err) {
		t := threadOf(L)
		timeout := u.readTimeout(r)
		u.waiting = true
		t.blockOn(L, conn, func() {
			_ = conn.SetReadDeadline(time.Now().Add(timeout))
			n, err = conn.Read(buf)
		})
		u.waiting = false
		if t.ctx.Err() != nil { // killed: the thread stops at its next instruction
			return pushErr(L, "closed")
		}
	}
	switch {
	case err == nil:
		L.Push(lua.LString(buf[:n]))
		return 1
	case isTimeout(err):
		if r.sc.sockLog {
			u.logf(errlog.Err, "lua udp socket read timed out")
		}
		return pushErr(L, "timeout")
	}
	u.logf(errlog.Err, "recv() failed (%s)", errnoLog(err))
	return pushErr(L, udpErrText(err))
}

// udp:settimeout(ms): the read timeout of receive (0 or less: lua_socket_read_timeout).
func udpSetTimeout(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		luaError(L, "ngx.socket settimeout: expecting at least 2 arguments (including the object) but seen %d", n)
	}
	u := checkUDP(L)
	ms := int64(float64(L.ToNumber(2)))
	if ms > 0 {
		u.timeout = time.Duration(ms) * time.Millisecond
	} else {
		u.timeout = 0
	}
	return 0
}

// udp:close() -> 1 | nil, err
func udpClose(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		luaError(L, "expecting 1 argument (including the object) but seen %d", n)
	}
	r := requestOf(L)
	u := checkUDP(L)
	if !u.connected() {
		return pushErr(L, "closed")
	}
	u.sameRequest(L, r)
	if u.waiting {
		return pushErr(L, "socket busy")
	}
	u.sock.shut()
	L.Push(lua.LNumber(1))
	return 1
}

// udp:bind(address): the local IP address the next setpeername binds to -> 1 | nil, err
func udpBind(L *lua.LState) int {
	if n := L.GetTop(); n != 2 {
		luaError(L, "expecting 2 arguments, but got %d", n)
	}
	r := requestOf(L)
	checkYieldable(L, r)
	u := checkUDP(L)
	text := L.CheckString(2)
	ip := net.ParseIP(text)
	if ip == nil {
		return pushErr(L, "bad address")
	}
	u.local = &net.UDPAddr{IP: ip}
	L.Push(lua.LNumber(1))
	return 1
}
