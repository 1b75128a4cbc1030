package luabind

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/luajit"

	"github.com/luaws/luaws/errlog"
)

// Handler serves one location with one Lua chunk (content_by_lua_file or content_by_lua).
type Handler struct {
	host  *Host
	sc    *scope
	proto func() (*lua.FunctionProto, error)
}

// FileHandler serves the Lua file at path; it is compiled now, so that a syntax error stops
// start-up. With lua_code_cache on that compiled code serves until the host is replaced (a
// reload); with it off the file is compiled again whenever it changes.
func (h *Host) FileHandler(path string) (*Handler, error) {
	if _, err := h.protos.file(path); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return &Handler{host: h, sc: h.scope(nil), proto: func() (*lua.FunctionProto, error) { return h.protos.file(path) }}, nil
}

// InlineHandler serves Lua source given inline, as content_by_lua does; chunkname is what
// errors and log lines show, e.g. "content_by_lua(nginx.conf:56)".
func (h *Host) InlineHandler(chunkname string, src []byte) (*Handler, error) {
	proto, err := compile(chunkname, src)
	if err != nil {
		return nil, err
	}
	return &Handler{host: h, sc: h.scope(nil), proto: func() (*lua.FunctionProto, error) { return proto, nil }}, nil
}

// request is one HTTP request while its Lua handler runs.
type request struct {
	initErr        string       // init_by_lua*'s error with its traceback, for RunInit
	cleanFiles     []string     // set_body_file(path, true): removed when the request ends
	bodyFile       string       // the file ngx.req.set_body_file made the body (its content is bodyData)
	headersChanged bool         // ngx.req.set_header/clear_header ran: the raw head no longer lists the headers
	inHeaders      []headerLine // the header list once Lua changed it (headerlist.go); nil before
	host           *Host
	sc             *scope // the location's settings
	w              http.ResponseWriter
	r              *http.Request
	L              *lua.LState
	logc           errlog.Conn

	// vm is the Lua state the request runs in; its baton lets one light thread run at a time.
	vm        *vm
	ctx       context.Context
	cancel    context.CancelFunc
	entry     *lthread
	threadRef int                      // the entry thread's ref in threadCache; a timer's is taken early
	wg        sync.WaitGroup           // user threads' goroutines
	thmu      sync.Mutex               // guards threads (kill runs without the baton)
	threads   map[*lua.LState]*lthread // user threads by their Lua thread
	posted    []chan struct{}          // threads waiting for their turn (see post); baton-guarded
	killEpoch atomic.Uint32            // counts kills: they expire socket deadlines (see armDeadline)
	// bodyCut, while a light thread waits on the request body in net/http's reader, expires
	// the connection's read deadline: killAll cuts that read short (readBodyCuttable)
	bodyCut atomic.Pointer[readCutter]
	// dirtyL: a call on L ended in an error (ngx.exit included), which may leave open
	// upvalues in it; L is then not reused for another request.
	dirtyL bool

	// response
	status      int
	header      respHeader
	headersSent bool
	eof         bool
	bodyRead    bool
	// output postponed as nginx does (see sendHeaders)
	headerPending bool
	pending       []byte
	rawOut        net.Conn  // an HTTP/1.0 client's connection, answered raw (rawHead)
	rawBody       bool      // r.r.Body reads rawOut: the body was unread when rawHead took it
	cosockets     []*socket // ngx.socket.tcp objects, closed when the request ends
	bodyData      []byte
	bodyErr       error    // reading the body failed (ngx.req.read_body reports it)
	newBody       *newBody // ngx.req.init_body ... finish_body
	start         time.Time

	// after the connection is taken over (websocket upgrade, raw request socket, 444)
	hijacked bool
	conn     net.Conn
	sock     *socket
	// bytes written on the taken-over connection, and how many of them were the head
	rawBytes, rawHeadLen int64

	detached     chan struct{}    // closed on hijack: ServeHTTP may return
	phase        string           // "" for content; "timer" in ngx.timer callbacks
	sslc         *sslCertCtx      // the handshake of an ssl_certificate_by_lua* chunk
	bal          *BalancerAttempt // the attempt a balancer_by_lua* chunk decides (balancer.go)
	exited       bool
	exitStatus   int
	abortHandler *lua.LFunction
	ngxCtx       lua.LValue
	ctxRef       int                   // ngx.ctx's registry ref number (ctxref.go), 0 before its first use
	vars         map[string]lua.LValue // variables assigned with ngx.var.x = ...
	// setVars are the location's "set" variables as the server holds them: Lua's writes go
	// there too, so that add_header and access_log see them, as in nginx
	setVars   map[string]string
	argsNil   bool                               // ngx.var.args = nil: $args is not found until set again
	hfilter   func() (*lua.FunctionProto, error) // header_filter_by_lua*, until it has run
	bf        *bodyFilter                        // body_filter_by_lua* (bfilter.go)
	requestID string
	overrun   atomic.Int64 // lua_max_running_time that stopped the request (ns), if any
	stopped   atomic.Bool  // ended by the server (shutdown timeout): its threads die quietly
	// internal requests (subrequest.go)
	internal *internal   // nil for a client's request
	settle   func()      // a capture waits for the first block or the end
	exec     *execTarget // ngx.exec's redirect, served once the phase ends
	noAbort  int         // captures under way (ngx.exit and ngx.exec refuse to abort then)
}

// errExit unwinds a thread after ngx.exit; it is not a script error.
var errExit = errors.New("ngx.exit")

// ServeHTTP runs the chunk in a fresh state with the request's own ngx API.
func (hd *Handler) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	h := hd.host
	r := &request{host: h, sc: hd.sc, w: w, r: hr, start: time.Now()}
	r.logc = errlog.Conn{
		ID:      connID(hr),
		Client:  remoteIP(hr.RemoteAddr),
		Server:  r.sc.serverName,
		Request: hr.Method + " " + hr.RequestURI + " " + hr.Proto,
		Host:    hr.Host,
	}
	proto, err := hd.proto()
	if err != nil {
		r.sc.log.Log(errlog.Err, &r.logc, "failed to load Lua chunk: "+err.Error())
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	r.adoptInternal(hr)
	v := h.workerFor(hr)
	// The handler runs on a goroutine of its own so that, once it takes the connection over
	// (a websocket), ServeHTTP can return and net/http drops its per-connection buffers and
	// goroutine: an idle websocket then costs only its Lua thread and frame reader.
	r.detached = make(chan struct{})
	done := make(chan struct{})
	h.active.Add(1)
	h.goRun(func() {
		defer h.active.Done()
		if st := h.cfg.Stats; st != nil {
			st.HandlersRunning.Add(1)
			defer st.HandlersRunning.Add(-1)
		}
		defer close(done)
		defer r.survive("request")
		failed, _ := r.run(context.Background(), v, chunkMain(proto), nil)
		if r.exec != nil && !failed {
			r.runExec()
			return
		}
		r.finish(failed)
		r.reportSent()
	})
	select {
	case <-done:
	case <-r.detached:
	}
}

// run runs the function main returns (with its arguments) as the entry light thread of
// a request in v and waits for every light thread it spawned. It reports whether the entry
// thread died of an error (and the error). With v nil the request gets a state of its own
// (lua_code_cache off).
func (r *request) run(ctx context.Context, v *vm, main func(L *lua.LState) (*lua.LFunction, []lua.LValue), setup func(*lua.LState)) (bool, error) {
	release := r.attach(ctx, v, setup)
	defer release()
	return r.runEntry(main)
}

// attach binds the request to v (a fresh state when nil) and gives it its Lua thread, r.L;
// the returned function lets go of both.
func (r *request) attach(ctx context.Context, v *vm, setup func(*lua.LState)) func() {
	r.ctx, r.cancel = context.WithCancel(ctx)
	if v == nil {
		v = r.host.newVM(int(r.host.nextWorker.Add(1)) % r.host.workerCount())
		v.own = true
	}
	v.hold()
	v.conns.Add(1)
	r.vm = v
	unwatch := r.host.watch(r)
	v.baton.Lock()
	v.clock.update()
	L := v.thread()
	r.L = L
	if setup != nil {
		setup(L)
	}
	v.baton.Unlock()
	return func() {
		r.cancel()
		r.closeCosockets()
		r.host.untrackWebsocket(r)
		unwatch()
		v.conns.Add(-1)
		if !r.dirtyL {
			v.recycle(L)
		}
		v.drop()
	}
}

// runEntry runs the function main returns as an entry light thread on r.L, then waits for
// the user threads it spawned. It reports whether the entry thread died of an error.
func (r *request) runEntry(main func(L *lua.LState) (*lua.LFunction, []lua.LValue)) (bool, error) {
	v, L := r.vm, r.L
	v.baton.Lock()
	v.clock.update()
	r.entry = r.newThread(L)
	v.baton.claim(r.entry)
	L.G.CurrentThread = L // coroutine.running() is the entry thread, as under nginx
	if r.threadRef == 0 && !v.own {
		r.threadRef = v.threads.take(r.sc.log, &r.logc, L)
	}
	done := make(chan struct{})
	defer close(done)
	r.watchAbort(done)
	fn, args := main(L)
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	dirty := r.dirtyL
	r.dirtyL = true // until the call returns normally (a Go panic leaves it set)
	err := v.pcall(L, len(args), 0)
	if err == nil {
		r.dirtyL = dirty
	}
	r.entry.threadEnded()
	v.threads.put(r.sc.log, &r.logc, L, r.threadRef)
	r.threadRef = 0
	failed := err != nil && !r.exited && !r.stopped.Load()
	if failed {
		r.threadAborted("entry", r.entry, err)
		r.killAll() // an aborted entry thread takes its user threads with it
	}
	r.entry.cancel()
	r.passBaton() // to the threads posted (spawners, coroutine.yield) first
	r.wg.Wait()   // the request lives on while user threads run
	if failed {
		return true, err
	}
	return false, nil
}

// chunkMain instantiates a compiled chunk as a request's main function (with _G as its
// environment, as lua-nginx-module runs request code).
func chunkMain(proto *lua.FunctionProto) func(L *lua.LState) (*lua.LFunction, []lua.LValue) {
	return func(L *lua.LState) (*lua.LFunction, []lua.LValue) {
		return luajit.NewFunction(L, proto), nil
	}
}

// RunChunk runs Lua source in a fresh state outside of any HTTP request, the way
// ngx.timer callbacks run: cosockets, light threads, ngx.sleep, shared dicts and logging
// work; request APIs (ngx.req, ngx.say, ngx.var, ...) do not. setup, if not nil, may adjust
// the state before the chunk runs (e.g. add globals). The error is the chunk's runtime error.
func (h *Host) RunChunk(ctx context.Context, chunkname string, src []byte, setup func(*lua.LState)) error {
	proto, err := compile(chunkname, src)
	if err != nil {
		return err
	}
	r := &request{host: h, sc: h.scope(nil), start: time.Now()}
	_, err = r.run(ctx, nil, chunkMain(proto), setup)
	return err
}

// httpRequestOf is requestOf for APIs that need the HTTP request itself.
func httpRequestOf(L *lua.LState) *request {
	r := requestOf(L)
	if r.r == nil {
		ngxStrError(L, 1, "API disabled in the current context")
	}
	return r
}

// outputRequestOf is requestOf for the output APIs (ngx.say, ngx.exit, ...), which name the
// context they are disabled in.
func outputRequestOf(L *lua.LState) *request {
	r := requestOf(L)
	if !lightThreadPhase(r.phase) {
		ngxStrError(L, 1, "API disabled in the context of "+contextName(r.phase))
	}
	if r.r == nil {
		ngxStrError(L, 1, "API disabled in the context of "+contextName(r.phase))
	}
	return r
}

func (r *request) addThread(t *lthread) {
	r.thmu.Lock()
	if r.threads == nil {
		r.threads = make(map[*lua.LState]*lthread)
	}
	r.threads[t.L] = t
	r.thmu.Unlock()
}

func (r *request) threadFor(co *lua.LState) *lthread {
	r.thmu.Lock()
	defer r.thmu.Unlock()
	return r.threads[co]
}

// killAll stops every light thread of the request; a read of the request body under way
// is cut short, as nginx drops it with the request (it cannot be taken up again).
func (r *request) killAll() {
	if rc := r.bodyCut.Load(); rc != nil {
		_ = (*rc).SetReadDeadline(time.Unix(1, 0))
	}
	if r.entry != nil {
		r.entry.kill()
	}
	r.thmu.Lock()
	for _, t := range r.threads {
		t.kill()
	}
	r.thmu.Unlock()
}

// readCutter is what expires the read deadline under a body read: r.w's
// http.ResponseController, or the connection once it was taken over (rawHead).
type readCutter interface{ SetReadDeadline(time.Time) error }

// bodyCutter is the readCutter of the request body (made with the baton held).
func (r *request) bodyCutter() readCutter {
	if r.rawBody {
		return r.rawOut
	}
	return http.NewResponseController(r.w)
}

// bodyGone says whether the request body can no longer be read: the connection was taken
// over, other than by an HTTP/1.0 answer that kept the body readable (rawHead).
func (r *request) bodyGone() bool { return r.hijacked && !r.rawBody }

// readBodyCuttable runs read, a read of the request body, so that killAll can interrupt it.
func (r *request) readBodyCuttable(rc readCutter, read func()) {
	r.bodyCut.Store(&rc)
	defer r.bodyCut.Store(nil)
	read()
}

// threadAborted logs a thread's runtime error as lua-nginx-module does.
func (r *request) threadAborted(kind string, t *lthread, err error) {
	err = t.abortError(err)
	switch {
	case r.phase == "log" && kind == "entry": // log_by_lua* runs as a plain protected call
		r.sc.log.Log(errlog.Err, &r.logc, "failed to run log_by_lua*: "+errorWithTrace(err))
	case r.phase == "init" && kind == "entry":
		// init_by_lua* too: its error stops start-up, reported once by RunInit's caller
		r.initErr = strings.Replace(errorWithTrace(err), "stack traceback:\ncoroutine 0:\n", "stack traceback:\n", 1)
	default:
		r.sc.log.Log(errlog.Err, &r.logc, "lua "+kind+" thread aborted: runtime error: "+errorWithTrace(err))
	}
	if st := r.host.cfg.Stats; st != nil {
		st.LuaErrors.Add(1)
	}
}

// errorWithTrace is a Lua error as lua-nginx-module logs it: the message (any value other
// than a string or number is "unknown reason"), then the stack traceback.
func errorWithTrace(err error) string {
	msg := err.Error()
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		switch o := ae.Object.(type) {
		case lua.LString, lua.LNumber:
			msg = luaToString(o)
		default:
			msg = "unknown reason"
		}
		if ae.StackTrace != "" {
			msg += "\n" + ae.StackTrace
		}
	}
	return msg
}

// finish completes the response once every light thread is done.
func (r *request) finish(failed bool) {
	// the body ends normally (no error page): it goes through the body filter, if any
	bodyEnd := r.bf != nil && !failed && (r.rawOut != nil || !r.hijacked) && (r.headersSent || r.exitStatus < 300)
	if (r.hfilter != nil || r.bf != nil) && !r.headersSent && !r.hijacked || bodyEnd && !r.bf.sawEOF {
		// the header (or error page) goes out now: the header filter runs, with the baton
		r.vm.baton.Lock()
		defer r.vm.baton.Unlock()
	}
	if bodyEnd && !r.endBody() {
		if r.rawOut != nil {
			_ = r.rawOut.Close()
		}
		return
	}
	if r.rawOut != nil && !failed {
		_ = r.flushOut()
	}
	defer func() {
		if r.rawOut != nil { // an HTTP/1.0 answer ends with the connection
			_ = r.rawOut.Close()
		}
		for _, f := range r.cleanFiles {
			_ = os.Remove(f)
		}
	}()
	if r.sock != nil {
		r.sock.shutdownExt()
		if r.sock.wsLoc != nil {
			r.sock.wsLoc.Open.Add(-1)
			r.sock.wsLoc = nil
		}
	}
	switch {
	case r.hijacked:
		if r.conn != nil {
			lingeringClose(r.conn)
		}
	case failed && !r.headersSent:
		r.sendSpecial(http.StatusInternalServerError)
	case failed:
		// Headers are out: all we can do is cut the connection, as nginx does.
		r.abortConn()
	case !r.headersSent:
		if r.exitStatus >= 300 {
			r.sendSpecial(r.exitStatus)
		} else {
			r.sendHeaders()
			r.flushLast()
		}
	default:
		r.flushLast()
	}
}

// flushLast writes what is pending at the end of a response. An HTTP/1.0 answer whose head is
// still pending gets its Content-Length, as lua_http10_buffering makes nginx do.
func (r *request) flushLast() {
	if r.headerPending && r.w != nil && r.bf == nil && r.r.ProtoMajor == 1 && r.r.ProtoMinor == 0 {
		r.headerPending = false
		n := len(r.pending)
		if r.r.Method == http.MethodHead {
			n = -1 // a head only: lua-nginx-module sends it without counting the body
		}
		if err := r.rawHead(n); err == nil && r.rawOut != nil && r.r.Method != http.MethodHead {
			n, _ := r.rawOut.Write(r.pending)
			r.rawBytes += int64(n)
		}
		r.pending = r.pending[:0]
		return
	}
	_ = r.flushOut()
}

// abortConn closes the client connection without a (further) response.
func (r *request) abortConn() {
	if r.hijacked {
		if r.conn != nil {
			_ = r.conn.Close()
		}
		return
	}
	if c := captureOf(r.w); c != nil && r.internal != nil { // a subrequest's: cut short
		_ = r.flushOut()
		if c.Status() == 0 { // ngx.exit(ngx.ERROR) before any output: a 500
			c.Special(http.StatusInternalServerError)
		}
		c.Truncate()
		return
	}
	conn, _, err := http.NewResponseController(r.w).Hijack()
	if err == nil {
		r.hijacked = true
		r.conn = conn
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// hijack takes the connection over from net/http; it returns the bytes the client sent
// after the request head, which net/http had buffered.
func (r *request) hijack() (net.Conn, []byte, error) {
	conn, brw, err := http.NewResponseController(r.w).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// A server's request-framing guard (server.framedConn) wraps the connection; what follows
	// is not HTTP any more: read and write the socket itself (writev, no per-read check).
	if u, ok := conn.(interface{ NetConn() net.Conn }); ok {
		if _, isTLS := conn.(*tls.Conn); !isTLS {
			conn = u.NetConn()
		}
	}
	r.hijacked = true
	r.conn = conn
	r.headersSent = true
	var buffered []byte
	if n := brw.Reader.Buffered(); n > 0 {
		p, _ := brw.Reader.Peek(n)
		buffered = append([]byte(nil), p...)
	}
	r.w = nil // it holds net/http's connection buffers; nothing writes through it any more
	if r.detached != nil {
		close(r.detached)
	}
	return conn, buffered, nil
}

func remoteIP(addr string) string {
	if addr == "unix:" { // a unix domain socket's peer
		return addr
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

func remotePort(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return port
}

// connIDKey carries nginx's connection number in the request context; the server sets it
// per accepted connection (ConnContext).
type connIDKey struct{}

// ConnContext numbers accepted connections for log lines ("*7"); use it as
// http.Server.ConnContext.
func (h *Host) ConnContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, connIDKey{}, h.connSeq.Add(1))
}

// WithConnID gives ctx the connection number id (a connection a server passes on keeps its
// number).
func WithConnID(ctx context.Context, id uint64) context.Context {
	return context.WithValue(ctx, connIDKey{}, id)
}

func connID(hr *http.Request) uint64 { return ConnIDOf(hr.Context()) }

// ConnIDOf is the connection number ConnContext put in ctx (0 if none).
func ConnIDOf(ctx context.Context) uint64 {
	id, _ := ctx.Value(connIDKey{}).(uint64)
	return id
}
