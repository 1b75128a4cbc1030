package luabind

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
)

// Handler serves one location with one Lua chunk (content_by_lua_file or content_by_lua).
type Handler struct {
	host  *Host
	proto func() (*lua.FunctionProto, error)
}

// FileHandler serves the Lua file at path; it is compiled now, so that a syntax error stops
// start-up, and again whenever the file changes.
func (h *Host) FileHandler(path string) (*Handler, error) {
	if _, err := h.protos.file(path); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return &Handler{host: h, proto: func() (*lua.FunctionProto, error) { return h.protos.file(path) }}, nil
}

// InlineHandler serves Lua source given inline, as content_by_lua does; chunkname is what
// errors and log lines show, e.g. "content_by_lua(nginx.conf:56)".
func (h *Host) InlineHandler(chunkname string, src []byte) (*Handler, error) {
	proto, err := compile(chunkname, src)
	if err != nil {
		return nil, err
	}
	return &Handler{host: h, proto: func() (*lua.FunctionProto, error) { return proto, nil }}, nil
}

// request is one HTTP request while its Lua handler runs.
type request struct {
	host *Host
	w    http.ResponseWriter
	r    *http.Request
	L    *lua.LState
	logc errlog.Conn

	// baton: only the light thread holding it runs Lua.
	baton   sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	entry   *lthread
	wg      sync.WaitGroup           // user threads' goroutines
	thmu    sync.Mutex               // guards threads (kill runs without the baton)
	threads map[*lua.LState]*lthread // user threads by their Lua thread

	// response
	status      int
	header      respHeader
	headersSent bool
	eof         bool
	bodyRead    bool
	bodyData    []byte
	start       time.Time

	// after the connection is taken over (websocket upgrade, raw request socket, 444)
	hijacked bool
	conn     net.Conn
	sock     *socket

	exited     bool
	exitStatus int
	ngxCtx     lua.LValue
	vars       map[string]lua.LValue // variables assigned with ngx.var.x = ...
	requestID  string
}

// errExit unwinds a thread after ngx.exit; it is not a script error.
var errExit = errors.New("ngx.exit")

// ServeHTTP runs the chunk in a fresh state with the request's own ngx API.
func (hd *Handler) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	h := hd.host
	r := &request{host: h, w: w, r: hr, start: time.Now()}
	r.logc = errlog.Conn{
		ID:      connID(hr),
		Client:  remoteIP(hr.RemoteAddr),
		Server:  h.cfg.ServerName,
		Request: hr.Method + " " + hr.RequestURI + " " + hr.Proto,
		Host:    hr.Host,
	}
	proto, err := hd.proto()
	if err != nil {
		h.log.Log(errlog.Err, &r.logc, "failed to load Lua chunk: "+err.Error())
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	r.ctx, r.cancel = context.WithCancel(hr.Context())
	defer r.cancel()

	L := h.newState()
	defer L.Close()
	r.L = L
	openNgx(L, r)

	r.baton.Lock()
	r.entry = r.newThread(L)
	L.Push(L.NewFunctionFromProto(proto))
	err = L.PCall(0, 0, nil)
	failed := err != nil && !r.exited
	if failed {
		r.threadAborted("entry", err)
		r.killAll() // an aborted entry thread takes its user threads with it
	}
	r.entry.cancel()
	r.baton.Unlock()
	r.wg.Wait() // the request lives on while user threads run
	r.finish(failed)
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

// killAll stops every light thread of the request.
func (r *request) killAll() {
	if r.entry != nil {
		r.entry.kill()
	}
	r.thmu.Lock()
	for _, t := range r.threads {
		t.kill()
	}
	r.thmu.Unlock()
}

// threadAborted logs a thread's runtime error as lua-nginx-module does.
func (r *request) threadAborted(kind string, err error) {
	msg := err.Error()
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		msg = ae.Object.String()
		if ae.StackTrace != "" {
			msg += "\n" + ae.StackTrace
		}
	}
	r.host.log.Log(errlog.Err, &r.logc, "lua "+kind+" thread aborted: runtime error: "+msg)
}

// finish completes the response once every light thread is done.
func (r *request) finish(failed bool) {
	switch {
	case r.hijacked:
		if r.conn != nil {
			_ = r.conn.Close()
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
		}
	}
}

// abortConn closes the client connection without a (further) response.
func (r *request) abortConn() {
	if r.hijacked {
		if r.conn != nil {
			_ = r.conn.Close()
		}
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

// hijack takes the connection over from net/http: bytes the client sent after the request
// head stay readable through the returned reader.
func (r *request) hijack() (net.Conn, *bufio.Reader, error) {
	conn, brw, err := http.NewResponseController(r.w).Hijack()
	if err != nil {
		return nil, nil, err
	}
	r.hijacked = true
	r.conn = conn
	r.headersSent = true
	return conn, brw.Reader, nil
}

func remoteIP(addr string) string {
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

func connID(hr *http.Request) uint64 {
	id, _ := hr.Context().Value(connIDKey{}).(uint64)
	return id
}

// statusText is nginx's reason phrase for a status line.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return strings.TrimSpace(fmt.Sprintf("%d", code))
}
