package luabind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/luajit"
)

// balancer_by_lua* and require "ngx.balancer" (lua-resty-core 0.1.25's API).
//
// As lua-nginx-module 0.10.23 runs it, the chunk of an upstream{} block runs before each
// attempt of proxy_pass to that upstream, in the Lua state and with the ngx.ctx of the
// request that proxies (a request with no Lua phase of its own gets one for the duration of
// proxy_pass): it may pick the peer (set_current_peer), add tries (set_more_tries), see how
// the previous attempt failed (get_last_failure) and change the timeouts of this attempt
// (set_timeouts). It runs to its end without yielding: cosockets, ngx.sleep, the output
// API, subrequests and light threads are "API disabled in the context of
// balancer_by_lua*". Its log lines end in "while connecting to upstream". An error, or
// ngx.exit with anything but ngx.OK, answers 500.

// Balancer is the balancer_by_lua* chunk of an upstream{} block.
type Balancer struct {
	chunk Chunk
	once  sync.Once
	get   func() (*lua.FunctionProto, error)
}

// NewBalancer returns the balancer of chunk c. Like lua-nginx-module, luaws compiles it on
// the first request that runs it: a chunk that does not compile fails those requests (500,
// "failed to load inlined Lua code: ..."), not the start.
func NewBalancer(c Chunk) *Balancer { return &Balancer{chunk: c} }

func (b *Balancer) proto(r *request) (*lua.FunctionProto, error) {
	if b.chunk.FilePath != nil || b.chunk.File != "" { // cached by path and mtime
		path := b.chunk.File
		if b.chunk.FilePath != nil {
			path = b.chunk.FilePath(r.r)
		}
		proto, err := r.host.protos.file(path)
		var pe *fs.PathError
		switch {
		case errors.As(err, &pe): // as requestFile words it, but a 500 (the proxy answers)
			return nil, &fileLoadError{path: path, err: fmt.Errorf("load %s: %w", path,
				errors.New("cannot open "+path+": "+capitalErrno(pe.Err))), missing: errors.Is(err, fs.ErrNotExist)}
		case err != nil:
			return nil, &fileLoadError{path: path, err: fmt.Errorf("load %s: %w", path, err)}
		}
		return proto, nil
	}
	b.once.Do(func() {
		proto, err := compile(b.chunk.Name, b.chunk.Src)
		if err != nil {
			le := &inlineLoadError{err: err}
			b.get = func() (*lua.FunctionProto, error) { return nil, le }
			return
		}
		b.get = func() (*lua.FunctionProto, error) { return proto, nil }
	})
	return b.get()
}

// Peer states get_last_failure names (nginx's NGX_PEER_KEEPALIVE, _NEXT, _FAILED).
const (
	PeerKeepalive = 1
	PeerNext      = 2
	PeerFailed    = 4
)

// BalancerAttempt is what the balancer of one attempt sees and decides. The proxy fills in
// the first part; the chunk's calls set the rest.
type BalancerAttempt struct {
	Tries      int    // the tries left, this one included (nginx's u->peer.tries)
	TotalTries int    // the attempts made before this one
	MaxTries   int    // proxy_next_upstream_tries (0: no limit)
	LastState  int    // the previous attempt's Peer* state (0: none, or not a peer Lua set)
	LastStatus int    // and its status (502, 504, ...)
	Upstream   string // the previous attempt's upstream URL, for the log lines

	Peer      string // set_current_peer's "host:port"; "" leaves the choice to round robin
	MoreTries int    // set_more_tries' count (applied when Peer is set)
	// set_timeouts' values for this attempt (0: the location's)
	ConnectTimeout, SendTimeout, ReadTimeout time.Duration
	// Recreate: recreate_request() was called; the upstream request is written again
	// from the request as Lua left it (see BalancerRun.Request), else the one written
	// before the first attempt goes out again, as in nginx.
	Recreate bool
}

// BalancerRun is the balancer phase of one proxied request: Run runs the chunk for each
// attempt, End lets go of what Start took.
type BalancerRun struct {
	r   *request
	end func()
	// the header list and body the upstream request is written from (Request)
	headers []headerLine
	body    []byte
	hasBody bool
}

// balancerReqKey carries the request whose Lua phases serve a location into its non-Lua
// content handler (proxy_pass), whose balancer runs in it.
type balancerReqKey struct{}

func (r *request) withRequest(hr *http.Request) *http.Request {
	return hr.WithContext(context.WithValue(hr.Context(), balancerReqKey{}, r))
}

// HasLuaRequest reports whether hr is served by a location's Lua phases (a balancer then
// runs in that request).
func HasLuaRequest(hr *http.Request) bool {
	r, ok := hr.Context().Value(balancerReqKey{}).(*request)
	return ok && r.vm != nil
}

// StartBalancer prepares the balancer phase of hr: in the request that serves it when its
// location has Lua phases, else in a request of its own (h's, with the settings st) that
// lives until End.
func (h *Host) StartBalancer(w http.ResponseWriter, hr *http.Request, st *Settings) *BalancerRun {
	var br *BalancerRun
	if r, ok := hr.Context().Value(balancerReqKey{}).(*request); ok && r.vm != nil {
		br = &BalancerRun{r: r, end: func() {}}
	} else {
		r := &request{host: h, sc: h.scope(st), w: w, r: hr, start: time.Now()}
		release := r.begin()
		if r.vm.own {
			r.replayInit(r.L)
		}
		br = &BalancerRun{r: r, end: func() {
			r.releaseCtx()
			release()
		}}
	}
	// nginx's proxy reads the whole body before it connects (proxy_request_buffering): the
	// balancer sees it read (ngx.req.get_body_data, set_body_data). No Lua of the request
	// runs meanwhile, and the read must not hold the worker's baton: other requests run.
	r := br.r
	if !r.bodyGone() {
		r.body()
	}
	r.vm.baton.Lock()
	br.snapshot()
	r.vm.baton.Unlock()
	return br
}

func (br *BalancerRun) snapshot() {
	r := br.r
	br.headers = append([]headerLine(nil), r.inHeaders...)
	if r.inHeaders == nil {
		br.headers = nil
	}
	br.body = r.bodyData
	br.hasBody = len(r.bodyData) > 0 || r.r.ContentLength > 0 || r.r.Header.Get("Content-Length") != "" || len(r.r.TransferEncoding) > 0
}

// Request is hr as the upstream request of an attempt is written from: the header list and
// body before the first attempt, or, once recreate is true (recreate_request was called),
// as the balancer left them.
func (br *BalancerRun) Request(hr *http.Request, recreate bool) *http.Request {
	if recreate {
		br.r.vm.baton.Lock()
		br.snapshot()
		br.r.vm.baton.Unlock()
	}
	c := hr
	if br.headers != nil {
		c = hr.WithContext(context.WithValue(hr.Context(), headerListKey{}, br.headers))
	}
	if br.hasBody {
		if c == hr {
			c = hr.WithContext(hr.Context())
		}
		c.Body = io.NopCloser(bytes.NewReader(br.body))
		c.ContentLength = int64(len(br.body))
		c.TransferEncoding = nil
	}
	return c
}

// End ends the balancer phase.
func (br *BalancerRun) End() { br.end() }

// Run runs b for the attempt a. It returns 0 to go on with the attempt, or the status the
// request is answered with (500: the chunk failed, or called ngx.exit with a status).
func (br *BalancerRun) Run(b *Balancer, a *BalancerAttempt) int {
	r := br.r
	logc := r.logc
	r.logc.Action, r.logc.Upstream = "connecting to upstream", a.Upstream
	defer func() { r.logc = logc }()
	if r.sc.log.Enabled(errlog.Debug) {
		r.sc.log.Log(errlog.Debug, &r.logc, "lua balancer peer, tries: "+strconv.Itoa(a.Tries))
	}
	v := r.vm
	v.baton.Lock()
	defer v.baton.Unlock()
	proto, err := b.proto(r)
	if err != nil {
		r.sc.log.Log(errlog.Err, &r.logc, loadFailure(err))
		var fe *fileLoadError
		if errors.As(err, &fe) && fe.missing {
			return 0 // lua-nginx-module goes on: the upstream's round robin picks
		}
		return http.StatusInternalServerError
	}
	exited, status := r.exited, r.exitStatus
	prev := r.bal
	r.bal, r.exited, r.exitStatus = a, false, 0
	L, leave := r.enterFilter("balancer")
	L.Push(luajit.NewFunction(L, proto))
	err = v.pcall(L, 0, 0)
	leave()
	gotExit, exitStatus := r.exited, r.exitStatus
	r.bal, r.exited, r.exitStatus = prev, exited, status
	switch {
	case gotExit && exitStatus != 0:
		return http.StatusInternalServerError // as lua-nginx-module 0.10.23 without nginx's patch
	case gotExit:
		return 0
	case err != nil:
		// the chunk runs on the state's main thread there: no "coroutine 0:" in its traceback
		msg := strings.Replace(errorWithTrace(err), "stack traceback:\ncoroutine 0:\n", "stack traceback:\n", 1)
		r.sc.log.Log(errlog.Err, &r.logc, "failed to run balancer_by_lua*: "+msg)
		return http.StatusInternalServerError
	}
	return 0
}

// wrapCoroutineBalancer disables the coroutine API in balancer_by_lua*, as
// lua-nginx-module does outside its yieldable phases ("API disabled in the context of
// balancer_by_lua*").
func wrapCoroutineBalancer(L *lua.LState) {
	co, ok := L.GetGlobal("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	for _, name := range []string{"create", "wrap", "resume", "yield"} {
		orig, ok := co.RawGetString(name).(*lua.LFunction)
		if !ok || !orig.IsG {
			continue
		}
		native := orig.GFunction // called in place: a yield stays a yield
		co.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if t := threadOf(L); t != nil && t.req.phase == "balancer" {
				ngxStrError(L, 1, "API disabled in the context of balancer_by_lua*")
			}
			return native(L)
		}))
	}
}

// --- require "ngx.balancer" ---

func init() { goModules["ngx.balancer"] = openNgxBalancer }

func openNgxBalancer(L *lua.LState) int {
	L.Push(newCoreModule(L, map[string]lua.LGFunction{
		"set_current_peer": balancerSetCurrentPeer,
		"set_more_tries":   balancerSetMoreTries,
		"get_last_failure": balancerGetLastFailure,
		"set_timeouts":     balancerSetTimeouts,
		"recreate_request": balancerRecreateRequest,
	}))
	return 1
}

// balancerAttemptOf is the attempt the calling chunk decides, or "" and the error
// lua-nginx-module's FFI functions report.
func balancerAttemptOf(L *lua.LState) (*BalancerAttempt, string) {
	t := threadOf(L)
	if t == nil || t.req.r == nil {
		raiseAtCaller(L, "no request found")
	}
	r := t.req
	if r.bal == nil || r.phase != "balancer" {
		return nil, "no upstream found"
	}
	return r.bal, ""
}

// balancerSetCurrentPeer is set_current_peer(addr, port): addr is an IP address, with a
// port of its own or port's (nginx's ngx_parse_url with no_resolve: a host name is "no
// host allowed").
func balancerSetCurrentPeer(L *lua.LState) int {
	addr, ok := L.Get(1).(lua.LString)
	if !ok { // lua-resty-core takes #addr
		luajit.RaiseVerbatim(L, "attempt to get length of local 'addr' (a "+L.Get(1).Type().String()+" value)")
	}
	port := 0
	switch p := L.Get(2).(type) {
	case *lua.LNilType:
	case lua.LNumber:
		port = int(p)
	default:
		n, err := strconv.ParseFloat(strings.TrimSpace(L.ToStringMeta(p).String()), 64)
		if _, isStr := p.(lua.LString); !isStr || err != nil {
			luajit.RaiseVerbatim(L, "bad argument #4 to 'ngx_lua_ffi_balancer_set_current_peer' (cannot convert 'nil' to 'int')")
		}
		port = int(n)
	}
	a, errs := balancerAttemptOf(L)
	if a == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(errs))
		return 2
	}
	hostport, msg := parsePeer(string(addr), port)
	if msg != "" {
		L.Push(lua.LNil)
		L.Push(lua.LString(msg))
		return 2
	}
	a.Peer = hostport
	L.Push(lua.LTrue)
	return 1
}

// parsePeer is ngx_parse_url of a peer address with no resolving, as set_current_peer
// calls it: "unix:PATH", "[IPv6]:port", "IPv4:port", or an address alone with port as its
// port (which, like nginx's in_port_t, wraps at 65536). It returns the peer, or an error
// as nginx words it.
func parsePeer(addr string, port int) (string, string) {
	if strings.HasPrefix(addr, "unix:") {
		return addr, ""
	}
	host, ps, hasPort := addr, "", false
	if strings.HasPrefix(addr, "[") {
		end := strings.IndexByte(addr, ']')
		if end < 0 {
			return "", "invalid host"
		}
		host = addr[1:end]
		rest := addr[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", "invalid host"
			}
			ps, hasPort = rest[1:], true
		}
	} else if i := strings.IndexByte(addr, ':'); i >= 0 { // nginx splits at the first ':'
		host, ps, hasPort = addr[:i], addr[i+1:], true
	}
	if strings.ContainsRune(host, '/') || strings.ContainsRune(ps, '/') {
		return "", "invalid host"
	}
	if hasPort {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > 65535 {
			return "", "invalid port"
		}
		port = n
	}
	if host == "" {
		return "", "no host"
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return "", "no host allowed"
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(port&0xffff)), ""
}

// balancerSetMoreTries is set_more_tries(count): count more attempts after this one, fewer
// when proxy_next_upstream_tries would be passed ("reduced tries due to limit", returned
// with true). The last call of an attempt counts.
func balancerSetMoreTries(L *lua.LState) int {
	n, ok := L.Get(1).(lua.LNumber)
	if !ok { // lua-resty-core hands it to an FFI int
		luajit.RaiseVerbatim(L, "bad argument #2 to 'ngx_lua_ffi_balancer_set_more_tries' (cannot convert '"+
			L.Get(1).Type().String()+"' to 'int')")
	}
	count := int(n)
	a, errs := balancerAttemptOf(L)
	if a == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(errs))
		return 2
	}
	total := a.TotalTries + a.Tries
	warn := ""
	if a.MaxTries > 0 && total+count > a.MaxTries {
		count = a.MaxTries - total
		if count < 0 {
			count = 0
		}
		warn = "reduced tries due to limit"
	}
	a.MoreTries = count
	L.Push(lua.LTrue)
	if warn != "" {
		L.Push(lua.LString(warn))
		return 2
	}
	return 1
}

// balancerGetLastFailure is get_last_failure(): nil for the first attempt, else the state
// of the previous one ("failed", "next") and its status.
func balancerGetLastFailure(L *lua.LState) int {
	a, errs := balancerAttemptOf(L)
	if a == nil {
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(lua.LString(errs))
		return 3
	}
	if a.LastState == 0 {
		L.Push(lua.LNil)
		return 1
	}
	name := map[int]string{PeerKeepalive: "keepalive", PeerNext: "next", PeerFailed: "failed"}[a.LastState]
	if name == "" {
		name = "unknown"
	}
	L.Push(lua.LString(name))
	L.Push(lua.LNumber(a.LastStatus))
	return 2
}

// balancerSetTimeouts is set_timeouts(connect, send, read) in seconds; nil keeps the
// location's.
func balancerSetTimeouts(L *lua.LState) int {
	var d [3]time.Duration
	for i, what := range []string{"connect", "send", "read"} {
		switch v := L.Get(i + 1).(type) {
		case *lua.LNilType:
		case lua.LNumber:
			if v <= 0 {
				raiseAtCaller(L, "bad "+what+" timeout")
			}
			d[i] = time.Duration(float64(v) * float64(time.Second))
			if d[i] < time.Millisecond {
				d[i] = time.Millisecond
			}
		default:
			if v == lua.LFalse {
				continue
			}
			raiseAtCaller(L, "bad "+what+" timeout")
		}
	}
	a, errs := balancerAttemptOf(L)
	if a == nil {
		L.Push(lua.LFalse)
		L.Push(lua.LString(errs))
		return 2
	}
	if d[0] > 0 {
		a.ConnectTimeout = d[0]
	}
	if d[1] > 0 {
		a.SendTimeout = d[1]
	}
	if d[2] > 0 {
		a.ReadTimeout = d[2]
	}
	L.Push(lua.LTrue)
	return 1
}

// balancerRecreateRequest is recreate_request(): the upstream request of this attempt is
// written again, with what the balancer changed (ngx.req.set_header, set_body_data).
func balancerRecreateRequest(L *lua.LState) int {
	a, errs := balancerAttemptOf(L)
	if a == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(errs))
		return 2
	}
	a.Recreate = true
	L.Push(lua.LTrue)
	return 1
}
