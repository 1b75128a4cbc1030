package server

import (
	"bufio"
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
}

func (w *respWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	w.countChunk(n)
	return n, err
}

func (w *respWriter) Flush() {
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

// SetVar is "set $name value;".
type SetVar struct{ Name, Value string }

// Header is "add_header name value [always];".
type Header struct {
	Name, Value string
	Always      bool
}

// Return is "return code [text|URL];".
type Return struct {
	Code int
	Text string
}

// LocHandler runs a location's rewrite-module directives (set, return), adds its headers and
// hands the request to its content (Lua phases or static files).
type LocHandler struct {
	Sets        []SetVar
	Referers    *referers // valid_referers: $invalid_referer
	Return      *Return
	Headers     []Header
	DefaultType string
	Vars        Variables
	Next        http.Handler
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
	// ReturnVia, when the location has header_filter_by_lua* or body_filter_by_lua*, serves
	// Return's response under them (luabind.PhaseHandler.ServeReturn).
	ReturnVia func(http.ResponseWriter, *http.Request, http.Handler)
}

var addHeaderStatus = map[int]bool{200: true, 201: true, 204: true, 206: true, 301: true, 302: true,
	303: true, 304: true, 307: true, 308: true}

func (h *LocHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var vars map[string]string
	if len(h.Sets) > 0 || h.Referers != nil || h.Guard != nil && h.Guard.authReq != nil && len(h.Guard.authReq.sets) > 0 {
		vars = map[string]string{}
		if h.Referers != nil {
			vars["invalid_referer"] = h.Referers.invalid(r)
		}
		for _, s := range h.Sets {
			vars[s.Name] = expand(s.Value, r, h.Vars, vars)
		}
		r = r.WithContext(luabind.WithVars(r.Context(), vars))
		luabind.NoteVars(r.Context(), vars)
	}
	if st := stateOf(r); st != nil && !isInternal(r) {
		st.logs, st.set = h.Logs, vars
	}
	r = withErrorPages(r, h.ErrorPages)
	if len(h.Headers) > 0 {
		w = &headerWriter{respWriter: respWriterOf(w), h: h, r: r, vars: vars}
	}
	if h.Return != nil {
		if h.ReturnVia != nil { // under the location's Lua filters
			h.ReturnVia(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.serveReturn(w, r, vars)
			}))
			return
		}
		h.serveReturn(w, r, vars)
		return
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

func (w *headerWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
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

func (h *LocHandler) serveReturn(w http.ResponseWriter, r *http.Request, vars map[string]string) {
	ret := h.Return
	text := expand(ret.Text, r, h.Vars, vars)
	switch ret.Code {
	case 301, 302, 303, 307, 308:
		if text != "" {
			w.Header().Set("Location", text)
		}
		writeSpecial(w, r, ret.Code)
		return
	}
	if ret.Text == "" {
		writeSpecial(w, r, ret.Code)
		return
	}
	w.Header().Set("Server", buildinfo.ServerToken)
	w.Header().Set("Content-Type", h.DefaultType)
	w.Header().Set("Content-Length", strconv.Itoa(len(text)))
	w.WriteHeader(ret.Code)
	if r.Method != http.MethodHead {
		luabind.HoldLastPiece(w) // one piece, marked last, for a body filter
		_, _ = w.Write([]byte(text))
	}
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
