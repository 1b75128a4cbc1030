package luabind

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/internal/buildinfo"
)

// Subrequests (ngx.location.capture, capture_multi) and internal redirects (ngx.exec).
//
// Both go through the server's own location matching: the server puts a Dispatcher in each
// request's context (WithDispatcher), which serves an internal request as it would a client's
// one but may enter "internal" locations. A subrequest's response is captured (captureWriter)
// and handed back to Lua as lua-nginx-module's result table; its Lua handler runs in the
// parent's Lua state (the same worker VM) as a request of its own, with its own ngx.ctx.
//
// The parent's light thread waits in Go with the baton released (lthread.block), as it
// yields under nginx. capture_multi starts its subrequests one after the other: each starts
// once the one before has ended or first waited (its Lua blocked), so their Lua runs in the
// order nginx runs it, whatever the goroutine scheduling.

// Dispatcher serves an internal request r (a subrequest or an internal redirect) through the
// server's locations, writing its response to w.
type Dispatcher func(w http.ResponseWriter, r *http.Request)

type dispatcherKey struct{}

// WithDispatcher returns ctx carrying the server's dispatcher for internal requests.
func WithDispatcher(ctx context.Context, d Dispatcher) context.Context {
	return context.WithValue(ctx, dispatcherKey{}, d)
}

// DispatcherOf is the dispatcher WithDispatcher put in ctx (nil if none).
func DispatcherOf(ctx context.Context) Dispatcher {
	d, _ := ctx.Value(dispatcherKey{}).(Dispatcher)
	return d
}

// MaxSubrequestDepth is nginx's NGX_HTTP_MAX_SUBREQUESTS: a request at this nesting depth
// may not issue a subrequest ("subrequests cycle").
const MaxSubrequestDepth = 51

// MaxInternalRedirects is how many internal redirects (ngx.exec, echo_exec, error_page) one
// request may go through: nginx's NGX_HTTP_MAX_URI_CHANGES; the next one is a "rewrite or
// internal redirection cycle".
const MaxInternalRedirects = 10

// internal describes an internal request: a subrequest (sub) or the target of internal
// redirects.
type internal struct {
	sub       bool
	depth     int // subrequest nesting: 1 for a main request's subrequest
	redirects int // internal redirects this request went through
	// Lua side of a subrequest issued from Lua: the parent's state, the ctx option, the
	// variables to set
	vm      *vm
	ctx     *lua.LTable
	settle  func() // the capture waits for this: first blocking or end of the handler
	vars    map[string]string
	parentR *http.Request
	main    *http.Request // the client's request
	named   string        // an internal redirect's named location
	// shared is share_all_vars: the variables the subrequest ends with, for its parent
	shared *sharedVars
}

type sharedVars struct {
	mu   sync.Mutex
	vars map[string]string
}

type internalKey struct{}

func internalOf(ctx context.Context) *internal {
	in, _ := ctx.Value(internalKey{}).(*internal)
	return in
}

// IsInternal reports whether the request of ctx is internal (a subrequest or after an
// internal redirect): "internal" locations are reachable and ngx.req.is_internal() is true.
func IsInternal(ctx context.Context) bool { return internalOf(ctx) != nil }

// IsSubrequest reports whether the request of ctx is a subrequest (ngx.is_subrequest).
func IsSubrequest(ctx context.Context) bool {
	in := internalOf(ctx)
	return in != nil && in.sub
}

// SubrequestDepth is the nesting depth of the request of ctx (0: a main request).
func SubrequestDepth(ctx context.Context) int {
	if in := internalOf(ctx); in != nil {
		return in.depth
	}
	return 0
}

// SubrequestParent is the request the subrequest of ctx was issued from (nil for a main
// request).
func SubrequestParent(ctx context.Context) *http.Request {
	if in := internalOf(ctx); in != nil && in.sub {
		return in.parentR
	}
	return nil
}

// WithSubrequest marks ctx as a subrequest's, one level below the request of parent.
func WithSubrequest(parent context.Context) context.Context {
	return context.WithValue(parent, internalKey{}, &internal{sub: true, depth: SubrequestDepth(parent) + 1})
}

// ErrRedirectCycle is nginx's "rewrite or internal redirection cycle".
var ErrRedirectCycle = fmt.Errorf("rewrite or internal redirection cycle")

// WithInternalRedirect marks ctx as the context of the request after one more internal
// redirect; ErrRedirectCycle past MaxInternalRedirects.
func WithInternalRedirect(ctx context.Context) (context.Context, error) {
	in := &internal{}
	if old := internalOf(ctx); old != nil {
		*in = *old
		in.ctx, in.vars, in.settle, in.named, in.shared = nil, nil, nil, "", nil
	}
	in.redirects++
	if in.redirects > MaxInternalRedirects {
		return ctx, ErrRedirectCycle
	}
	return context.WithValue(ctx, internalKey{}, in), nil
}

// Settle tells a capture waiting for the subrequest of ctx to start the next one: the
// subrequest now waits (a non-Lua handler's sleep, say). Lua handlers settle by themselves.
func Settle(ctx context.Context) {
	if in := internalOf(ctx); in != nil && in.settle != nil {
		in.settle()
	}
}

// adoptInternal gives a request built for hr what its internal origin carries: the parent's
// ngx.ctx option and variables; the Lua state it runs in is chosen by workerFor.
func (r *request) adoptInternal(hr *http.Request) {
	in := internalOf(hr.Context())
	if in == nil {
		return
	}
	r.internal = in
	r.settle = in.settle
	if in.sub {
		r.logc.Subrequest = hr.URL.Path
	}
	if in.ctx != nil {
		r.ngxCtx = in.ctx
	}
	if len(in.vars) > 0 {
		if r.vars == nil {
			r.vars = map[string]lua.LValue{}
		}
		for k, v := range in.vars {
			if _, set := r.vars[k]; !set { // the location's own "set" runs after
				r.vars[k] = lua.LString(v)
			}
		}
	}
}

// workerFor is the vm a request runs in: its parent's for a subrequest issued from Lua in
// this host (the same Lua VM, as under nginx), else one of the host's.
func (h *Host) workerFor(hr *http.Request) *vm {
	if in := internalOf(hr.Context()); in != nil && in.vm != nil {
		for _, w := range h.workers {
			if w == in.vm {
				return w
			}
		}
	}
	return h.worker()
}

// settled signals, once, that the request's capture may go on (see Settle).
func (r *request) settled() {
	if s := r.settle; s != nil {
		r.settle = nil
		s()
	}
}

// CaptureWriter records a subrequest's response: status, header fields (with their names
// as the handler set them) and body. It implements http.Flusher (a no-op: the body is kept
// whole) and lets a handler mark the response as cut short (Truncate).
type CaptureWriter struct {
	status    int
	header    http.Header
	names     map[string]string // canonical -> name as set
	body      bytes.Buffer
	truncated bool
	special   bool // an error page: its body is not captured
	headOnly  bool // a HEAD subrequest: no body
	keepPages bool // see KeepErrorPages
	// Upstream is the response head a proxy_pass handler got ($upstream_http_* after it)
	Upstream http.Header
}

// NewCaptureWriter returns an empty CaptureWriter.
func NewCaptureWriter() *CaptureWriter { return &CaptureWriter{header: http.Header{}} }

func (c *CaptureWriter) Header() http.Header { return c.header }

func (c *CaptureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *CaptureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.special || c.headOnly {
		return len(p), nil
	}
	return c.body.Write(p)
}

// KeepErrorPages makes the writer keep the body of special responses (error pages), as the
// echo module's subrequests output them into the parent's response.
func (c *CaptureWriter) KeepErrorPages() { c.keepPages = true }

// DropsErrorPages reports whether special responses are recorded as their status only
// (a Lua capture).
func (c *CaptureWriter) DropsErrorPages() bool { return !c.keepPages }

// Special records a special response (an error page's status): nginx captures no body for
// it, and drops the header fields the handler set that describe a body.
func (c *CaptureWriter) Special(status int) {
	c.WriteHeader(status)
	c.header.Del("Content-Length")
	c.header.Del("Content-Type")
	c.special = true
}

// Flush does nothing: a captured body is handed over whole.
func (c *CaptureWriter) Flush() {}

// Truncate marks the response as cut short (the handler failed after sending its header).
func (c *CaptureWriter) Truncate() { c.truncated = true }

// Status is the status sent (0: none yet).
func (c *CaptureWriter) Status() int { return c.status }

// Body is the body written so far.
func (c *CaptureWriter) Body() []byte { return c.body.Bytes() }

// Truncated is the result's "truncated": the response was cut short, or it never sent
// the body's last buffer, as lua-nginx-module sees it — a special response (an error
// status) and a HEAD subrequest's header-only response count as truncated too.
func (c *CaptureWriter) Truncated() bool { return c.truncated || c.special || c.headOnly }

func (c *CaptureWriter) setName(name string) {
	k := http.CanonicalHeaderKey(name)
	if k == name {
		return
	}
	if c.names == nil {
		c.names = map[string]string{}
	}
	c.names[k] = name
}

// CaptureOf finds the CaptureWriter of a subrequest's response under w's wrappers (nil
// for a client's response).
func CaptureOf(w http.ResponseWriter) *CaptureWriter { return captureOf(w) }

// captureOf finds a CaptureWriter under w's wrappers.
func captureOf(w http.ResponseWriter) *CaptureWriter {
	c, _ := findWriter[*CaptureWriter](w)
	return c
}

// findWriter finds the first of w's wrappers (w itself first) that is a T.
func findWriter[T any](w http.ResponseWriter) (T, bool) {
	for w != nil {
		if c, ok := w.(T); ok {
			return c, true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	var zero T
	return zero, false
}

// HeadFinisher is a ResponseWriter that completes a response head the way its location
// says (headers-more, server_tokens), for heads luaws writes itself (an HTTP/1.0 answer).
type HeadFinisher interface {
	FinishHead(h http.Header, status int)
}

// ServerTokener is a ResponseWriter that knows the Server header's value of its location
// (server_tokens).
type ServerTokener interface{ ServerToken() string }

// ServerTokenOf is the Server header's value for a response written through w.
func ServerTokenOf(w http.ResponseWriter) string {
	if t, ok := findWriter[ServerTokener](w); ok {
		return t.ServerToken()
	}
	return buildinfo.ServerToken
}

// ---- ngx.location.capture / capture_multi -------------------------------------------------

// subSpec is one subrequest as capture_multi reads it.
type subSpec struct {
	uri, args   string
	method      string
	body        []byte
	hasBody     bool
	forwardBody bool
	vars        map[string]string
	ctx         *lua.LTable
	copyVars    bool
	shareVars   bool
}

// registerSubrequestAPI installs ngx.location.capture, capture_multi and ngx.exec.
func registerSubrequestAPI(L *lua.LState, ngx *lua.LTable) {
	loc := L.CreateTable(0, 2)
	loc.RawSetString("capture", L.NewFunction(ngxLocationCapture))
	loc.RawSetString("capture_multi", L.NewFunction(ngxLocationCaptureMulti))
	ngx.RawSetString("location", loc)
	ngx.RawSetString("exec", L.NewFunction(ngxExec))
}

// methodNames are the ngx.HTTP_* method constants.
var methodNames = map[int]string{2: "GET", 4: "HEAD", 8: "POST", 16: "PUT", 32: "DELETE",
	64: "MKCOL", 128: "COPY", 256: "MOVE", 512: "OPTIONS", 1024: "PROPFIND", 2048: "PROPPATCH",
	4096: "LOCK", 8192: "UNLOCK", 16384: "PATCH", 32768: "TRACE"}

func ngxLocationCapture(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		luaError(L, "expecting one or two arguments")
	}
	q := L.CreateTable(n, 0)
	for i := 1; i <= n; i++ {
		q.Append(L.Get(i))
	}
	all := L.CreateTable(1, 0)
	all.Append(q)
	L.SetTop(0)
	L.Push(all)
	return ngxLocationCaptureMulti(L)
}

// contextName is lua-nginx-module's name of a request phase in "API disabled in the context
// of ..." errors.
func contextName(phase string) string {
	switch phase {
	case "timer":
		return "ngx.timer"
	case "ssl_cert":
		return "ssl_certificate_by_lua*"
	case "set", "rewrite", "access", "content", "log", "init", "init_worker", "header_filter", "body_filter", "balancer":
		return phase + "_by_lua*"
	}
	return phase
}

func ngxLocationCaptureMulti(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		luaError(L, "only one argument is expected, but got %d", n)
	}
	qs := L.CheckTable(1)
	n := qs.Len()
	if n == 0 {
		luaError(L, "at least one subrequest should be specified")
	}
	r := requestOf(L)
	switch r.phase {
	case "", "content", "rewrite", "access":
	default:
		ngxStrError(L, 1, "API disabled in the context of "+contextName(r.phase))
	}
	if r.r == nil {
		luaError(L, "no request object found")
	}
	specs := make([]subSpec, n)
	for i := 0; i < n; i++ {
		specs[i] = readSubSpec(L, qs.RawGetInt(i+1), i)
	}
	t := threadOf(L)
	dispatch := DispatcherOf(r.r.Context())
	depth := SubrequestDepth(r.r.Context())
	caps := make([]*CaptureWriter, n)
	var fail string
	for i := range specs {
		if depth+1 > MaxSubrequestDepth {
			fail = specs[i].uri
			break
		}
	}
	if fail != "" {
		logf(L, r, errlog.Err, fmt.Sprintf("lua subrequests cycle while processing \"%s\"", fail))
		ngxStrError(L, 1, "failed to issue subrequest: -1") // luaL_error: the Lua caller's position
	}
	// The subrequests outlive the client going away (nginx finishes them; with
	// lua_check_client_abort only the main request hears of it), not the capturing thread.
	subCtx, cancelSubs := context.WithCancel(context.WithoutCancel(r.r.Context()))
	defer cancelSubs()
	defer context.AfterFunc(t.ctx, cancelSubs)()
	parent := r.r.WithContext(subCtx)
	reqs := make([]*http.Request, n)
	for i := range specs {
		reqs[i] = r.subrequest(parent, &specs[i])
		logf(L, r, errlog.Debug, fmt.Sprintf("lua http subrequest \"%s?%s\"", specs[i].uri, specs[i].args))
	}
	r.noAbort++ // under the baton, as every reader
	t.pendingSubreqs++
	t.block(L, func() {
		var wg sync.WaitGroup
		for i := range specs {
			caps[i] = NewCaptureWriter()
			caps[i].headOnly = specs[i].method == "HEAD"
			done := StartSubrequest(dispatch, caps[i], reqs[i], func(p any) {
				r.sc.log.Log(errlog.Crit, &r.logc, fmt.Sprintf("luaws: subrequest %s: panic: %v", specs[i].uri, p))
			})
			wg.Add(1)
			go func() { <-done; wg.Done() }()
		}
		wg.Wait()
	})
	r.noAbort--
	t.pendingSubreqs--
	for i := range specs {
		if in := internalOf(reqs[i].Context()); in.shared != nil { // share_all_vars
			in.shared.mu.Lock()
			for k, v := range in.shared.vars {
				if r.vars == nil {
					r.vars = map[string]lua.LValue{}
				}
				r.vars[k] = lua.LString(v)
			}
			in.shared.mu.Unlock()
		}
		L.Push(captureResult(L, caps[i], reqs[i].Method))
	}
	return n
}

// readSubSpec reads capture_multi's query i ({uri, opts?}) as lua-nginx-module checks it.
func readSubSpec(L *lua.LState, v lua.LValue, i int) subSpec {
	if v == lua.LNil {
		luaError(L, "only array-like tables are allowed")
	}
	q, ok := v.(*lua.LTable)
	if !ok {
		luaError(L, "the query argument %d is not a table, but a %s", i, v.Type().String())
	}
	nargs := q.Len()
	if nargs != 1 && nargs != 2 {
		luaError(L, "query argument %d expecting one or two arguments", i)
	}
	s := subSpec{method: "GET"}
	if nargs == 2 {
		opts, ok := q.RawGetInt(2).(*lua.LTable)
		if !ok {
			luaError(L, "expecting table as the 2nd argument for subrequest %d, but got %s", i, q.RawGetInt(2).Type().String())
		}
		switch a := opts.RawGetString("args").(type) {
		case *lua.LTable:
			s.args = ngxArgsEncode(L, a)
		case lua.LString:
			s.args = string(a)
		case lua.LNumber:
			s.args = luaToString(a)
		case *lua.LNilType:
		default:
			luaError(L, "Bad args option value")
		}
		switch vs := opts.RawGetString("vars").(type) {
		case *lua.LTable:
			s.vars = map[string]string{}
			vs.ForEach(func(k, v lua.LValue) {
				ks, ok := k.(lua.LString)
				if !ok {
					luaError(L, "attempt to use a non-string key in the \"vars\" option table")
				}
				switch v.(type) {
				case lua.LString, lua.LNumber:
				default:
					luaError(L, "attempt to use bad variable value type %s", v.Type().String())
				}
				s.vars[strings.ToLower(string(ks))] = luaToString(v)
			})
		case *lua.LNilType:
		default:
			luaError(L, "Bad vars option value")
		}
		for _, name := range []string{"share_all_vars", "copy_all_vars"} {
			switch b := opts.RawGetString(name).(type) {
			case *lua.LNilType:
			case lua.LBool:
				if bool(b) && name == "share_all_vars" {
					s.shareVars = true
				} else if bool(b) {
					s.copyVars = true
				}
			default:
				luaError(L, "Bad %s option value", name)
			}
		}
		s.forwardBody = lua.LVAsBool(opts.RawGetString("always_forward_body"))
		switch m := opts.RawGetString("method").(type) {
		case *lua.LNilType:
		case lua.LNumber:
			name, ok := methodNames[int(m)]
			if !ok {
				luaError(L, "failed to adjust the subrequest: -1")
			}
			s.method = name
		default:
			luaError(L, "Bad http request method")
		}
		switch c := opts.RawGetString("ctx").(type) {
		case *lua.LNilType:
		case *lua.LTable:
			s.ctx = c
		default:
			luaError(L, "Bad ctx option value type %s, expected a Lua table", c.Type().String())
		}
		switch b := opts.RawGetString("body").(type) {
		case *lua.LNilType:
		case lua.LString, lua.LNumber:
			s.body, s.hasBody = []byte(luaToString(b)), true
		default:
			luaError(L, "Bad http request body")
		}
	}
	uv, ok := q.RawGetInt(1).(lua.LString)
	if !ok {
		if num, isNum := q.RawGetInt(1).(lua.LNumber); isNum {
			uv = lua.LString(luaToString(num))
		} else {
			luaError(L, "bad argument #1 to '?' (string expected, got %s)", q.RawGetInt(1).Type().String())
		}
	}
	uri, args, err := parseUnsafeURI(string(uv))
	if err != nil {
		shown := string(uv)
		if i := strings.IndexByte(shown, 0); i >= 0 {
			shown = shown[:i] // a C string
		}
		luaError(L, "unsafe uri in argument #1: %s", shown)
	}
	s.uri = uri
	switch {
	case args == "":
		// s.args as given
	case s.args != "":
		s.args = args + "&" + s.args
	default:
		s.args = args
	}
	return s
}

// parseUnsafeURI is nginx's ngx_http_parse_unsafe_uri: the URI of a subrequest or internal
// redirect is refused when it is empty, starts with "?" or "../", or holds a NUL byte or a
// "/../" (or final "/..") segment, before or after %-decoding; what follows "?" is its query
// string.
func parseUnsafeURI(s string) (uri, args string, err error) {
	errUnsafe := fmt.Errorf("unsafe URI \"%s\" was detected", s)
	if s == "" || s[0] == '?' {
		return "", "", errUnsafe
	}
	uri = s
	if i := strings.IndexByte(s, '?'); i >= 0 {
		uri, args = s[:i], s[i+1:]
	}
	if unsafePath(uri) {
		return "", "", errUnsafe
	}
	if strings.IndexByte(uri, '%') >= 0 {
		uri = unescapeURI(uri)
		if unsafePath(uri) {
			return "", "", errUnsafe
		}
	}
	return uri, args, nil
}

func unsafePath(p string) bool {
	if strings.HasPrefix(p, "..") && (len(p) == 2 || p[2] == '/') {
		return true
	}
	if strings.IndexByte(p, 0) >= 0 {
		return true
	}
	for i := 0; i+2 < len(p); i++ {
		if p[i] == '/' && p[i+1] == '.' && p[i+2] == '.' && (i+3 == len(p) || p[i+3] == '/') {
			return true
		}
	}
	return false
}

// unescapeURI decodes %XX sequences as ngx_unescape_uri does (a bad one stays as is).
func unescapeURI(s string) string {
	unhex := ngxStrHexVal
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, l := unhex(s[i+1]), unhex(s[i+2]); h >= 0 && l >= 0 {
				b = append(b, byte(h<<4|l))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

// subrequest builds the http.Request of a subrequest of r.
func (r *request) subrequest(parent *http.Request, s *subSpec) *http.Request {
	var body []byte
	switch {
	case s.hasBody:
		body = s.body
	case !s.forwardBody && s.method != "PUT" && s.method != "POST" && r.r.ContentLength > 0:
		body = nil
	default:
		body = r.bodyData
	}
	sr := NewSubrequest(parent, s.method, s.uri, s.args, body)
	in := internalOf(sr.Context())
	in.vm, in.ctx = r.vm, s.ctx
	if s.shareVars {
		in.shared = &sharedVars{vars: map[string]string{}}
	}
	if (s.copyVars || s.shareVars) && len(r.vars) > 0 {
		in.vars = map[string]string{}
		for k, v := range r.vars {
			in.vars[k] = luaToString(v)
		}
	}
	for k, v := range s.vars {
		if in.vars == nil {
			in.vars = map[string]string{}
		}
		in.vars[k] = v
	}
	return sr
}

// NewSubrequest builds a subrequest of parent for uri (decoded) and args, as nginx's
// ngx_http_subrequest does: the parent's headers (Content-Length set to body's), its
// connection, a body of its own; served through a Dispatcher, it is internal and answers
// to ngx.is_subrequest.
func NewSubrequest(parent *http.Request, method, uri, args string, body []byte) *http.Request {
	ctx := WithSubrequest(parent.Context())
	in := internalOf(ctx)
	in.parentR, in.main = parent, parent
	if pin := internalOf(parent.Context()); pin != nil && pin.main != nil {
		in.main = pin.main
	}
	ctx = WithSentHook(ctx, func(Sent) {})
	ctx = WithSpecialHook(ctx, nil)
	ctx = WithVars(ctx, nil) // the parent's "set" values are not the subrequest's
	sr := parent.Clone(ctx)
	sr.Method = method
	u := *parent.URL
	u.Path, u.RawPath, u.RawQuery = uri, "", args
	sr.URL = &u
	sr.Header = parent.Header.Clone()
	sr.Header.Del("Transfer-Encoding")
	if body != nil || parent.ContentLength > 0 {
		sr.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	sr.ContentLength = int64(len(body))
	sr.Body = io.NopCloser(bytes.NewReader(body))
	sr.TransferEncoding = nil
	return sr
}

// captureResult is lua-nginx-module's result table: status, header, body, truncated.
func captureResult(L *lua.LState, c *CaptureWriter, method string) *lua.LTable {
	t := L.CreateTable(0, 4)
	st := c.status
	if st == 0 {
		st = http.StatusOK
	}
	t.RawSetString("status", lua.LNumber(st))
	t.RawSetString("truncated", lua.LBool(c.Truncated()))
	t.RawSetString("body", lua.LString(c.body.String()))
	h := L.CreateTable(0, len(c.header))
	for k, vs := range c.header {
		switch k {
		case "Server", "Date", "Connection", "Transfer-Encoding", "Keep-Alive":
			continue // added by nginx's header filter, which subrequests skip
		}
		name := k
		if n, ok := c.names[k]; ok {
			name = n
		}
		if k == "Content-Length" {
			if n, err := strconv.ParseInt(firstOf(vs), 10, 64); err == nil {
				h.RawSetString(name, lua.LNumber(n))
			}
			continue
		}
		if len(vs) == 1 {
			h.RawSetString(name, lua.LString(vs[0]))
			continue
		}
		arr := L.CreateTable(len(vs), 0)
		for _, v := range vs {
			arr.Append(lua.LString(v))
		}
		h.RawSetString(name, arr)
	}
	t.RawSetString("header", h)
	return t
}

func firstOf(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// StartSubrequest serves the subrequest sr (from NewSubrequest) through d on a goroutine of
// its own and returns once it has ended or first waited (its Lua blocked, or its handler
// called Settle), so that subrequests started one after the other run their Lua in that
// order; done is closed when it has ended. A panic in its handler cuts its response short
// (w.Truncate) and is passed to onPanic (unless it is http.ErrAbortHandler).
func StartSubrequest(d Dispatcher, w *CaptureWriter, sr *http.Request, onPanic func(any)) (done <-chan struct{}) {
	settled := make(chan struct{})
	var once sync.Once
	if in := internalOf(sr.Context()); in != nil {
		in.settle = func() { once.Do(func() { close(settled) }) }
	}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		defer func() {
			if p := recover(); p != nil {
				w.Truncate()
				if p != http.ErrAbortHandler && onPanic != nil {
					onPanic(p)
				}
			}
		}()
		if d == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		d(w, sr)
	}()
	select {
	case <-settled:
	case <-ch:
	}
	return ch
}

// InternalVars are the variables a Lua capture's vars (or copy_all_vars) option gave the
// subrequest of ctx (nil if none).
func InternalVars(ctx context.Context) map[string]string {
	if in := internalOf(ctx); in != nil {
		return in.vars
	}
	return nil
}

// ---- ngx.exec ----------------------------------------------------------------------------

// execTarget is where ngx.exec redirects the request.
type execTarget struct {
	uri, args string
	jump      bool // ngx.req.set_uri(uri, true): nginx's rewrite phase words the cycle
}

func ngxExec(L *lua.LState) int {
	n := L.GetTop()
	if n != 1 && n != 2 {
		luaError(L, "expecting one or two arguments, but got %d", n)
	}
	r := requestOf(L)
	uriV := L.CheckString(1)
	if uriV == "" {
		luaError(L, "The uri argument is empty")
	}
	switch r.phase {
	case "", "content", "rewrite", "access":
	default:
		ngxStrError(L, 1, "API disabled in the context of "+contextName(r.phase))
	}
	if r.r == nil {
		luaError(L, "no request object found")
	}
	uri, args, err := parseUnsafeURI(uriV)
	if err != nil {
		logf(L, r, errlog.Err, err.Error())
		luaError(L, "unsafe uri")
	}
	var user string
	if n == 2 {
		switch a := L.Get(2).(type) {
		case lua.LString:
			user = string(a)
		case lua.LNumber:
			user = luaToString(a)
		case *lua.LTable:
			user = ngxArgsEncode(L, a)
		case *lua.LNilType:
		default:
			L.ArgError(2, "string, number, or table expected, but got "+a.Type().String())
		}
	}
	if user != "" {
		if args == "" {
			args = user
		} else {
			args += "&" + user
		}
	}
	if r.noAbort > 0 {
		ngxStrError(L, 1, "attempt to abort with pending subrequests")
	}
	if r.headersSent || r.hijacked {
		luaError(L, "attempt to call ngx.exec after sending out response headers")
	}
	r.exec = &execTarget{uri: uri, args: args}
	r.exited = true
	r.exitStatus = 0
	r.killAll()
	L.RaiseError("%s", errExit.Error())
	return 0
}

// runExec serves the internal redirect ngx.exec asked for, on the request's own writer.
func (r *request) runExec() {
	ex := r.exec
	hr := r.r
	if strings.HasPrefix(ex.uri, "@") && ex.args != "" {
		r.sc.log.Log(errlog.Warn, &r.logc, fmt.Sprintf("query strings %s ignored when exec'ing named location %s", ex.args, ex.uri))
		ex.args = ""
	}
	ctx, err := WithInternalRedirect(hr.Context())
	if err != nil {
		how := "internally redirecting to"
		if ex.jump {
			how = "processing"
		}
		r.sc.log.Log(errlog.Err, &r.logc, fmt.Sprintf("rewrite or internal redirection cycle while %s \"%s\"", how, ex.uri))
		r.sendSpecial(http.StatusInternalServerError)
		_ = r.flushOut()
		return
	}
	dispatch := DispatcherOf(ctx)
	if dispatch == nil {
		r.sendSpecial(http.StatusNotFound)
		_ = r.flushOut()
		return
	}
	nr := hr.Clone(ctx)
	u := *hr.URL
	if strings.HasPrefix(ex.uri, "@") {
		internalOf(ctx).named = ex.uri
	} else {
		u.Path, u.RawPath, u.RawQuery = ex.uri, "", ex.args
	}
	nr.URL = &u
	if r.bodyRead {
		nr.Body = io.NopCloser(bytes.NewReader(r.bodyData))
		nr.ContentLength = int64(len(r.bodyData))
	}
	dispatch(r.w, nr)
}

// NamedTarget is the named location ("@name") the internal redirect of ctx goes to ("" for
// a URI): the dispatcher serves that location whatever the URI.
func NamedTarget(ctx context.Context) string {
	if in := internalOf(ctx); in != nil {
		return in.named
	}
	return ""
}

// WithNamedTarget is WithInternalRedirect to the named location name.
func WithNamedTarget(ctx context.Context, name string) (context.Context, error) {
	ctx, err := WithInternalRedirect(ctx)
	if err == nil {
		internalOf(ctx).named = name
	}
	return ctx, err
}

// captureNames tells a subrequest's CaptureWriter the header names as the handler set them
// (res.header is keyed by them, as lua-nginx-module keys it).
func (r *request) captureNames() {
	c := captureOf(r.w)
	if c == nil {
		return
	}
	for _, f := range r.header.fields {
		c.setName(f.name)
	}
}

// captureSpecial is a subrequest's special response (ngx.exit(404), an error): its status
// only, with no error page, as lua-nginx-module's post-subrequest handler has it.
func (r *request) captureSpecial(status int) bool {
	if r.internal == nil || !r.internal.sub || r.headersSent {
		return false
	}
	c := captureOf(r.w)
	if c == nil || c.keepPages {
		return false
	}
	c.Special(status)
	for _, f := range r.header.fields { // ngx.header's fields stay in headers_out
		c.header[http.CanonicalHeaderKey(f.name)] = f.values
		c.setName(f.name)
	}
	if c.header.Get("Content-Type") == "" {
		c.header.Set("Content-Type", r.sc.defaultType)
	}
	r.headersSent = true
	return true
}

// mainMethod is $request_method: the client's request's method, in a subrequest too.
func (r *request) mainMethod() string {
	if r.internal != nil && r.internal.main != nil {
		return r.internal.main.Method
	}
	return r.r.Method
}

// NoteVars records the variables a location's "set" gave a subrequest issued with
// share_all_vars, for its parent to see.
func NoteVars(ctx context.Context, vars map[string]string) {
	in := internalOf(ctx)
	if in == nil || in.shared == nil {
		return
	}
	in.shared.mu.Lock()
	for k, v := range vars {
		in.shared.vars[k] = v
	}
	in.shared.mu.Unlock()
}

// shareVarsBack hands a share_all_vars subrequest's variables to its parent.
func (r *request) shareVarsBack() {
	if r.internal == nil || r.internal.shared == nil || len(r.vars) == 0 {
		return
	}
	m := make(map[string]string, len(r.vars))
	for k, v := range r.vars {
		if v != lua.LNil {
			m[k] = luaToString(v)
		}
	}
	NoteVars(r.r.Context(), m)
}

type luaVarsKey struct{}

// withLuaVars gives a non-Lua content handler (echo, return, static) the variables Lua set
// (set_by_lua*, ngx.var.x = ...).
func (r *request) withLuaVars(hr *http.Request) *http.Request {
	if len(r.vars) == 0 {
		return hr
	}
	m := make(map[string]string, len(r.vars))
	for k, v := range r.vars {
		if v != lua.LNil {
			m[k] = luaToString(v)
		}
	}
	return hr.WithContext(context.WithValue(hr.Context(), luaVarsKey{}, m))
}

// LuaVars are the variables the Lua phases of the request of ctx set, as a non-Lua content
// handler after them sees them (nil if none).
func LuaVars(ctx context.Context) map[string]string {
	m, _ := ctx.Value(luaVarsKey{}).(map[string]string)
	return m
}

// MainRequest is the client's request an internal request r stems from (r itself for a
// client's request).
func MainRequest(r *http.Request) *http.Request {
	if in := internalOf(r.Context()); in != nil && in.main != nil {
		return in.main
	}
	return r
}

// jump is ngx.req.set_uri(uri, true) in the rewrite phase: the request is redirected
// internally to uri (with its args), as ngx.exec does.
func (r *request) jump(L *lua.LState, uri string) {
	r.exec = &execTarget{uri: uri, args: r.r.URL.RawQuery, jump: true}
	r.exited = true
	r.exitStatus = 0
	r.killAll()
	L.RaiseError("%s", errExit.Error())
}

// LuaVarsSink is a response writer that evaluates nginx variables when the header goes out
// (add_header): it is told the variables Lua set first.
type LuaVarsSink interface {
	SetLuaVars(map[string]string)
}

// varsToHeaderFilter hands the variables Lua set to an add_header writer under r.w.
func (r *request) varsToHeaderFilter() {
	for w := r.w; w != nil; {
		if s, ok := w.(LuaVarsSink); ok {
			m := make(map[string]string, len(r.vars))
			for k, v := range r.vars {
				if v != lua.LNil {
					m[k] = luaToString(v)
				}
			}
			s.SetLuaVars(m)
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// ShareVars gives the subrequest sr (from NewSubrequest) vars as its parent's variables,
// as a plain nginx subrequest (auth_request) shares them.
func ShareVars(sr *http.Request, vars map[string]string) {
	if in := internalOf(sr.Context()); in != nil && len(vars) > 0 {
		in.vars = vars
	}
}
