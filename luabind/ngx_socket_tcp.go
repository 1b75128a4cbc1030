package luabind

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/wsnative"
)

// ngx.socket: cosockets (lua-nginx-module's ngx.socket.tcp). A cosocket blocks only its own
// light thread: every wait happens in Go with the request's baton released.

func newSocketTable(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 3)
	t.RawSetString("tcp", L.NewFunction(ngxSocketTCP))
	t.RawSetString("stream", L.NewFunction(ngxSocketTCP))
	t.RawSetString("connect", L.NewFunction(ngxSocketConnect))
	t.RawSetString("udp", L.NewFunction(ngxSocketUDP)) // ngx_socket_udp.go
	return t
}

func ngxSocketTCP(L *lua.LState) int {
	r := requestOf(L)
	checkYieldable(L, r)
	pushSocket(L, r.cosocket())
	return 1
}

// cosocket makes a cosocket of the request; whatever is still open of it when the request
// ends is closed, as lua-nginx-module does.
func (r *request) cosocket() *socket {
	s := newSocket(r, nil, nil)
	r.cosockets = append(r.cosockets, s)
	return s
}

// closeCosockets closes the request's cosockets that are neither closed nor pooled.
func (r *request) closeCosockets() {
	for _, s := range r.cosockets {
		if s.conn != nil && !s.closed {
			s.shut()
		}
	}
	r.cosockets = nil
}

// ngx.socket.connect(host, port) is ngx.socket.tcp() followed by connect.
func ngxSocketConnect(L *lua.LState) int {
	r := requestOf(L)
	checkYieldable(L, r)
	ud := pushSocket(L, r.cosocket())
	L.Insert(ud, 1)
	L.Pop(1)
	if n := sockConnect(L); n > 1 || L.Get(-1) == lua.LNil {
		return n
	}
	L.Push(ud)
	return 1
}

// sock:connect(host, port, opts?) or sock:connect("unix:/path", opts?) -> 1 | nil, err
func sockConnect(L *lua.LState) int {
	s := checkSocket(L, 1)
	if s.raw {
		L.Push(lua.LNil)
		L.Push(lua.LString("not supported on the request socket"))
		return 2
	}
	t := threadOf(L)
	host := L.CheckString(2)
	network, addr, port := "tcp", host, ""
	optIdx := 4
	if strings.HasPrefix(host, "unix:") {
		network, addr = "unix", host[len("unix:"):]
		optIdx = 3
	} else {
		p := L.Get(3)
		pn, ok := p.(lua.LNumber)
		if !ok {
			if ps, isStr := p.(lua.LString); isStr {
				if v, err := strconv.Atoi(string(ps)); err == nil {
					pn, ok = lua.LNumber(v), true
				}
			}
		}
		if !ok {
			L.ArgError(3, "number expected, got "+p.Type().String())
		}
		if pn < 0 || pn > 65535 {
			L.Push(lua.LNil)
			L.Push(lua.LString("bad port number: " + fmtNumber(float64(pn))))
			return 2
		}
		port = strconv.Itoa(int(pn))
		if name, p, perr := splitHostPort(host); perr == "" && p >= 0 { // "host:port" wins (ngx_parse_url)
			addr, port = name, strconv.Itoa(p)
		}
	}
	poolName := host
	if port != "" {
		poolName = host + ":" + port
	}
	size, backlog := s.req.host.poolSize, -1
	if opts, ok := L.Get(optIdx).(*lua.LTable); ok {
		switch v := opts.RawGetString("pool").(type) {
		case lua.LString:
			poolName = string(v)
		case lua.LNumber:
			poolName = luaToString(v)
		case *lua.LNilType:
		default:
			L.ArgError(optIdx, "bad \"pool\" option type: "+v.Type().String())
		}
		if v, ok := poolOption(L, opts, optIdx, "pool_size"); ok {
			if v <= 0 {
				L.ArgError(optIdx, "bad \"pool_size\" option value: "+strconv.Itoa(v))
			}
			size = v
		}
		if v, ok := poolOption(L, opts, optIdx, "backlog"); ok {
			if v < 0 {
				L.ArgError(optIdx, "bad \"backlog\" option value: "+strconv.Itoa(v))
			}
			backlog = v
		}
	}

	// A connected socket is closed first, as OpenResty does.
	if s.conn != nil && !s.closed {
		s.shut()
	}
	s.closed, s.rbuf, s.frames, s.reused, s.readUntil, s.readClosed = false, nil, nil, 0, nil, false
	s.poolName = poolName

	pools := s.req.host.pools
	if conn, reused, counted := pools.take(poolName, s.debugLog(true)); conn != nil {
		s.conn, s.reused, s.counted = conn, reused, counted
		L.Push(lua.LNumber(1))
		return 1
	}

	var err error
	var conn net.Conn
	dialAddr := addr
	s.debugTimeout("connect", s.connectTimeout)
	// Admission happens before the connect yields, so that a later connect of another
	// thread cannot overtake this one in the pool's backlog queue.
	for {
		err = pools.enter(poolName, size, backlog)
		if err != errIdleAvailable {
			break
		}
		if c, reused, counted := pools.take(poolName, s.debugLog(true)); c != nil {
			s.conn, s.reused, s.counted = c, reused, counted
			L.Push(lua.LNumber(1))
			return 1
		}
	}
	t.block(L, func() {
		ctx, cancel := context.WithTimeout(t.ctx, s.connectTimeout)
		defer cancel()
		for {
			if err == errQueued {
				if err = pools.wait(ctx, poolName); errors.Is(err, context.DeadlineExceeded) {
					err = &queuedTimeout{err: err, host: addr, port: port}
				}
			}
			if err != errIdleAvailable {
				break
			}
			if c, reused, counted := pools.take(poolName, s.debugLog(true)); c != nil {
				conn, s.reused, s.counted, err = c, reused, counted, nil
				return
			}
			err = pools.enter(poolName, size, backlog)
		}
		if err != nil {
			return
		}
		s.counted = backlog >= 0
		if network == "tcp" {
			var ip string
			ip, err = s.req.sc.resolve(ctx, addr)
			if err != nil {
				return
			}
			dialAddr = net.JoinHostPort(ip, port)
		}
		var d net.Dialer
		conn, err = d.DialContext(ctx, network, dialAddr)
	})
	if err != nil {
		if s.counted {
			s.counted = false
			pools.closed(poolName)
		}
		s.closed = true
		msg := connectError(err)
		var re *resolveError
		if s.req.sc.sockLog && !errors.As(err, &re) { // nginx logs a resolver failure at debug level only
			s.req.sc.log.Log(errlog.Err, &s.req.logc, connectLogLine(err, msg, dialAddr))
		}
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	s.conn = conn
	s.forgetDeadlines()
	L.Push(lua.LNumber(1))
	return 1
}

// connectLogLine is nginx's error log line for a failed cosocket connect.
func connectLogLine(err error, msg, addr string) string {
	var errno syscall.Errno
	var qt *queuedTimeout
	switch {
	case errors.As(err, &qt):
		return "lua tcp socket queued connect timed out, when trying to connect to " + qt.host + ":" + qt.port
	case msg == "timeout":
		return "lua tcp socket connect timed out, when connecting to " + addr
	case errors.As(err, &errno):
		return "connect() failed (" + errnoLog(err) + ")"
	}
	return "lua tcp socket connect failed: " + msg
}

// queuedTimeout is a connect that timed out in its pool's backlog queue, before it dialled.
type queuedTimeout struct {
	err        error
	host, port string // as the script gave them
}

func (q *queuedTimeout) Error() string { return q.err.Error() }
func (q *queuedTimeout) Unwrap() error { return q.err }

// connectError words a failed connect as lua-nginx-module does.
func connectError(err error) string {
	var re *resolveError
	switch {
	case errors.Is(err, errTooManyWaiting):
		return err.Error()
	case errors.As(err, &re):
		return re.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "closed"
	}
	return wsnative.Reason(err)
}

// resolveError is a failed name lookup, in nginx's resolver wording.
type resolveError struct{ msg string }

func (e *resolveError) Error() string { return e.msg }

// resolve returns an IPv4 (or IPv6) address for host; IP literals pass through.
func (h *scope) resolve(ctx context.Context, host string) (string, error) {
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return ip.String(), nil
	}
	if h.noResolver {
		return "", &resolveError{"no resolver defined to resolve \"" + host + "\""}
	}
	network := "ip"
	if h.resolverAddr != "" {
		network = "ip4" // nginx's resolver as configured for luaws: one A query (ipv6=off)
		if h.resolverTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, h.resolverTimeout)
			defer cancel()
		}
	}
	ips, err := h.resolver().LookupIP(ctx, network, host)
	if err != nil || len(ips) == 0 {
		if ctx.Err() != nil && ctx.Err() != context.DeadlineExceeded {
			return "", ctx.Err()
		}
		return "", &resolveError{host + " could not be resolved (3: Host not found)"}
	}
	for _, ip := range ips {
		if ip4 := ip.To4(); ip4 != nil {
			return ip4.String(), nil
		}
	}
	return ips[0].String(), nil
}

// resolver is Go's resolver, or one querying the configured DNS server (nginx's resolver).
func (h *scope) resolver() *net.Resolver {
	if h.resolverAddr == "" {
		return net.DefaultResolver
	}
	server := h.resolverAddr
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(server, "53")
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
}

// sock:sslhandshake(reused_session?, server_name?, ssl_verify?) -> session | true | nil, err
func sockSSLHandshake(L *lua.LState) int {
	s := checkSocket(L, 1)
	if why := s.unusable(true); why == "closed" {
		return pushErr(L, why)
	}
	if why := s.unusable(false); why != "" {
		return pushErr(L, why)
	}
	serverName := ""
	if v, ok := L.Get(3).(lua.LString); ok {
		serverName = string(v)
	}
	verify := L.ToBool(4)
	cfg := &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true, // verified below when asked, to word errors as OpenSSL does
		NextProtos:         []string{"http/1.1"},
	}
	if serverName == "" || net.ParseIP(serverName) != nil {
		cfg.ServerName = ""
	}
	if s.clientCert != nil {
		cfg.Certificates = []tls.Certificate{*s.clientCert}
	}
	roots := s.req.host.roots
	if verify {
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyChain(raw, roots, serverName)
		}
	}
	tc := tls.Client(s.conn, cfg)
	t := threadOf(L)
	var err error
	t.blockOn(L, s.conn, func() {
		_ = s.conn.SetDeadline(deadline(s.readTimeout))
		err = tc.Handshake()
		_ = s.conn.SetDeadline(time.Time{})
	})
	s.forgetDeadlines()
	if err != nil {
		msg := "handshake failed"
		var ve *verifyError
		if errors.As(err, &ve) {
			msg = ve.msg
		} else if r := wsnative.Reason(err); r == "timeout" || r == "closed" {
			msg = r
		}
		if s.req.sc.sockLog {
			line := "lua ssl certificate verify error: (" + msg + ")"
			if msg == "certificate host mismatch" {
				line = "lua ssl certificate does not match host \"" + serverName + "\""
			}
			s.req.sc.log.Log(errlog.Err, &s.req.logc, line)
		}
		s.shut()
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	s.conn = tc
	if L.Get(2) == lua.LFalse {
		L.Push(lua.LTrue)
		return 1
	}
	ud := L.NewUserData()
	ud.Value = tc.ConnectionState()
	L.Push(ud)
	return 1
}

// verifyError carries OpenSSL's verify result text ("20: unable to get local issuer
// certificate"), which OpenResty returns.
type verifyError struct{ msg string }

func (e *verifyError) Error() string { return e.msg }

func verifyChain(raw [][]byte, roots *x509.CertPool, name string) error {
	if len(raw) == 0 {
		return &verifyError{"certificate verify failed"}
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, b := range raw {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return &verifyError{"certificate verify failed"}
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	if err != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua):
			if len(certs) == 1 && bytes.Equal(certs[0].RawIssuer, certs[0].RawSubject) {
				return &verifyError{"18: self-signed certificate"}
			}
			return &verifyError{"20: unable to get local issuer certificate"}
		case errors.As(err, &ci) && ci.Reason == x509.Expired:
			return &verifyError{"10: certificate has expired"}
		}
		return &verifyError{"certificate verify failed"}
	}
	if name != "" && !hostMatches(certs[0], name) {
		return &verifyError{"certificate host mismatch"}
	}
	return nil
}

// hostMatches checks the certificate's names as OpenSSL's X509_check_host does for nginx:
// the subject alternative names, or, when the certificate has none, its common name.
func hostMatches(c *x509.Certificate, name string) bool {
	if c.VerifyHostname(name) == nil {
		return true
	}
	if len(c.DNSNames) > 0 || len(c.IPAddresses) > 0 {
		return false
	}
	cn := strings.ToLower(c.Subject.CommonName)
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if cn == name {
		return true
	}
	if rest, ok := strings.CutPrefix(cn, "*."); ok {
		if i := strings.IndexByte(name, '.'); i > 0 && name[i+1:] == rest {
			return true
		}
	}
	return false
}

// sock:setclientcert(cert, pkey): the client certificate for the next sslhandshake, from
// ngx.ssl.parse_pem_cert and parse_pem_priv_key.
func sockSetClientCert(L *lua.LState) int {
	s := checkSocket(L, 1)
	if L.Get(2) == lua.LNil && L.Get(3) == lua.LNil {
		s.clientCert = nil
		L.Push(lua.LTrue)
		return 1
	}
	certPEM, ok1 := pemArg(L, 2, "cert")
	keyPEM, ok2 := pemArg(L, 3, "key")
	if !ok1 || !ok2 {
		L.Push(lua.LNil)
		L.Push(lua.LString("bad client cert or key"))
		return 2
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("bad client cert or key: " + err.Error()))
		return 2
	}
	s.clientCert = &pair
	L.Push(lua.LTrue)
	return 1
}

// debugLog logs lua-nginx-module's debug lines of the socket: with the request's connection
// context, or (inRequest false, for what happens after the request may have ended) without;
// nil when the error log leaves debug out.
func (s *socket) debugLog(inRequest bool) debugLine {
	log, lc := s.req.sc.log, &s.req.logc
	if !log.Enabled(errlog.Debug) {
		return nil
	}
	if !inRequest {
		lc = nil
	}
	return func(msg string) { log.Log(errlog.Debug, lc, msg) }
}

// debugTimeout writes lua-nginx-module's "lua tcp socket read timeout: 100" line that
// each connect, send and receive starts with.
func (s *socket) debugTimeout(op string, d time.Duration) {
	if log := s.debugLog(true); log != nil {
		log("lua tcp socket " + op + " timeout: " + strconv.FormatInt(d.Milliseconds(), 10))
	}
}

// sock:setkeepalive(timeout_ms?, size?) puts the connection into the pool -> 1 | nil, err
func sockSetKeepalive(L *lua.LState) int {
	s := checkSocket(L, 1)
	if why := s.unusable(true); why == "closed" {
		return pushErr(L, why)
	}
	if why := s.unusable(false); why != "" {
		return pushErr(L, why)
	}
	if s.raw {
		L.Push(lua.LNil)
		L.Push(lua.LString("not supported on the request socket"))
		return 2
	}
	if s.reading || s.writing > 0 {
		L.Push(lua.LNil)
		L.Push(lua.LString("socket busy"))
		return 2
	}
	s.pullFrameBuffer()
	if len(s.rbuf) > 0 {
		L.Push(lua.LNil)
		L.Push(lua.LString("unread data in buffer"))
		return 2
	}
	timeout := s.req.host.keepaliveTimeout
	if L.Get(2) != lua.LNil {
		timeout = timeoutArg(L, 2)
	}
	size := s.req.host.poolSize
	if v, ok := L.Get(3).(lua.LNumber); ok {
		if v <= 0 {
			L.ArgError(3, "bad \"pool_size\" option value: "+fmtNumber(float64(v)))
		}
		size = int(v)
	}
	_ = s.conn.SetDeadline(time.Time{})
	s.forgetDeadlines()
	log := s.debugLog(true)
	if log != nil {
		log("lua tcp socket set keepalive: saving connection " + ngxPointer(s))
	}
	if s.req.host.pools.put(s.poolName, s.conn, s.reused, timeout, size, s.debugLog(false)) && log != nil {
		log("lua tcp socket connection pool size: " + strconv.Itoa(size) + ", backlog: -1")
		log("lua tcp socket keepalive create connection pool for key \"" + s.poolName + "\"")
	}
	switch {
	case log == nil:
	case timeout <= 0:
		log("lua tcp socket keepalive timeout: unlimited")
	default:
		log("lua tcp socket keepalive timeout: " + strconv.FormatInt(timeout.Milliseconds(), 10) + " ms")
	}
	s.conn, s.closed, s.counted = nil, true, false
	L.Push(lua.LNumber(1))
	return 1
}

func sockGetReusedTimes(L *lua.LState) int {
	s := checkSocket(L, 1)
	if why := s.unusable(false); why != "" {
		return pushErr(L, why)
	}
	L.Push(lua.LNumber(s.reused))
	return 1
}

// partialMatch is the length of the longest end of b that begins pat (b holds no whole pat):
// the bytes before it cannot be part of the pattern, as nginx's matcher knows.
func partialMatch(b, pat []byte) int {
	for k := min(len(pat)-1, len(b)); k > 0; k-- {
		if bytes.HasSuffix(b, pat[:k]) {
			return k
		}
	}
	return 0
}

// untilState is a receiveuntil iterator's progress in "size" mode.
type untilState struct {
	done bool // the pattern was reached: the next call returns nil
}

// sock:receiveuntil(pattern, {inclusive = bool}) -> iterator(size?) -> data | nil, err, partial
func sockReceiveUntil(L *lua.LState) int {
	s := checkSocket(L, 1)
	pattern := L.CheckString(2)
	if pattern == "" {
		L.Push(lua.LNil)
		L.Push(lua.LString("pattern is empty"))
		return 2
	}
	inclusive := false
	if opts, ok := L.Get(3).(*lua.LTable); ok {
		if v := opts.RawGetString("inclusive"); v != lua.LNil {
			b, ok := v.(lua.LBool)
			if !ok {
				L.RaiseError("bad \"inclusive\" option value type: %s", v.Type().String())
			}
			inclusive = bool(b)
		}
	}
	st := &untilState{}
	pat := []byte(pattern)
	L.Push(L.NewFunction(func(L *lua.LState) int {
		size := 0
		if v, ok := L.Get(1).(lua.LNumber); ok {
			size = int(v)
			if size <= 0 {
				L.ArgError(1, "bad size argument")
			}
		}
		if why := s.unusable(false); why != "" || s.readClosed {
			if why == "" {
				why = "closed"
			}
			return pushErr(L, why)
		}
		if st.done {
			st.done = false
			L.Push(lua.LNil)
			return 1
		}
		s.debugTimeout("read", s.readTimeout)
		if s.reading {
			L.Push(lua.LNil)
			L.Push(lua.LString("socket busy reading"))
			return 2
		}
		t := threadOf(L)
		s.reading = true
		defer func() { s.reading = false }()
		s.pullFrameBuffer()
		for {
			if i := bytes.Index(s.rbuf, pat); i >= 0 {
				if size > 0 && i >= size && i > 0 {
					L.Push(lua.LString(s.rbuf[:size]))
					s.rbuf = s.rbuf[size:]
					return 1
				}
				end := i
				if inclusive {
					end = i + len(pat)
				}
				L.Push(lua.LString(s.rbuf[:end]))
				s.rbuf = s.rbuf[i+len(pat):]
				if size > 0 {
					st.done = true
				}
				return 1
			}
			if safe := len(s.rbuf) - partialMatch(s.rbuf, pat); size > 0 && safe >= size {
				L.Push(lua.LString(s.rbuf[:size]))
				s.rbuf = s.rbuf[size:]
				return 1
			}
			if err := s.fill(L, t); err != nil {
				return s.pushPartial(L, err, "read")
			}
		}
	}))
	return 1
}

// poolOption reads an integer option of connect's table (a number or a numeric string, as
// lua_isnumber takes it); any other type but nil raises lua-nginx-module's argument error.
func poolOption(L *lua.LState, opts *lua.LTable, idx int, name string) (int, bool) {
	switch v := opts.RawGetString(name).(type) {
	case *lua.LNilType:
		return 0, false
	case lua.LNumber:
		return int(v), true
	case lua.LString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			return int(f), true
		}
	}
	L.ArgError(idx, "bad \""+name+"\" option type: "+opts.RawGetString(name).Type().String())
	return 0, false
}
