package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/internal/errpage"
	"github.com/luaws/luaws/luabind"
)

// Site is nginx's http{} block: virtual servers (server{} blocks) on their listeners. Build
// one from an nginx.conf with FromNginx, then Listen, Serve and Shutdown it.
type Site struct {
	Servers []*VServer
	Log     *errlog.Logger
	// KeepaliveTimeout is keepalive_timeout (idle time between requests); 0 means 75s,
	// negative no keep-alive. A listener's default server may set its own.
	KeepaliveTimeout time.Duration
	// ConnContext numbers connections for log lines (a luabind.Host's ConnContext).
	ConnContext func(context.Context, net.Conn) context.Context
	// LuaHosts are waited for on Shutdown (websocket handlers outlive their ServeHTTP).
	LuaHosts []*luabind.Host
	// Sockets are the listening sockets, shared with the Site a reload replaces (nil: the
	// Site binds its own, closed with it).
	Sockets    *Sockets
	ownSockets bool

	mu        sync.Mutex
	listeners []*siteListener
	wg        sync.WaitGroup
	stopping  bool
	active    sync.WaitGroup        // requests in their handler (websockets included)
	conns     int                   // connections net/http serves (not closed nor hijacked)
	taken     map[net.Conn]struct{} // connections handlers took over (websockets)
	stats     connStats
}

// VServer is one server{} block.
type VServer struct {
	// Names are the server_name values: exact names, "*.example.com", "www.example.*",
	// ".example.com" (both), or "~regex".
	Names     []string
	Listens   []Listen
	Locations []*Loc
	// TLS serves the ssl listens: certificate and client verification of this server.
	TLS *tls.Config
	// MaxBodySize is client_max_body_size (0: unlimited).
	MaxBodySize int64
	// Pos is where the server block starts ("FILE:LINE").
	Pos string
	// AccessLogs log requests that end before a location is chosen (413, no location).
	AccessLogs []*AccessLog
	// Vars computes nginx variables for the server's own directives (access log formats).
	Vars Variables
	// KeepaliveTimeout is the server's keepalive_timeout (0: the Site's): the one of a
	// listener's default server applies to its connections (nginx applies the location's).
	KeepaliveTimeout time.Duration
	// ServerTokensOff is "server_tokens off" at the server level: "Server: luaws" without
	// the version in what the server itself answers.
	ServerTokensOff bool
	// Rewrite is the server level's configuration, whose Script runs before the location is
	// searched (nil: none).
	Rewrite *LocHandler

	more    []*moreCmd // headers-more commands of the http and server levels
	namesRe []*regexp.Regexp
}

// Listen is one listen directive.
type Listen struct {
	Addr          string // host:port, "0.0.0.0:80" for a bare port
	SSL           bool
	DefaultServer bool
	KeepAlive     KeepAlive
	// File and Line are where the directive is (for nginx's messages), if known.
	File string
	Line int
}

// Loc is one location{} block (or the server's implicit one).
type Loc struct {
	// Modifier is "=", "^~", "" (prefix), "~", "~*" or "@" (named).
	Modifier string
	Path     string
	Nested   []*Loc
	Handler  http.Handler
	// Internal is "internal": only error_page redirects reach it; ErrorPages answer the
	// 404 others get.
	Internal   bool
	ErrorPages ErrorPages
	// ServerTokensOff is "server_tokens off" in the location (or inherited).
	ServerTokensOff bool
	re              *regexp.Regexp
	// redirect answers the URI without the trailing slash of a proxy_pass location's name
	// (nginx's auto_redirect: a 301 to the name); nil for other locations
	redirect *Loc
}

// compile prepares regex locations and server names.
func (v *VServer) compile() error {
	var walk func([]*Loc) error
	walk = func(ls []*Loc) error {
		for _, l := range ls {
			switch l.Modifier {
			case "~", "~*":
				expr := l.Path
				if l.Modifier == "~*" {
					expr = "(?i)" + expr
				}
				re, err := regexp.Compile(expr)
				if err != nil {
					return fmt.Errorf("location %s %s: %w", l.Modifier, l.Path, err)
				}
				l.re = re
			}
			if err := walk(l.Nested); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(v.Locations); err != nil {
		return err
	}
	for _, n := range v.Names {
		if strings.HasPrefix(n, "~") {
			re, err := regexp.Compile(n[1:])
			if err != nil {
				return fmt.Errorf("server_name %s: %w", n, err)
			}
			v.namesRe = append(v.namesRe, re)
		}
	}
	return nil
}

// FindLocation picks the location for a URI path as nginx does: an exact "=" match; else
// the longest prefix (searching the locations nested in it); unless that prefix is "^~",
// the first matching regex wins over it; else the prefix.
func FindLocation(locs []*Loc, uri string) *Loc {
	l, _ := findLocation(locs, uri)
	return l
}

func findLocation(locs []*Loc, uri string) (*Loc, bool) {
	var best, redirect *Loc
	for _, l := range locs {
		if l.redirect != nil && len(l.Path) == len(uri)+1 && strings.HasPrefix(l.Path, uri) {
			redirect = l.redirect
		}
		switch l.Modifier {
		case "=":
			if l.Path == uri {
				return l, true
			}
		case "", "^~":
			if strings.HasPrefix(uri, l.Path) && (best == nil || len(l.Path) > len(best.Path)) {
				best = l
			}
		}
	}
	// a location named exactly the URI wins over the redirect, which wins over the rest
	// (regular expressions included)
	if redirect != nil && (best == nil || len(best.Path) < len(uri)) {
		return redirect, true
	}
	noregex := false
	if best != nil {
		noregex = best.Modifier == "^~"
		if len(best.Nested) > 0 {
			if n, done := findLocation(best.Nested, uri); n != nil {
				if done {
					return n, true
				}
				best = n
			}
		}
	}
	if !noregex {
		for _, l := range locs {
			if l.re != nil && l.re.MatchString(uri) {
				if len(l.Nested) > 0 {
					if n, _ := findLocation(l.Nested, uri); n != nil {
						return n, true
					}
				}
				return l, true
			}
		}
	}
	return best, false
}

// NamedLocation finds "location @name".
func (v *VServer) NamedLocation(name string) *Loc {
	for _, l := range v.Locations {
		if l.Modifier == "@" && l.Path == name {
			return l
		}
	}
	return nil
}

// matchName reports how well host matches the server's names: 4 exact, 3 leading wildcard,
// 2 trailing wildcard, 1 regex, 0 none; n is the length of the wildcard match.
func (v *VServer) matchName(host string) (rank, n int) {
	for _, name := range v.Names {
		name = strings.ToLower(name)
		switch {
		case strings.HasPrefix(name, "~"):
		case name == host:
			return 4, len(name)
		case strings.HasPrefix(name, "*.") && strings.HasSuffix(host, name[1:]):
			if rank < 3 || len(name) > n {
				rank, n = 3, len(name)
			}
		case strings.HasPrefix(name, ".") && (host == name[1:] || strings.HasSuffix(host, name)):
			if rank < 3 || len(name) > n {
				rank, n = 3, len(name)
			}
		case strings.HasSuffix(name, ".*") && strings.HasPrefix(host, name[:len(name)-1]):
			if rank < 2 || (rank == 2 && len(name) > n) {
				rank, n = 2, len(name)
			}
		}
	}
	if rank > 0 {
		return rank, n
	}
	for _, re := range v.namesRe {
		if re.MatchString(host) {
			return 1, 0
		}
	}
	return 0, 0
}

// siteListener is one bound socket and the servers listening on it.
type siteListener struct {
	addr    string
	ho      *handoff // the shared socket's connections, once activated by Serve
	ln      net.Listener
	hs      *http.Server
	servers []*VServer // in configuration order
	deflt   *VServer
	tls     bool
}

// pick chooses the virtual server for a host name (from Host or SNI).
func (sl *siteListener) pick(host string) *VServer {
	host = strings.ToLower(strings.TrimSuffix(hostOnly(host), "."))
	var best *VServer
	bestRank, bestN := 0, 0
	for _, v := range sl.servers {
		r, n := v.matchName(host)
		if r > bestRank || (r == bestRank && r > 0 && n > bestN) {
			best, bestRank, bestN = v, r, n
		}
	}
	if best != nil {
		return best
	}
	return sl.deflt
}

func hostOnly(h string) string {
	if h == "unix:" { // a unix domain socket's peer
		return h
	}
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return strings.Trim(h, "[]")
}

// NormalizeListen turns nginx's listen address ("80", "*:80", "127.0.0.1:80", "[::]:80",
// "localhost:80") into host:port; "unix:/path" stays as it is.
func NormalizeListen(a string) (string, error) {
	if path, ok := strings.CutPrefix(a, "unix:"); ok { // a unix domain socket, kept as is
		if path == "" {
			return "", fmt.Errorf("no path in the unix domain socket %q", a)
		}
		return a, nil
	}
	if _, err := strconv.Atoi(a); err == nil {
		return "0.0.0.0:" + a, nil
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		// "127.0.0.1" alone: port 80
		if net.ParseIP(a) != nil || !strings.Contains(a, ":") {
			return net.JoinHostPort(a, "80"), nil
		}
		return "", fmt.Errorf("invalid listen address %q", a)
	}
	if host == "*" || host == "" {
		host = "0.0.0.0"
	}
	if _, err := strconv.Atoi(port); err != nil {
		return "", fmt.Errorf("invalid port in %q", a)
	}
	return net.JoinHostPort(host, port), nil
}

// Listen binds every listen address of every server (each address once, shared by the
// servers naming it). On an error nothing stays bound.
func (s *Site) Listen() error {
	byAddr := map[string]*siteListener{}
	var order []string
	for _, v := range s.Servers {
		if err := v.compile(); err != nil {
			return err
		}
		for _, l := range v.Listens {
			sl := byAddr[l.Addr]
			if sl == nil {
				sl = &siteListener{addr: l.Addr}
				byAddr[l.Addr] = sl
				order = append(order, l.Addr)
			}
			if !containsServer(sl.servers, v) {
				sl.servers = append(sl.servers, v)
			}
			if l.DefaultServer {
				if sl.deflt != nil && sl.deflt != v {
					return fmt.Errorf("a duplicate default server for %s in %s", l.Addr, v.Pos)
				}
				sl.deflt = v
			}
			if l.SSL {
				sl.tls = true
			}
		}
	}
	if s.Sockets == nil {
		s.Sockets, s.ownSockets = NewSockets(), true
	}
	var fresh []string
	fail := func(err error) error {
		for _, a := range fresh {
			s.Sockets.release(a)
		}
		return err
	}
	var bound []*siteListener
	for _, addr := range order {
		sl := byAddr[addr]
		if sl.deflt == nil {
			sl.deflt = sl.servers[0]
		}
		var ka KeepAlive
		for _, v := range sl.servers {
			for _, l := range v.Listens {
				if l.Addr == addr && l.KeepAlive.On {
					ka = l.KeepAlive
				}
			}
		}
		ho, isNew, err := s.Sockets.listener(addr, ka)
		if err != nil {
			return fail(fmt.Errorf("bind() to %s failed (%s)", addr, errnoText(err)))
		}
		if isNew {
			fresh = append(fresh, addr)
		}
		sl.ho = ho
		ho.accepted, ho.unaccepted = s.connAccepted, s.connUnaccepted
		sl.ln = newGuardListener(ho, s.Log, firstName(sl.deflt), !sl.tls)
		bound = append(bound, sl)
		if sl.tls {
			cfg, err := sl.tlsConfig()
			if err != nil {
				return fail(err)
			}
			sl.ln = tls.NewListener(sl.ln, cfg)
		}
		idle := s.KeepaliveTimeout
		if sl.deflt.KeepaliveTimeout != 0 {
			idle = sl.deflt.KeepaliveTimeout
		}
		keepOff := idle < 0
		if idle <= 0 {
			idle = 75 * time.Second
		}
		sl.hs = &http.Server{
			Addr:        addr, // nginx's listening addr_text: timers' log lines name it (luabind)
			Handler:     s.handler(sl),
			ConnContext: framingContext(s.connContext),
			ConnState: func(c net.Conn, st http.ConnState) {
				s.stats.connState(c, st) // stub_status
				s.connState(c, st)       // graceful stop and reload
			},
			ReadHeaderTimeout: 60 * time.Second,
			IdleTimeout:       idle,
			MaxHeaderBytes:    32 << 10,
			ErrorLog:          log.New(logWriter{s.Log}, "", 0),
			TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		}
		if keepOff {
			sl.hs.SetKeepAlivesEnabled(false)
		}
	}
	s.mu.Lock()
	s.listeners = bound
	s.mu.Unlock()
	return nil
}

func containsServer(vs []*VServer, v *VServer) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// tlsConfig picks each handshake's certificate and client verification by SNI.
func (sl *siteListener) tlsConfig() (*tls.Config, error) {
	var withTLS []*VServer
	for _, v := range sl.servers {
		if v.TLS != nil {
			withTLS = append(withTLS, v)
		}
	}
	if len(withTLS) == 0 {
		return nil, fmt.Errorf("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive on %s", sl.addr)
	}
	return &tls.Config{
		NextProtos: []string{"http/1.1"},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			v := sl.pick(hello.ServerName)
			if v == nil || v.TLS == nil {
				v = withTLS[0]
			}
			return v.TLS, nil
		},
	}, nil
}

// Addrs returns the bound addresses, in configuration order.
func (s *Site) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, sl := range s.listeners {
		out = append(out, sl.ln.Addr())
	}
	return out
}

// Serve serves every listener until Shutdown or Close; it returns the first error other
// than the server being closed.
func (s *Site) Serve() error {
	s.mu.Lock()
	ls := s.listeners
	s.mu.Unlock()
	errc := make(chan error, len(ls))
	for _, sl := range ls {
		sl.ho.sl.activate(sl.ho)
	}
	for _, sl := range ls {
		sl := sl
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			err := sl.hs.Serve(sl.ln)
			s.mu.Lock()
			stopping := s.stopping
			s.mu.Unlock()
			if errors.Is(err, http.ErrServerClosed) || stopping {
				err = nil
			}
			errc <- err
		}()
	}
	var first error
	for range ls {
		if err := <-errc; err != nil && first == nil {
			first = err
			s.Close()
		}
	}
	return first
}

// connAccepted and connState count the connections the Site serves, from the moment its
// listener hands one out (so that a drain never misses one net/http has not tracked yet).
func (s *Site) connAccepted() {
	s.mu.Lock()
	s.conns++
	s.mu.Unlock()
}

func (s *Site) connUnaccepted() {
	s.mu.Lock()
	s.conns--
	s.mu.Unlock()
}

func (s *Site) connState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateClosed, http.StateHijacked:
		s.mu.Lock()
		s.conns--
		s.mu.Unlock()
	}
}

func (s *Site) openConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// ListenAddrs are the listen addresses the Site serves (as configured, host:port).
func (s *Site) ListenAddrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, sl := range s.listeners {
		out = append(out, sl.addr)
	}
	return out
}

// StopAccepting detaches the Site from its sockets; requests under way carry on.
func (s *Site) StopAccepting() {
	s.mu.Lock()
	s.stopping = true
	ls := s.listeners
	s.mu.Unlock()
	for _, sl := range ls {
		sl.ln.Close()
	}
}

// Shutdown is nginx's graceful stop (SIGQUIT, and the old configuration's end after a
// reload): the Site stops accepting, ngx.worker.exiting() turns true and pending timers
// fire prematurely, and requests and websocket handlers run on — nothing is sent on their
// behalf — until they end or ctx does (worker_shutdown_timeout). Then each remaining
// websocket gets a close frame with status 1001 "going away" and every connection is closed.
func (s *Site) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	ls := s.listeners
	s.mu.Unlock()
	for _, h := range s.LuaHosts {
		h.Exit()
	}
	// Not http.Server.Shutdown: it drops a connection whose first request arrives after it
	// began, which would refuse a handshake in flight across a reload. Instead: detach from
	// the sockets, turn keep-alive off (idle connections close now, the others after their
	// response) and wait for the connections to end.
	var wg sync.WaitGroup
	for _, sl := range ls {
		sl.ln.Close()
		sl.hs.SetKeepAlivesEnabled(false)
	}
	for _, h := range s.LuaHosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Shutdown(ctx) // timers
		}()
	}
	var err error
	for s.openConns() > 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	wg.Wait()
	done := make(chan struct{})
	go func() {
		s.active.Wait()
		for _, h := range s.LuaHosts {
			_ = h.Wait(context.Background())
		}
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		for _, h := range s.LuaHosts {
			if n := h.Websockets(); n > 0 {
				s.Log.Logf(errlog.Notice, nil, "closing %d websocket connection(s) on shutdown timeout", n)
			}
			_ = h.GoAway(actx)
		}
		cancel()
		s.mu.Lock()
		for c := range s.taken {
			_ = c.Close()
		}
		s.mu.Unlock()
		err = ctx.Err()
	}
	for _, sl := range ls {
		_ = sl.hs.Close()
	}
	if s.ownSockets {
		s.Sockets.Close()
	}
	return err
}

// Close closes every listener and connection at once.
func (s *Site) Close() error {
	s.mu.Lock()
	s.stopping = true
	ls := s.listeners
	s.mu.Unlock()
	for _, sl := range ls {
		if sl.hs != nil {
			sl.hs.Close()
		} else if sl.ln != nil {
			sl.ln.Close()
		}
	}
	if s.ownSockets {
		s.Sockets.Close()
	}
	return nil
}

// handler serves a listener's requests: virtual server by Host, then location.
func (s *Site) handler(sl *siteListener) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r, ok := checkFraming(w, r)
		if !ok {
			return
		}
		if bw, ok := w.(*bodyOnlyWriter); ok {
			defer bw.close()
		}
		v := sl.pick(r.Host)
		if v == nil {
			v = sl.deflt
		}
		s.active.Add(1)
		defer s.active.Done()
		r, st := withState(r, v.AccessLogs, v.Vars)
		if n, ok := r.Context().Value(connReqsKey{}).(*atomic.Int64); ok {
			st.connReqs = int(n.Add(1))
		}
		rw := &respWriter{ResponseWriter: w, site: s, req: r, tokensOff: v.ServerTokensOff, more: v.more}
		if len(v.more) > 0 {
			rw.moreEval = func(s string) string { return expand(s, r, v.Vars, nil) }
		}
		s.stats.request(st)
		defer func() {
			rw.closeOverrun()
			if rw.conn != nil {
				s.mu.Lock()
				delete(s.taken, rw.conn)
				s.mu.Unlock()
			}
			st.returned(rw)
		}()
		if v.MaxBodySize > 0 && r.ContentLength > v.MaxBodySize {
			s.Log.Logf(errlog.Err, nil, "client intended to send too large body: %d bytes", r.ContentLength)
			writeSpecial(rw, r, http.StatusRequestEntityTooLarge)
			return
		}
		ctx := context.WithValue(r.Context(), vserverKey{}, v)
		r = r.WithContext(luabind.WithDispatcher(ctx, s.dispatch))
		if bl := badLineOf(r); bl != nil && bl.status != 0 { // the default server's error_page, if any
			var pages ErrorPages
			if v.Rewrite != nil {
				pages = v.Rewrite.ErrorPages
			}
			writeSpecial(rw, withErrorPages(r, pages), bl.status)
			return
		}
		if r = v.serverRewrite(rw, r); r == nil {
			return
		}
		l := FindLocation(v.Locations, r.URL.Path)
		if l == nil || l.Handler == nil {
			writeSpecial(rw, r, http.StatusNotFound)
			return
		}
		if l.Path != "" { // the server level's own handlers keep the server's value
			rw.tokensOff = l.ServerTokensOff
		}
		if l.Internal {
			writeSpecial(rw, withErrorPages(r, l.ErrorPages), http.StatusNotFound)
			return
		}
		if l.re != nil {
			st.captures = l.re.FindStringSubmatch(r.URL.Path)
		}
		l.Handler.ServeHTTP(rw, r)
	})
}

type vserverKey struct{}

type connReqsKey struct{}

// connContext numbers the connection for log lines and counts its requests
// ($connection_requests).
func (s *Site) connContext(ctx context.Context, c net.Conn) context.Context {
	if s.ConnContext != nil {
		ctx = s.ConnContext(ctx, c)
	}
	return context.WithValue(ctx, connReqsKey{}, new(atomic.Int64))
}

// ServerOf returns the virtual server serving r (nil outside of a Site).
func ServerOf(r *http.Request) *VServer {
	v, _ := r.Context().Value(vserverKey{}).(*VServer)
	return v
}

// writeSpecial sends the location's error_page for status, else nginx's built-in page.
func writeSpecial(w http.ResponseWriter, r *http.Request, status int) {
	if status >= 300 && serveErrorPage(w, r, status) {
		return
	}
	writeSpecialPlain(w, r, status)
}

// writeSpecialPlain sends nginx's built-in error page for status.
func writeSpecialPlain(w http.ResponseWriter, r *http.Request, status int) {
	if c := luabind.CaptureOf(w); c != nil && c.DropsErrorPages() { // a Lua capture's: the status only
		c.Special(status)
		return
	}
	h := w.Header()
	token := luabind.ServerTokenOf(w)
	h.Set("Server", token)
	body, page := errpage.BodyBy(status, token)
	if !page {
		if status >= 300 && status != http.StatusNotModified {
			h.Set("Content-Length", "0")
		}
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

// sortedKeys is a helper for stable output.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// errnoText renders a system error as nginx does: "98: Address already in use".
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := errno.Error()
		if msg != "" {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
		return fmt.Sprintf("%d: %s", int(errno), msg)
	}
	return err.Error()
}
