package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
)

// upstreamInfo is what $upstream_* report for a request.
type upstreamInfo struct {
	addrs    []string
	statuses []string
	times    []string
}

func (u *upstreamInfo) value(name string) string {
	switch name {
	case "upstream_addr":
		return strings.Join(u.addrs, ", ")
	case "upstream_status":
		return strings.Join(u.statuses, ", ")
	default:
		return strings.Join(u.times, ", ")
	}
}

// peer is one "server" of an upstream{} block.
type peer struct {
	addr        string
	weight      int
	maxFails    int
	failTimeout time.Duration
	backup      bool
	down        bool

	cur     int
	fails   int
	checked time.Time
}

// Upstream is an upstream{} block (or the one server a proxy_pass URL names): smooth
// weighted round robin over its servers, max_fails/fail_timeout, keepalive connections.
type Upstream struct {
	Name      string
	peers     []*peer
	keepalive int
	mu        sync.Mutex
	implicit  bool // made from a proxy_pass URL
	balancer  *luabind.Balancer
	pool      connPool // idle connections, up to keepalive per server
}

// parseUpstreamServer reads "server address [weight=N] [max_fails=N] [fail_timeout=T]
// [backup] [down]".
func parseUpstreamServer(args []string) (*peer, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("invalid number of arguments in \"server\" directive")
	}
	addr := args[0]
	if strings.HasPrefix(addr, "unix:") {
		return nil, fmt.Errorf("unix sockets in upstream servers are not supported by luaws")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), "80")
	}
	p := &peer{addr: addr, weight: 1, maxFails: 1, failTimeout: 10 * time.Second}
	for _, a := range args[1:] {
		k, v, _ := strings.Cut(a, "=")
		var err error
		switch k {
		case "weight":
			p.weight, err = strconv.Atoi(v)
			if err == nil && p.weight <= 0 {
				err = errors.New("bad")
			}
		case "max_fails":
			p.maxFails, err = strconv.Atoi(v)
		case "fail_timeout":
			p.failTimeout, err = ParseTime(v)
		case "max_conns", "slow_start":
			_, err = strconv.Atoi(strings.TrimSuffix(v, "s"))
		case "backup":
			p.backup = true
		case "down":
			p.down = true
		default:
			err = errors.New("bad")
		}
		if err != nil {
			return nil, fmt.Errorf("invalid parameter \"%s\"", a)
		}
	}
	return p, nil
}

func (u *Upstream) usable(p *peer, now time.Time) bool {
	if p.down {
		return false
	}
	if len(u.peers) == 1 { // nginx ignores max_fails and fail_timeout for a lone server
		return true
	}
	return p.maxFails == 0 || p.fails < p.maxFails || now.Sub(p.checked) > p.failTimeout
}

// pick chooses the next server (nginx's smooth weighted round robin), skipping tried ones;
// backups only when no primary is usable. nil: no live upstreams.
func (u *Upstream) pick(tried map[*peer]bool) *peer {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now()
	for _, backup := range []bool{false, true} {
		var best *peer
		total := 0
		for _, p := range u.peers {
			if p.backup != backup || tried[p] || !u.usable(p, now) {
				continue
			}
			p.cur += p.weight
			total += p.weight
			if best == nil || p.cur > best.cur {
				best = p
			}
		}
		if best != nil {
			best.cur -= total
			if best.fails >= best.maxFails && best.maxFails > 0 {
				best.checked = now // a trial request after fail_timeout
			}
			return best
		}
	}
	return nil
}

func (u *Upstream) failed(p *peer) (disabled bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	p.fails++
	p.checked = time.Now()
	return p.maxFails > 0 && p.fails >= p.maxFails
}

func (u *Upstream) succeeded(p *peer) {
	u.mu.Lock()
	if p.fails > 0 && time.Since(p.checked) > p.failTimeout {
		p.fails = 0
	} else if p.fails > 0 {
		p.fails = 0
	}
	u.mu.Unlock()
}

// Proxy is proxy_pass in a location.
type Proxy struct {
	upstream       *Upstream
	scheme         string
	proxyHost      string // $proxy_host
	uri            string // the URI part of the proxy_pass URL
	hasURI         bool
	exactURI       bool // the URL had variables: its URI part is sent as it is
	locPath        string
	headers        []Header // proxy_set_header, then nginx's defaults
	version        string   // proxy_http_version
	passHeaders    bool
	passBody       bool
	connectTimeout time.Duration
	readTimeout    time.Duration
	sendTimeout    time.Duration
	vars           Variables
	log            *errlog.Logger
	serverName     string
	nextTries      int    // proxy_next_upstream_tries
	bind           string // proxy_bind
	// the Lua host and settings a balancer_by_lua* runs with in a location without Lua
	lua         *luabind.Host
	luaSettings *luabind.Settings
}

// defaultProxyHeaders are nginx's proxy_set_header defaults (an empty value: not sent).
var defaultProxyHeaders = []Header{{Name: "Host", Value: "$proxy_host"}, {Name: "Connection", Value: "close"},
	{Name: "Content-Length", Value: "$proxy_internal_body_length"}, {Name: "Transfer-Encoding"},
	{Name: "TE"}, {Name: "Keep-Alive"}, {Name: "Expect"}, {Name: "Upgrade"}}

// proxyHeaders merges the configured proxy_set_header with nginx's defaults.
func proxyHeaders(set []Header) []Header {
	out := append([]Header(nil), set...)
	for _, d := range defaultProxyHeaders {
		found := false
		for _, h := range set {
			if strings.EqualFold(h.Name, d.Name) {
				found = true
			}
		}
		if !found {
			out = append(out, d)
		}
	}
	return out
}

func (p *Proxy) logf(r *http.Request, level int, upstream, format string, args ...any) {
	if p.log == nil {
		return
	}
	c := logConn(r, p.serverName)
	c.Upstream = upstream
	p.log.Logf(level, c, format, args...)
}

// target is the URI sent upstream.
func (p *Proxy) target(r *http.Request) string {
	if !p.hasURI {
		return requestTarget(r)
	}
	if p.exactURI {
		return p.uri
	}
	rest := strings.TrimPrefix(r.URL.EscapedPath(), p.locPath)
	t := p.uri + rest
	if r.URL.RawQuery != "" {
		t += "?" + r.URL.RawQuery
	}
	return t
}

// upgrades reports whether the head sent for r asks for a protocol upgrade (a websocket:
// proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade").
func (p *Proxy) upgrades(r *http.Request) bool {
	var upgrade, conn string
	for _, h := range p.headers {
		switch {
		case strings.EqualFold(h.Name, "Upgrade"):
			upgrade = expand(h.Value, r, p.vars, nil)
		case strings.EqualFold(h.Name, "Connection"):
			conn = expand(h.Value, r, p.vars, nil)
		}
	}
	return upgrade != "" && strings.Contains(strings.ToLower(conn), "upgrade")
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := stateOf(r)
	info := &upstreamInfo{}
	if st != nil {
		st.upstream = info
	}
	if p.upstream.balancer != nil && (p.lua != nil || luabind.HasLuaRequest(r)) {
		p.serveBalanced(w, r, info)
		return
	}
	upgrade := p.upgrades(r)
	tried := map[*peer]bool{}
	for {
		pe := p.upstream.pick(tried)
		if pe == nil && len(tried) > 0 { // every server tried: the last failure answers
			writeSpecial(w, r, http.StatusBadGateway)
			return
		}
		if pe == nil {
			name := p.upstream.Name
			p.logf(r, errlog.Err, p.scheme+"://"+name+p.target(r), "no live upstreams while connecting to upstream")
			info.addrs = append(info.addrs, name)
			info.statuses = append(info.statuses, "502")
			info.times = append(info.times, "0.000")
			writeSpecial(w, r, http.StatusBadGateway)
			return
		}
		tried[pe] = true
		upURL := p.scheme + "://" + pe.addr + p.target(r)
		start := time.Now()
		var status int
		var err error
		if upgrade {
			status, err = p.tunnel(w, r, pe)
		} else {
			status, err = p.forward(w, r, pe)
		}
		info.addrs = append(info.addrs, pe.addr)
		ms := time.Since(start).Milliseconds()
		info.times = append(info.times, fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
		if err == nil {
			info.statuses = append(info.statuses, strconv.Itoa(status))
			p.upstream.succeeded(pe)
			return
		}
		if p.bindFailed(w, r, upURL, err, info) {
			return
		}
		var ce *connectError
		if errors.As(err, &ce) {
			info.statuses = append(info.statuses, "502")
			p.logf(r, errlog.Err, upURL, "%s", connectFailure(ce))
			if p.upstream.failed(pe) && len(p.upstream.peers) > 1 {
				p.logf(r, errlog.Warn, upURL, "upstream server temporarily disabled while connecting to upstream")
			}
			if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
				continue
			}
			writeSpecial(w, r, http.StatusBadGateway)
			return
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			info.statuses = append(info.statuses, "504")
			p.logf(r, errlog.Err, upURL, "upstream timed out (110: Connection timed out) while reading response header from upstream")
			p.upstream.failed(pe)
			writeSpecial(w, r, http.StatusGatewayTimeout)
			return
		}
		info.statuses = append(info.statuses, "502")
		p.logf(r, errlog.Err, upURL, "upstream prematurely closed connection while reading response header from upstream")
		p.upstream.failed(pe)
		writeSpecial(w, r, http.StatusBadGateway)
		return
	}
}

type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// hopByHop are the response fields nginx does not pass from upstream (or sets itself).
var hopByHop = map[string]bool{"Connection": true, "Keep-Alive": true, "Transfer-Encoding": true,
	"Date": true, "Server": true, "X-Pad": true, "X-Accel-Expires": true, "X-Accel-Redirect": true,
	"X-Accel-Limit-Rate": true, "X-Accel-Buffering": true, "X-Accel-Charset": true, "Upgrade": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true}

// forward proxies a plain HTTP request with the head nginx writes (proxyhead.go); a
// connect failure is a *connectError (nothing was sent to the client yet).
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, pe *peer) (int, error) {
	body, bodyLen, err := p.requestBody(r)
	if err != nil {
		return 0, err
	}
	head := p.proxyHead(r, bodyLen)
	c, resp, err := p.roundTrip(r, pe, head, body)
	if err != nil {
		return 0, err
	}
	keep := false
	defer func() {
		if keep && p.upstream.keepalive > 0 {
			p.upstream.pool.put(pe.addr, c, p.upstream.keepalive)
		} else {
			c.Close()
		}
	}()
	stop := context.AfterFunc(r.Context(), func() { c.Close() }) // the client went away
	defer stop()
	if cw := luabind.CaptureOf(w); cw != nil {
		cw.Upstream = resp.Header
	}
	for k, vs := range resp.Header {
		if hopByHop[k] {
			continue
		}
		w.Header()[k] = vs
	}
	w.Header().Set("Server", "luaws")
	if _, ok := resp.Header["Content-Type"]; !ok {
		w.Header()["Content-Type"] = nil // passed as upstream sent it: none, not Go's sniffed one
	}
	if resp.ContentLength >= 0 && w.Header().Get("Content-Length") == "" {
		w.Header().Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodHead {
		return resp.StatusCode, nil
	}
	buf := make([]byte, 32<<10)
	rc := http.NewResponseController(w)
	// proxy_read_timeout between two reads of the body too
	readTimeout := p.readTimeout
	if readTimeout <= 0 {
		readTimeout = 60 * time.Second
	}
	for {
		_ = c.SetReadDeadline(time.Now().Add(readTimeout))
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return resp.StatusCode, nil
			}
			_ = rc.Flush()
		}
		if rerr == io.EOF {
			keep = !resp.Close && c.br.Buffered() == 0 && r.Context().Err() == nil
			return resp.StatusCode, nil
		}
		if rerr != nil {
			msg := "upstream prematurely closed connection while reading upstream"
			var ne net.Error
			if errors.As(rerr, &ne) && ne.Timeout() {
				msg = "upstream timed out (110: Connection timed out) while reading upstream"
			}
			p.logf(r, errlog.Err, "http://"+pe.addr+p.target(r), "%s", msg)
			if c := luabind.CaptureOf(w); c != nil { // a subrequest's body cut short
				c.Truncate()
			}
			return resp.StatusCode, nil
		}
	}
}

// roundTrip sends head and body to pe on a kept-alive connection of the upstream or a new
// one, and reads the response head (1xx interim responses skipped). A kept-alive connection
// the server closed meanwhile is replaced by a new one once.
func (p *Proxy) roundTrip(r *http.Request, pe *peer, head []byte, body io.Reader) (*upConn, *http.Response, error) {
	for attempt := 0; ; attempt++ {
		c := p.upstream.pool.get(pe.addr)
		reused := c != nil && attempt == 0
		if !reused {
			nc, err := p.dialUpstream(r, pe.addr)
			if err != nil {
				return nil, nil, &connectError{err}
			}
			c = &upConn{Conn: nc, br: bufio.NewReader(nc)}
		}
		resp, err := p.exchange(c, r.Method, head, body)
		if err == nil {
			return c, resp, nil
		}
		c.Close()
		if !reused || body != nil {
			return nil, nil, err
		}
	}
}

// exchange writes the request on c and reads the response head within the timeouts.
func (p *Proxy) exchange(c *upConn, method string, head []byte, body io.Reader) (*http.Response, error) {
	if p.sendTimeout > 0 {
		_ = c.SetWriteDeadline(time.Now().Add(p.sendTimeout))
	}
	if _, err := c.Write(head); err != nil {
		return nil, fmt.Errorf("send request head: %w", err)
	}
	if body != nil {
		if _, err := io.Copy(c, body); err != nil {
			return nil, fmt.Errorf("send request body: %w", err)
		}
	}
	_ = c.SetWriteDeadline(time.Time{})
	for {
		if p.readTimeout > 0 {
			_ = c.SetReadDeadline(time.Now().Add(p.readTimeout))
		}
		resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
		if err != nil {
			return nil, fmt.Errorf("read response header: %w", err)
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
		resp.Body.Close()
	}
}

// tunnel proxies a request that asks for a protocol upgrade (a websocket): on 101 both
// connections are joined until either side closes or nothing moves for proxy_read_timeout.
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request, pe *peer) (int, error) {
	up, err := p.dialUpstream(r, pe.addr)
	if err != nil {
		return 0, &connectError{err}
	}
	body, bodyLen, err := p.requestBody(r)
	if err != nil {
		up.Close()
		return 0, err
	}
	_ = up.SetWriteDeadline(time.Now().Add(p.sendTimeout))
	if _, err := up.Write(p.proxyHead(r, bodyLen)); err != nil {
		up.Close()
		return 0, fmt.Errorf("send request head: %w", err)
	}
	if body != nil {
		if _, err := io.Copy(up, body); err != nil {
			up.Close()
			return 0, fmt.Errorf("send request body: %w", err)
		}
	}
	_ = up.SetWriteDeadline(time.Time{})
	_ = up.SetReadDeadline(time.Now().Add(p.readTimeout))
	br := bufio.NewReader(up)
	resp, err := http.ReadResponse(br, &http.Request{Method: r.Method})
	if err != nil {
		up.Close()
		return 0, err
	}
	_ = up.SetReadDeadline(time.Time{})
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer up.Close()
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			if !hopByHop[k] {
				w.Header()[k] = vs
			}
		}
		w.Header().Set("Server", "luaws")
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		return resp.StatusCode, nil
	}
	client, cbuf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		return 0, err
	}
	// the 101 head as nginx sends it: its own Server and Date, then upstream's fields
	head := []byte("HTTP/1.1 101 Switching Protocols\r\nServer: luaws\r\nDate: ")
	head = time.Now().UTC().AppendFormat(head, http.TimeFormat)
	head = append(head, "\r\nConnection: upgrade\r\n"...)
	for k, vs := range resp.Header {
		if k == "Date" || k == "Server" || k == "Connection" {
			continue
		}
		for _, v := range vs {
			head = append(head, k+": "+v+"\r\n"...)
		}
	}
	head = append(head, "\r\n"...)
	go p.join(r.Context(), client, cbuf.Reader, up, br, head, resp.StatusCode)
	return resp.StatusCode, nil
}

// join copies both ways; each side's idle deadline is proxy_read_timeout, renewed by traffic
// in either direction, as nginx's upgraded connections time out.
func (p *Proxy) join(ctx context.Context, client net.Conn, cr *bufio.Reader, up net.Conn, ur *bufio.Reader, head []byte, status int) {
	var sent int64
	n, err := client.Write(head)
	sent += int64(n)
	var mu sync.Mutex
	last := time.Now()
	touch := func() {
		mu.Lock()
		last = time.Now()
		mu.Unlock()
	}
	idle := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return time.Since(last) >= p.readTimeout
	}
	var wg sync.WaitGroup
	copyOne := func(dst net.Conn, src net.Conn, r *bufio.Reader, count *int64) {
		defer wg.Done()
		buf := make([]byte, 32<<10)
		for {
			_ = src.SetReadDeadline(time.Now().Add(p.readTimeout))
			n, rerr := r.Read(buf)
			if n > 0 {
				touch()
				_ = dst.SetWriteDeadline(time.Now().Add(p.sendTimeout))
				m, werr := dst.Write(buf[:n])
				if count != nil {
					mu.Lock()
					*count += int64(m)
					mu.Unlock()
				}
				if werr != nil {
					break
				}
			}
			if rerr != nil {
				var ne net.Error
				if errors.As(rerr, &ne) && ne.Timeout() && !idle() {
					continue
				}
				break
			}
		}
		// one side is done: close both, as nginx finalizes the upgraded request
		client.Close()
		up.Close()
	}
	if err == nil {
		wg.Add(2)
		go copyOne(client, up, ur, &sent)
		go copyOne(up, client, cr, nil)
		wg.Wait()
	} else {
		client.Close()
		up.Close()
	}
	mu.Lock()
	total := sent
	mu.Unlock()
	luabind.ReportSent(ctx, luabind.Sent{Status: status, Bytes: total, BodyBytes: total - int64(len(head))})
}

// proxyScheme is the scheme of a proxy_pass URL.
func proxyScheme(url string) string {
	if strings.HasPrefix(url, "https://") {
		return "https"
	}
	return "http"
}

// dialUpstream connects to addr; for an https proxy_pass it then does the TLS handshake as
// nginx's defaults do (proxy_ssl_verify off, proxy_ssl_server_name off: no SNI). A failed
// handshake is logged as nginx logs it and is a connect failure.
func (p *Proxy) dialUpstream(r *http.Request, addr string) (net.Conn, error) {
	network := "tcp"
	if path, ok := strings.CutPrefix(addr, "unix:"); ok { // a peer a balancer set
		network, addr = "unix", path
	}
	d := &net.Dialer{Timeout: p.connectTimeout}
	local := ""
	if p.bind != "" && network == "tcp" {
		if local = expand(p.bind, r, p.vars, bindVars(r)); local == "off" {
			local = ""
		}
		if local != "" {
			ip := net.ParseIP(local)
			if ip == nil {
				return nil, &bindError{addr: local, err: syscall.EADDRNOTAVAIL}
			}
			d.LocalAddr = &net.TCPAddr{IP: ip}
		}
	}
	nc, err := d.DialContext(r.Context(), network, addr)
	if err != nil && local != "" && errors.Is(err, syscall.EADDRNOTAVAIL) {
		return nil, &bindError{addr: local, err: err}
	}
	if err != nil || p.scheme != "https" {
		return nc, err
	}
	tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true, ServerName: "", MinVersion: tls.VersionTLS10})
	timeout := p.connectTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	if err := tc.HandshakeContext(r.Context()); err != nil {
		nc.Close()
		return nil, &handshakeError{err}
	}
	_ = nc.SetDeadline(time.Time{})
	return tc, nil
}

// bindVars are the variables "set" and Lua gave the request (Lua's last).
func bindVars(r *http.Request) map[string]string {
	set, lua := requestVars(r), luabind.LuaVars(r.Context())
	if len(lua) == 0 {
		return set
	}
	m := make(map[string]string, len(set)+len(lua))
	for k, v := range set {
		m[k] = v
	}
	for k, v := range lua {
		m[k] = v
	}
	return m
}

// bindError is proxy_bind's address that cannot be bound: nginx logs it at crit and
// answers 500 (ngx_event_connect_peer's NGX_ERROR), with no next attempt.
type bindError struct {
	addr string
	err  error
}

func (e *bindError) Error() string {
	return "bind(" + e.addr + ") failed (" + errnoText(e.err) + ")"
}

// bindFailed answers a proxy_bind failure as nginx does: [crit], 500, no next attempt.
func (p *Proxy) bindFailed(w http.ResponseWriter, r *http.Request, upURL string, err error, info *upstreamInfo) bool {
	var be *bindError
	if !errors.As(err, &be) {
		return false
	}
	p.logf(r, errlog.Crit, upURL, "%s while connecting to upstream", be.Error())
	info.statuses = append(info.statuses, "500")
	writeSpecial(w, r, http.StatusInternalServerError)
	return true
}

// connectFailure is the error.log text of a failed connect.
func connectFailure(ce *connectError) string {
	var he *handshakeError
	if errors.As(ce.err, &he) {
		return he.Error() + " while SSL handshaking to upstream"
	}
	return "connect() failed (" + errnoText(ce.err) + ") while connecting to upstream"
}

// handshakeError is a TLS handshake with an https upstream that failed.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return "SSL_do_handshake() failed (" + e.err.Error() + ")" }

// parseProxyPass reads the URL of proxy_pass: "http[s]://host[:port][/uri]" or
// "http[s]://upstream_name[/uri]".
func parseProxyPass(arg string, upstreams map[string]*Upstream) (*Upstream, string, string, bool, error) {
	port := "80"
	rest, ok := strings.CutPrefix(arg, "http://")
	if !ok {
		if rest, ok = strings.CutPrefix(arg, "https://"); !ok {
			return nil, "", "", false, fmt.Errorf("invalid URL prefix in \"%s\"", arg)
		}
		port = "443"
	}
	hostport, uri, hasURI := strings.Cut(rest, "/")
	if hasURI {
		uri = "/" + uri
	}
	if strings.Contains(hostport, "$") {
		return nil, "", "", false, fmt.Errorf("variables in proxy_pass are not supported by luaws")
	}
	if u := upstreams[hostport]; u != nil {
		return u, hostport, uri, hasURI, nil
	}
	addr := hostport
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), port)
	}
	u := &Upstream{Name: hostport, implicit: true,
		peers: []*peer{{addr: addr, weight: 1, maxFails: 1, failTimeout: 10 * time.Second}}}
	return u, hostport, uri, hasURI, nil
}

// upstreamTries is nginx's first u->peer.tries: one per server, capped by
// proxy_next_upstream_tries.
func (p *Proxy) upstreamTries() int {
	n := len(p.upstream.peers)
	if p.nextTries > 0 && n > p.nextTries {
		n = p.nextTries
	}
	return n
}

// Failure kinds of an attempt, as nginx's ngx_http_upstream_next numbers them
// (NGX_HTTP_UPSTREAM_FT_ERROR, _TIMEOUT) in its "http next upstream" debug line.
const (
	ftError   = 0x2
	ftTimeout = 0x4
)

// serveBalanced is proxy_pass to an upstream{} with a balancer_by_lua*: before each attempt
// the chunk runs (luabind/balancer.go) and may name the peer, add tries and set this
// attempt's timeouts; a peer it names is not counted against the servers' max_fails, and
// without one the upstream's round robin picks. An attempt that fails before the response
// header (connect error, timeout, an upstream that closes) is followed by the next while
// tries are left, as nginx's default "proxy_next_upstream error timeout" does (POST, LOCK
// and PATCH only after a connect error); the body is read whole first, and the head and
// body written before the first attempt go out each time unless the chunk called
// recreate_request().
func (p *Proxy) serveBalanced(w http.ResponseWriter, r *http.Request, info *upstreamInfo) {
	host := p.lua
	run := host.StartBalancer(w, r, p.luaSettings)
	defer run.End()
	upgrade := p.upgrades(r)
	tried := map[*peer]bool{}
	tries, total := p.upstreamTries(), 0
	lastState, lastStatus, prevURL := 0, 0, ""
	idempotent := r.Method != http.MethodPost && r.Method != "LOCK" && r.Method != http.MethodPatch
	for {
		a := &luabind.BalancerAttempt{Tries: tries, TotalTries: total, MaxTries: p.nextTries,
			LastState: lastState, LastStatus: lastStatus, Upstream: prevURL}
		if status := run.Run(p.upstream.balancer, a); status != 0 {
			writeSpecial(w, r, status)
			return
		}
		cur := run.Request(r, a.Recreate)
		var pe *peer
		chosen := a.Peer != ""
		if chosen {
			tries += a.MoreTries
			pe = &peer{addr: a.Peer, weight: 1}
		} else if pe = p.upstream.pick(tried); pe == nil {
			if len(tried) == 0 {
				name := p.upstream.Name
				p.logf(r, errlog.Err, p.scheme+"://"+name+p.target(r), "no live upstreams while connecting to upstream")
				info.addrs = append(info.addrs, name)
				info.statuses = append(info.statuses, "502")
				info.times = append(info.times, "0.000")
			}
			writeSpecial(w, r, http.StatusBadGateway)
			return
		} else {
			tried[pe] = true
		}
		pp := p
		if a.ConnectTimeout > 0 || a.SendTimeout > 0 || a.ReadTimeout > 0 {
			c := *p
			if a.ConnectTimeout > 0 {
				c.connectTimeout = a.ConnectTimeout
			}
			if a.SendTimeout > 0 {
				c.sendTimeout = a.SendTimeout
			}
			if a.ReadTimeout > 0 {
				c.readTimeout = a.ReadTimeout
			}
			pp = &c
		}
		upURL := p.scheme + "://" + pe.addr + p.target(r)
		start := time.Now()
		var status int
		var err error
		if upgrade {
			status, err = pp.tunnel(w, cur, pe)
		} else {
			status, err = pp.forward(w, cur, pe)
		}
		info.addrs = append(info.addrs, pe.addr)
		ms := time.Since(start).Milliseconds()
		info.times = append(info.times, fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
		if err == nil {
			info.statuses = append(info.statuses, strconv.Itoa(status))
			if !chosen {
				p.upstream.succeeded(pe)
			}
			return
		}
		if p.bindFailed(w, r, upURL, err, info) {
			return
		}
		ft, code, retry := ftError, http.StatusBadGateway, idempotent
		var ce *connectError
		var ne net.Error
		switch {
		case errors.As(err, &ce):
			p.logf(r, errlog.Err, upURL, "%s", connectFailure(ce))
			retry = true
		case errors.As(err, &ne) && ne.Timeout():
			ft, code = ftTimeout, http.StatusGatewayTimeout
			p.logf(r, errlog.Err, upURL, "upstream timed out (110: Connection timed out) while reading response header from upstream")
		default:
			p.logf(r, errlog.Err, upURL, "upstream prematurely closed connection while reading response header from upstream")
		}
		info.statuses = append(info.statuses, strconv.Itoa(code))
		if p.log != nil && p.log.Enabled(errlog.Debug) {
			p.logf(r, errlog.Debug, "", "http next upstream, %x", ft)
		}
		if chosen {
			lastState, lastStatus = luabind.PeerFailed, code
		} else if p.upstream.failed(pe) && len(p.upstream.peers) > 1 {
			p.logf(r, errlog.Warn, upURL, "upstream server temporarily disabled while connecting to upstream")
		}
		if tries > 0 {
			tries--
		}
		total++
		prevURL = upURL
		if tries == 0 || !retry {
			writeSpecial(w, r, code)
			return
		}
	}
}
