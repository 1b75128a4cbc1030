package server

import (
	"bufio"
	"context"
	"errors"
	"github.com/luaws/luaws/internal/varexpand"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/internal/buildinfo"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/ngxconf"
)

// respWriter records the status and body size for the access log; it lets Hijack through.
type respWriter struct {
	http.ResponseWriter
	status   int
	bytes    int64
	hijacked bool
	site     *Site
	conn     net.Conn
	req      *http.Request
	// chunked framing, counted for $body_bytes_sent
	chunks     int
	chunkBytes int64
	flushed    bool
	tokensOff  bool // server_tokens off
	headDone   bool
	more       []*moreCmd          // headers-more output commands
	moreEval   func(string) string // expands their values (nil: no variables set)
	moreDone   bool                // they ran on this response's head
	// sized: the head declared a Content-Length of limit bytes; past them the body goes on
	// overrun, the connection taken from net/http (see Write)
	sized   bool
	limit   int64
	overrun net.Conn
}

func (w *respWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.head(code)
	w.ResponseWriter.WriteHeader(code)
}

// ServerToken is the Server header's value: the version is left out under server_tokens off.
func (w *respWriter) ServerToken() string {
	if w.tokensOff {
		return "luaws"
	}
	return buildinfo.ServerToken
}

// applyMore runs the headers-more output commands on h (once for the response's own head:
// add_header's filter runs after them, as in nginx).
func (w *respWriter) applyMore(h http.Header, status int) {
	if len(w.more) == 0 || w.moreDone {
		return
	}
	if w.site != nil && w.req != nil && w.site.Log.Enabled(errlog.Debug) && hasOutput(w.more) {
		w.site.Log.Log(errlog.Debug, nil, "headers more header filter, uri \""+w.req.URL.Path+"\"")
	}
	eval := w.moreEval
	if eval == nil {
		eval = func(s string) string { return expand(s, w.req, nil, nil) }
	}
	applyMoreOut(w.more, h, status, eval)
}

// EarlyHeaderFilter runs the headers-more output commands before header_filter_by_lua*
// (luabind.EarlyHeaderFilter), as in OpenResty, where the Lua filter sees their result.
func (w *respWriter) EarlyHeaderFilter(h http.Header, status int) {
	w.applyMore(h, status)
	w.moreDone = true
}

// PreviewHead applies the headers-more output commands to h, a copy of a head not yet
// written (luabind.HeadPreviewer).
func (w *respWriter) PreviewHead(h http.Header, status int) { w.applyMore(h, status) }

// FinishHead applies head's changes to a head luaws writes itself (luabind.HeadFinisher).
func (w *respWriter) FinishHead(h http.Header, status int) {
	w.applyMore(h, status)
	if w.tokensOff {
		if v := h["Server"]; len(v) == 1 && v[0] == buildinfo.ServerToken {
			h["Server"] = []string{"luaws"}
		}
	}
}

// head finishes the response head as nginx's header filter does: the Server token without
// its version under server_tokens off, and "Connection: keep-alive" when the connection
// stays open (net/http says "close" itself when it will not; HTTP/1.0 gets it from net/http).
func (w *respWriter) head(code int) {
	if w.headDone {
		return
	}
	w.headDone = true
	h := w.Header()
	w.FinishHead(h, code)
	w.moreDone = true
	if code >= 200 && w.req != nil && w.req.ProtoAtLeast(1, 1) && !w.req.Close && h["Connection"] == nil {
		h["Connection"] = []string{"keep-alive"}
	}
	if cl := h["Content-Length"]; len(cl) == 1 && h["Transfer-Encoding"] == nil && code >= 200 &&
		code != http.StatusNoContent && code != http.StatusNotModified && w.req != nil && w.req.Method != http.MethodHead {
		if n, err := strconv.ParseInt(cl[0], 10, 64); err == nil && n >= 0 {
			w.sized, w.limit = true, n
		}
	}
}

func (w *respWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.head(http.StatusOK)
	if w.overrun != nil || (w.sized && w.bytes+int64(len(p)) > w.limit) {
		return w.writeOverrun(p)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	w.countChunk(n)
	return n, err
}

// writeOverrun writes a body longer than the Content-Length its head declared (one
// more_set_headers set, say). nginx sends the whole body regardless, which net/http refuses
// to: the declared bytes go through net/http, the rest on the connection taken from it,
// closed when the request ends (closeOverrun).
func (w *respWriter) writeOverrun(p []byte) (int, error) {
	if w.overrun == nil {
		k := w.limit - w.bytes
		n, err := w.ResponseWriter.Write(p[:k])
		w.bytes += int64(n)
		if err != nil {
			return n, err
		}
		rc := http.NewResponseController(w.ResponseWriter)
		if err := rc.Flush(); err != nil {
			return n, err
		}
		c, _, err := rc.Hijack()
		if err != nil {
			return n, err
		}
		w.overrun, p = c, p[k:]
		if len(p) == 0 {
			return n, nil
		}
		m, err := c.Write(p)
		w.bytes += int64(m)
		return n + m, err
	}
	n, err := w.overrun.Write(p)
	w.bytes += int64(n)
	return n, err
}

// closeOverrun closes the connection writeOverrun took, once the response is complete.
func (w *respWriter) closeOverrun() {
	if w.overrun != nil {
		_ = w.overrun.Close()
	}
}

func (w *respWriter) Flush() {
	w.head(http.StatusOK)
	w.flushed = true
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *respWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked, w.conn = true, c
		if s := w.site; s != nil {
			s.mu.Lock()
			if s.taken == nil {
				s.taken = map[net.Conn]struct{}{}
			}
			s.taken[c] = struct{}{}
			s.mu.Unlock()
		}
	}
	return c, brw, err
}

func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// RecordResponse notes a response a handler writes on the connection itself (luabind's
// error pages), for the access log.
func (w *respWriter) RecordResponse(status int, bodyBytes int64) {
	if w.status == 0 {
		w.status = status
	}
	w.bytes += bodyBytes
}

// Variables computes nginx's built-in variables for a request.
type Variables interface {
	Variable(r *http.Request, name string) (string, bool)
}

// expand replaces $name and ${name} in s: variables set in this request first, then built-ins.
func expand(s string, r *http.Request, vs Variables, set map[string]string) string {
	return varexpand.Expand(s, func(name string) string {
		if v, ok := set[name]; ok {
			return v
		}
		if vs != nil {
			v, _ := vs.Variable(r, name)
			return v
		}
		return ""
	})
}

// Header is "add_header name value [always];".
type Header struct {
	Name, Value string
	Always      bool
}

// LocHandler runs a location's rewrite-module script (set, rewrite, if, return, ...), adds
// its headers and hands the request to its content (Lua phases or static files).
type LocHandler struct {
	// Script is the location's rewrite-module directives, in order; ScriptInNext says Next
	// (the Lua phases) runs it, in order with set_by_lua* (see luabind.Phases.Script).
	Script       *script
	ScriptInNext bool
	Referers     *referers // valid_referers: $invalid_referer
	Headers      []Header
	DefaultType  string
	Vars         Variables
	Next         http.Handler
	// Guard is the location's limit_req, limit_conn, allow/deny and auth_basic; GuardInNext
	// says Next (the Lua phases) runs it after rewrite_by_lua*, as nginx orders the phases.
	Guard       *Guard
	GuardInNext bool
	// Logs are the location's access logs.
	Logs []*AccessLog
	// ErrorPages are the location's error_page directives.
	ErrorPages ErrorPages
	// TryFiles is the location's try_files (nil: none).
	TryFiles *TryFiles
	// More are the headers-more commands (the outer levels' first).
	More []*moreCmd

	log        *errlog.Logger
	serverName string
	setLua     func(*http.Request, int) (string, error) // a server level's set_by_lua*
	// root or alias, and the location's prefix: $document_root, $request_filename
	root, alias, locPath string
	// ifConf builds the configuration of an "if" block inside this one.
	ifConf func(ifd *ngxconf.Directive) (*LocHandler, error)
}

var addHeaderStatus = map[int]bool{200: true, 201: true, 204: true, 206: true, 301: true, 302: true,
	303: true, 304: true, 307: true, 308: true}

func (h *LocHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	vars := requestVars(r)
	if h.Referers != nil {
		vars["invalid_referer"] = h.Referers.invalid(r)
	}
	r = r.WithContext(luabind.WithVars(r.Context(), vars))
	if st := stateOf(r); st != nil && !isInternal(r) {
		st.logs = h.Logs
	}
	r = withErrorPages(r, h.ErrorPages)
	if !h.ScriptInNext && h.Script != nil && len(h.Script.ops) > 0 {
		next, answer, handoff := h.runScript(r, nil)
		luabind.NoteVars(r.Context(), vars)
		if handoff != nil {
			handoff.ServeHTTP(w, next)
			return
		}
		if answer != nil {
			// a return's answer gets the location's output commands, not its input ones
			h.moreOutput(w, next, vars)
			h.serveAnswer(w, next, answer)
			return
		}
		r = next
	}
	// headers-more's input commands run at the rewrite phase's tail, after the script
	if len(h.More) > 0 {
		if !h.ScriptInNext { // else luaScript runs them after the script
			r = h.moreInput(r)
		}
		h.moreOutput(w, r, vars)
	}
	if len(h.Headers) > 0 {
		hw := &headerWriter{respWriter: respWriterOf(w), h: h, r: r, vars: vars}
		w, r = hw, r.WithContext(context.WithValue(r.Context(), headerWriterKey{}, hw))
	}
	if !h.GuardInNext && !h.Guard.empty() {
		if done, _ := h.Guard.Check(w, r); done {
			return
		}
	}
	if h.Next == nil {
		writeSpecial(w, r, http.StatusNotFound)
		return
	}
	if h.TryFiles != nil {
		h.TryFiles.serve(w, r, h.Next)
		return
	}
	h.Next.ServeHTTP(w, r)
}

// moreOutput hands the location's headers-more output commands to the response writer.
func (h *LocHandler) moreOutput(w http.ResponseWriter, r *http.Request, vars map[string]string) {
	if rw, ok := w.(*respWriter); ok && len(h.More) > 0 {
		rw.more, rw.moreEval = h.More, func(s string) string { return expand(s, r, h.Vars, vars) }
	}
}

// serveAnswer serves a return (or a redirect) of the level's script, with its headers.
func (h *LocHandler) serveAnswer(w http.ResponseWriter, r *http.Request, a http.Handler) {
	if len(h.Headers) > 0 {
		w = &headerWriter{respWriter: respWriterOf(w), h: h, r: r, vars: requestVars(r)}
	}
	a.ServeHTTP(w, r)
}

// luaScript is the Lua phases' luabind.Phases.Script: the location's script, whose
// handoff (another location, an "if" block's configuration) adds its own headers, not this
// location's.
func (h *LocHandler) luaScript(r *http.Request, setLua func(*http.Request, int) (string, error)) (*http.Request, http.Handler, http.Handler) {
	next, answer, handoff := h.runScript(r, setLua)
	luabind.NoteVars(r.Context(), requestVars(r))
	if answer == nil && handoff == nil {
		next = h.moreInput(next)
	}
	if handoff != nil {
		if hw, ok := r.Context().Value(headerWriterKey{}).(*headerWriter); ok && hw.h == h {
			hw.done = true
		}
	}
	return next, answer, handoff
}

// moreInput runs the location's headers-more input commands (the rewrite phase's tail).
func (h *LocHandler) moreInput(r *http.Request) *http.Request {
	if !hasInput(h.More) {
		return r
	}
	if h.log != nil && h.log.Enabled(errlog.Debug) {
		h.log.Log(errlog.Debug, nil, "headers more rewrite handler, uri \""+r.URL.Path+"\"")
	}
	vars := requestVars(r)
	r2, ran := applyMoreIn(h.More, r, func(s string) string { return expand(s, r, h.Vars, vars) })
	if ran {
		r2 = r2.WithContext(luabind.WithHeadersChanged(r2.Context()))
	}
	return r2
}

type headerWriterKey struct{}

func respWriterOf(w http.ResponseWriter) *respWriter {
	if rw, ok := w.(*respWriter); ok {
		return rw
	}
	return &respWriter{ResponseWriter: w}
}

// headerWriter adds add_header fields when the response status allows them.
type headerWriter struct {
	*respWriter
	h    *LocHandler
	r    *http.Request
	vars map[string]string
	done bool
}

// PreviewHead applies headers-more's commands, then add_header's, to h, a copy of a head
// not yet written (luabind.HeadPreviewer).
func (w *headerWriter) PreviewHead(h http.Header, code int) {
	w.respWriter.applyMore(h, code)
	if !w.done {
		for _, hd := range w.h.Headers {
			if hd.Always || addHeaderStatus[code] {
				h.Add(hd.Name, expand(hd.Value, w.r, w.h.Vars, w.vars))
			}
		}
	}
}

func (w *headerWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		w.respWriter.applyMore(w.Header(), code) // headers-more, then add_header
		w.respWriter.moreDone = true
		for _, hd := range w.h.Headers {
			if hd.Always || addHeaderStatus[code] {
				w.Header().Add(hd.Name, expand(hd.Value, w.r, w.h.Vars, w.vars))
			}
		}
	}
	w.respWriter.WriteHeader(code)
}

func (w *headerWriter) Write(p []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.respWriter.Write(p)
}

func (w *headerWriter) Unwrap() http.ResponseWriter { return w.respWriter }

// SetLuaVars is luabind.LuaVarsSink: what Lua set wins over the location's "set" values.
func (w *headerWriter) SetLuaVars(m map[string]string) {
	vars := make(map[string]string, len(w.vars)+len(m))
	for k, v := range w.vars {
		vars[k] = v
	}
	for k, v := range m {
		vars[k] = v
	}
	w.vars = vars
}

// Static serves files as nginx's static and index modules do, from Root (the URI appended)
// or Alias (the URI after the location's prefix appended).
type Static struct {
	Root, Alias string
	LocPath     string // the location's prefix, for Alias
	Index       []string
	DefaultType string
	Types       map[string]string // extension (no dot) -> type; nil: Go's table
	Log         *errlog.Logger
	LogConn     func(r *http.Request) *errlog.Conn
}

func (s *Static) file(uri string) string {
	if s.Alias != "" {
		rest := strings.TrimPrefix(uri, s.LocPath)
		return s.Alias + rest
	}
	return s.Root + uri
}

func (s *Static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeSpecial(w, r, http.StatusMethodNotAllowed)
		return
	}
	uri := path.Clean("/" + r.URL.Path)
	if strings.HasSuffix(r.URL.Path, "/") && uri != "/" {
		uri += "/"
	}
	name := s.file(uri)
	if strings.HasSuffix(uri, "/") {
		for _, idx := range s.Index {
			p := name + idx
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				s.serveFile(w, r, p, st)
				return
			}
		}
		if st, err := os.Stat(name); err == nil && st.IsDir() {
			s.logf(r, errlog.Err, "directory index of \"%s\" is forbidden", name)
			writeSpecial(w, r, http.StatusForbidden)
			return
		}
		s.notFound(w, r, name+firstOr(s.Index, "index.html"))
		return
	}
	st, err := os.Stat(name)
	if err != nil {
		s.notFound(w, r, name)
		return
	}
	if st.IsDir() {
		loc := uri + "/"
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		w.Header().Set("Location", loc)
		writeSpecial(w, r, http.StatusMovedPermanently)
		return
	}
	s.serveFile(w, r, name, st)
}

func firstOr(ss []string, d string) string {
	if len(ss) > 0 {
		return ss[0]
	}
	return d
}

func (s *Static) notFound(w http.ResponseWriter, r *http.Request, name string) {
	s.logf(r, errlog.Err, "open() \"%s\" failed (2: No such file or directory)", name)
	writeSpecial(w, r, http.StatusNotFound)
}

func (s *Static) logf(r *http.Request, level int, format string, args ...any) {
	if s.Log == nil {
		return
	}
	var c *errlog.Conn
	if s.LogConn != nil {
		c = s.LogConn(r)
	}
	s.Log.Logf(level, c, format, args...)
}

func (s *Static) serveFile(w http.ResponseWriter, r *http.Request, name string, st fs.FileInfo) {
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			s.logf(r, errlog.Err, "open() \"%s\" failed (13: Permission denied)", name)
			writeSpecial(w, r, http.StatusForbidden)
			return
		}
		s.notFound(w, r, name)
		return
	}
	defer f.Close()
	ext := strings.TrimPrefix(filepath.Ext(name), ".")
	ctype := ""
	if s.Types != nil {
		ctype = s.Types[strings.ToLower(ext)]
	} else if ext != "" {
		ctype = mime.TypeByExtension("." + ext)
	}
	if ctype == "" {
		ctype = s.DefaultType
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Server", buildinfo.ServerToken)
	luabind.HoldLastPiece(w) // the last piece is marked last, for a body filter
	http.ServeContent(w, r, name, st.ModTime(), f)
}
