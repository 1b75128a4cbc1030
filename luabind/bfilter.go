package luabind

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/luajit"
)

// bodyFilter is a request's body_filter_by_lua*: the chunk runs on each piece of the response
// body as it goes out (each ngx.say/ngx.print, each ngx.flush, the end of the body; each
// write of a static file, echo command or proxied response; an error page), with ngx.arg[1]
// the data and ngx.arg[2] the eof flag, both of which it may assign, as lua-nginx-module
// 0.10.23 runs it (ngx_http_lua_bodyfilterby.c).
type bodyFilter struct {
	get func(*request) (*lua.FunctionProto, error)

	// the chunk being filtered, as ngx.arg shows it
	data []byte
	eof  bool

	seenLast  bool // the filter set ngx.arg[2]: later data is dropped without running it
	sawEOF    bool // the final piece (eof) was given to the filter
	truncated bool // the filter cleared the eof flag of the final piece: the body never ends
	failed    bool // the chunk raised an error or returned ngx.ERROR (or >= 300)
	arg       *lua.LTable
}

// filterBody runs the body filter on one piece of the response body; the caller holds the
// baton. It returns what goes out instead and whether that ends the body. ok is false when the
// filter failed: the error is logged as lua-nginx-module logs it ("failed to run
// body_filter_by_lua*: ..."), nothing of this piece goes out, and the connection is closed
// when the request ends. The chunk runs to its end without yielding.
func (r *request) filterBody(p []byte, eof bool) (out []byte, last, ok bool) {
	bf := r.bf
	if bf == nil || r.vm == nil || r.r == nil || r.r.Method == http.MethodHead ||
		r.status == http.StatusNoContent || r.status == http.StatusNotModified {
		return p, eof, true // nginx runs no body filter for a header-only response
	}
	if bf.seenLast {
		return nil, false, true // nginx marks such data consumed and runs no Lua on it
	}
	if eof {
		bf.sawEOF = true
	}
	proto, err := bf.get(r)
	if err != nil {
		r.sc.log.Log(errlog.Err, &r.logc, bodyFilterLoadFailure(err))
		bf.failed = true
		return nil, false, false
	}
	v := r.vm
	L, leave := r.enterFilter("body_filter")
	// the header is out by now, whoever writes it (ngx.status and ngx.header refuse changes)
	sent := r.headersSent
	r.headersSent = true
	bf.data, bf.eof = p, eof
	ngx, _ := v.L.GetGlobal("ngx").(*lua.LTable)
	var prevArg lua.LValue = lua.LNil
	if ngx != nil {
		prevArg = ngx.RawGetString("arg")
		ngx.RawSetString("arg", r.bodyFilterArg(v.L))
	}
	L.Push(luajit.NewFunction(L, proto))
	err = v.pcall(L, 0, 1)
	rc := lua.LValue(lua.LNil)
	if err == nil {
		rc = L.Get(-1)
	}
	if ngx != nil {
		ngx.RawSetString("arg", prevArg)
	}
	r.headersSent = sent
	leave()
	out, last = bf.data, bf.eof
	bf.data = nil
	if err != nil {
		r.sc.log.Log(errlog.Err, &r.logc, "failed to run body_filter_by_lua*: "+filterErrorText(err))
		if st := r.host.cfg.Stats; st != nil {
			st.LuaErrors.Add(1)
		}
		bf.failed = true
		return nil, false, false
	}
	if n, isNum := rc.(lua.LNumber); isNum {
		// lua_tointeger of the chunk's first result: NGX_ERROR or a special response code
		// fails the filter, quietly
		if code := int64(n); code == -1 || code >= 300 {
			bf.failed = true
			return nil, false, false
		}
	}
	if last {
		bf.seenLast = true
	} else if eof {
		bf.truncated = true
	}
	return out, last, true
}

// filterErrorText is a filter chunk's error as lua-nginx-module logs it: a string or number
// with the traceback (lua_pcall's handler, so no "coroutine 0:" line), anything else
// "unknown reason" alone.
func filterErrorText(err error) string {
	var ae *lua.ApiError
	if !errors.As(err, &ae) {
		return err.Error()
	}
	switch o := ae.Object.(type) {
	case lua.LString, lua.LNumber:
		msg := luaToString(o)
		if ae.StackTrace != "" {
			msg += "\n" + strings.Replace(ae.StackTrace, "stack traceback:\ncoroutine 0:", "stack traceback:", 1)
		}
		return msg
	}
	return "unknown reason"
}

// bodyFilterLoadFailure is the error.log text of a body filter chunk that cannot be loaded.
func bodyFilterLoadFailure(err error) string {
	var fe *filterFileError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	return loadFailure(err)
}

// filterFileError is a body_filter_by_lua_file file that cannot be loaded, worded as
// lua-nginx-module logs it.
type filterFileError struct {
	path string
	err  error
}

func (e *filterFileError) Error() string {
	reason := luaSyntaxText(e.err)
	var pe *fs.PathError
	if errors.As(e.err, &pe) {
		reason = "cannot open " + e.path + ": " + capitalErrno(pe.Err)
	}
	return fmt.Sprintf("failed to load external Lua file \"%s\": %s", e.path, reason)
}

func (e *filterFileError) Unwrap() error { return e.err }

// bodyFilterArg is ngx.arg while the body filter runs: [1] the data, [2] the eof flag, both
// assignable (lua-resty-core's getter, lua-nginx-module's ngx_http_lua_body_filter_param_set).
func (r *request) bodyFilterArg(L *lua.LState) *lua.LTable {
	if r.bf.arg != nil {
		return r.bf.arg
	}
	arg := L.CreateTable(0, 0)
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__index", L.NewFunction(bodyFilterArgGet))
	mt.RawSetString("__newindex", L.NewFunction(bodyFilterArgSet))
	arg.Metatable = mt
	r.bf.arg = arg
	return arg
}

// bodyFilterOf is the body filter the running chunk is in, or raises lua-nginx-module's error.
func bodyFilterOf(L *lua.LState, getter bool) *bodyFilter {
	t := threadOf(L)
	if t == nil {
		L.RaiseError("no request found")
	}
	r := t.req
	if r.phase != "body_filter" || r.bf == nil {
		if getter {
			ngxStrError(L, 1, "API disabled in the current context")
		}
		ngxStrError(L, 1, "API disabled in the context of "+contextName(r.phase))
	}
	return r.bf
}

func bodyFilterArgGet(L *lua.LState) int {
	bf := bodyFilterOf(L, true)
	switch k := L.Get(2).(type) {
	case lua.LNumber:
		switch float64(k) {
		case 1:
			L.Push(lua.LString(bf.data))
			return 1
		case 2:
			L.Push(lua.LBool(bf.eof))
			return 1
		}
	}
	L.Push(lua.LNil)
	return 1
}

func bodyFilterArgSet(L *lua.LState) int {
	bf := bodyFilterOf(L, false)
	idx, ok := argInt(L.Get(2))
	if !ok {
		luajit.RaiseVerbatim(L, ngxStrWhere(L, 1)+"bad argument #2 to '__newindex' (number expected, got "+luaTypeName(L.Get(2))+")")
	}
	if idx != 1 && idx != 2 {
		ngxStrError(L, 1, fmt.Sprintf("bad index: %d", idx))
	}
	v := L.Get(3)
	if idx == 2 {
		bf.eof = lua.LVAsBool(v)
		bf.seenLast = bf.eof
		return 0
	}
	switch v := v.(type) {
	case lua.LString:
		bf.data = []byte(v)
	case lua.LNumber:
		bf.data = []byte(luaToString(v))
	case *lua.LNilType:
		bf.data = nil
	case *lua.LTable:
		bf.data = appendStrictTable(L, nil, v, 0)
	default:
		ngxStrError(L, 1, "bad chunk data type: "+luaTypeName(v))
	}
	if bf.eof {
		bf.seenLast = true // the replacement carries the last-buffer flag
	}
	return 0
}

// argInt is luaL_checkint's reading of v: a number (truncated) or a numeric string.
func argInt(v lua.LValue) (int, bool) {
	var f float64
	switch v := v.(type) {
	case lua.LNumber:
		f = float64(v)
	case lua.LString:
		n, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
		if err != nil {
			return 0, false
		}
		f = n
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, true
	}
	return int(f), true
}

// luaTypeName is lua_typename of v's type.
func luaTypeName(v lua.LValue) string {
	return v.Type().String()
}

// appendStrictTable is ngx_http_lua_copy_str_in_table of a table assigned to ngx.arg[1]
// (strict: strings, numbers and nested array tables only).
func appendStrictTable(L *lua.LState, b []byte, t *lua.LTable, depth int) []byte {
	if depth > 200 {
		luajit.RaiseVerbatim(L, ngxStrWhere(L, 1)+"bad argument #3 to '__newindex' (table too deep)")
	}
	max := 0
	t.ForEach(func(k, _ lua.LValue) {
		f, ok := k.(lua.LNumber)
		if !ok || float64(f) < 1 || math.Floor(float64(f)) != float64(f) {
			luajit.RaiseVerbatim(L, ngxStrWhere(L, 1)+"bad argument #3 to '__newindex' (non-array table found)")
		}
		if int(f) > max {
			max = int(f)
		}
	})
	for i := 1; i <= max; i++ {
		switch e := t.RawGetInt(i).(type) {
		case lua.LString:
			b = append(b, e...)
		case lua.LNumber:
			b = append(b, luaToString(e)...)
		case *lua.LTable:
			b = appendStrictTable(L, b, e, depth+1)
		default:
			luajit.RaiseVerbatim(L, ngxStrWhere(L, 1)+"bad argument #3 to '__newindex' (bad data type "+luaTypeName(e)+" found)")
		}
	}
	return b
}

// bodyFilterProto is the getter of a body filter's chunk: a compiled one, or a
// body_filter_by_lua_file whose path has variables or whose file was missing at start-up,
// loaded per request (a failure is a filterFileError).
func (h *Host) bodyFilterProto(c *Chunk) (func(*request) (*lua.FunctionProto, error), error) {
	if c.FilePath != nil {
		return func(r *request) (*lua.FunctionProto, error) {
			path := c.FilePath(r.r)
			proto, err := h.protos.file(path)
			if err != nil {
				return nil, &filterFileError{path: path, err: err}
			}
			return proto, nil
		}, nil
	}
	get, err := h.phaseProto(c)
	if err != nil {
		return nil, err
	}
	return func(*request) (*lua.FunctionProto, error) { return get() }, nil
}

// endBody passes the end of the body through the body filter when Lua's output (or the
// Fallback's) is done; the caller holds the baton. It reports whether the response may be
// completed: when the filter failed the connection is closed with nothing more sent, and when
// it cleared the eof flag the body never ends (a subrequest's capture is truncated, a client's
// connection is closed after what was sent).
func (r *request) endBody() bool {
	bf := r.bf
	r.sendHeaders()
	if r.hijacked && r.rawOut == nil {
		return false // the header filter closed the connection
	}
	if !bf.sawEOF {
		out, _, _ := r.filterBody(nil, true)
		r.pending = append(r.pending, out...)
	}
	switch {
	case bf.failed:
		r.pending = r.pending[:0]
		r.abortConn()
	case bf.truncated:
		if r.flushOut() == nil && r.rawOut == nil && r.w != nil && captureOf(r.w) == nil {
			_ = http.NewResponseController(r.w).Flush()
		}
		r.abortConn()
	default:
		return true
	}
	return false
}

// bodyWriter runs the body filter on the body of a response that is not Lua's (a static
// file, echo, proxy_pass): each Write is a piece, a Flush an empty one, and end the end of
// the body. With holdLast (HoldLastPiece) the last Write carries the eof flag, as nginx sends
// a file in one buffer marked last. The header waits for the first byte the filter lets
// through (or the end), so that a filter failing before any leaves nothing sent.
type bodyWriter struct {
	http.ResponseWriter
	r          *request
	code       int
	headerDone bool
	clip       int64 // what is left of the Content-Length the header declared (-1: none)
	holdLast   bool
	held       []byte
	hasHeld    bool
	pend       []byte // filtered output not sent yet
}

func (w *bodyWriter) WriteHeader(code int) {
	if w.code != 0 {
		return
	}
	w.code = code
	w.clip = -1
	if cl := w.Header().Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			w.clip = n
		}
	}
	if w.headerOnly() {
		w.sendHeader()
	}
}

func (w *bodyWriter) sendHeader() {
	if !w.headerDone {
		w.headerDone = true
		w.ResponseWriter.WriteHeader(w.code)
	}
}

// headerOnly: nginx runs no body filter on a HEAD, 204 or 304 response.
func (w *bodyWriter) headerOnly() bool {
	return w.code == http.StatusNoContent || w.code == http.StatusNotModified ||
		w.r.r == nil || w.r.r.Method == http.MethodHead
}

func (w *bodyWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.headerOnly() {
		return w.ResponseWriter.Write(p)
	}
	if w.holdLast {
		if w.hasHeld {
			if err := w.piece(w.held, false); err != nil {
				return 0, err
			}
		}
		w.held, w.hasHeld = append(w.held[:0], p...), true
		return len(p), nil
	}
	if err := w.piece(p, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// piece filters p; what the filter leaves waits, as nginx's postpone_output has it, until
// 1460 bytes are pending, a flush or the end of the body. A failing filter drops the piece;
// the request goes on, and its connection is closed at the end (endBody).
func (w *bodyWriter) piece(p []byte, eof bool) error {
	r := w.r
	r.vm.baton.Lock()
	out, _, ok := r.filterBody(p, eof)
	r.vm.baton.Unlock()
	if !ok {
		return nil
	}
	w.pend = append(w.pend, out...)
	if eof || len(w.pend) >= postponeOutput {
		return w.writePending(eof)
	}
	return nil
}

// writePending sends the header, if still to go, and the pending output (nothing once the
// filter failed: the connection is to be closed).
//
// A declared Content-Length is kept when it still holds. When the header is still to go
// out it is corrected: the whole body's length at the end of the body, or dropped (chunked)
// when the output passes it; once the header is out, nothing past it is sent, as a client
// reads no further. (nginx sends the header the content handler set, whatever the filter
// does.)
func (w *bodyWriter) writePending(eof bool) error {
	out := w.pend
	w.pend = w.pend[:0]
	if w.r.bf.failed {
		return nil
	}
	if w.clip >= 0 && !w.headerDone {
		switch {
		case eof:
			w.Header().Set("Content-Length", strconv.Itoa(len(out)))
			w.clip = int64(len(out))
		case int64(len(out)) > w.clip:
			w.Header().Del("Content-Length")
			w.clip = -1
		}
	}
	if w.clip >= 0 {
		if int64(len(out)) > w.clip {
			out = out[:w.clip]
		}
		w.clip -= int64(len(out))
	}
	w.sendHeader()
	if len(out) == 0 {
		return nil
	}
	_, err := w.ResponseWriter.Write(out)
	return err
}

func (w *bodyWriter) Flush() {
	if w.code != 0 && !w.headerOnly() {
		if !w.holdLast {
			_ = w.piece(nil, false)
		}
		if err := w.writePending(false); err != nil {
			return
		}
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok && w.headerDone {
		f.Flush()
	}
}

// end passes the end of the body (the held last piece, or an empty one) through the filter;
// the header goes out now if nothing did yet, unless the filter failed.
func (w *bodyWriter) end() {
	if w.code == 0 || w.headerOnly() {
		return
	}
	p := w.held
	w.held, w.hasHeld = nil, false
	_ = w.piece(p, true)
	if len(w.pend) > 0 || !w.headerDone { // the eof piece was not filtered (seen eof before)
		_ = w.writePending(true)
	}
}

func (w *bodyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// HoldLastPiece tells a body_filter_by_lua* under w (if any) that the handler writes its whole
// body at once (a static file, a return text): its last Write carries the eof flag instead of
// an empty piece after it, as nginx sends such a body in one buffer marked last.
func HoldLastPiece(w http.ResponseWriter) {
	for w != nil {
		if bw, ok := w.(*bodyWriter); ok {
			bw.holdLast = true
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}
