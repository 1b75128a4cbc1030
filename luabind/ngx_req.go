package luabind

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
)

var ngxReqFuncs = map[string]lua.LGFunction{
	"get_headers":   ngxReqGetHeaders,
	"get_uri_args":  ngxReqGetURIArgs,
	"set_uri_args":  ngxReqSetURIArgs,
	"set_uri":       ngxReqSetURI,
	"get_post_args": ngxReqGetPostArgs,
	"get_method":    ngxReqGetMethod,
	"http_version":  ngxReqHTTPVersion,
	"read_body":     ngxReqReadBody,
	"discard_body":  ngxReqDiscardBody,
	"get_body_data": ngxReqGetBodyData,
	"set_header":    ngxReqSetHeader,
	"clear_header":  ngxReqClearHeader,
	"raw_header":    ngxReqRawHeader,
	"start_time":    ngxReqStartTime,
	"is_internal":   ngxReqIsInternal,
	"socket":        ngxReqSocket,
}

func newReqTable(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, len(ngxReqFuncs)+4)
	for k, fn := range ngxReqFuncs {
		t.RawSetString(k, L.NewFunction(fn))
	}
	return t
}

// headerKeyMeta makes a headers table answer to "Content-Type" and "content_type" as well as
// "content-type", as OpenResty's does.
func headerKeyMeta(L *lua.LState) *lua.LTable {
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		k, ok := L.Get(2).(lua.LString)
		if !ok {
			L.Push(lua.LNil)
			return 1
		}
		norm := strings.ToLower(strings.ReplaceAll(string(k), "_", "-"))
		if norm == string(k) {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(t.RawGetString(norm))
		return 1
	}))
	return mt
}

// headerLines are the request's header fields as nginx lists them (headerlist.go).
func (r *request) headerLines() []headerLine {
	if r.inHeaders != nil {
		return r.inHeaders
	}
	return clientHeaderLines(r.r)
}

// ngx.req.get_headers(max_headers?, raw?): lower-case names (original case with raw), repeated
// headers as arrays, at most max_headers (default 100, 0 = all) and "truncated" as second
// value when cut. Names with underscores are dropped, as nginx drops them by default.
func ngxReqGetHeaders(L *lua.LState) int {
	r := httpRequestOf(L)
	max := L.OptInt(1, 100)
	raw := L.ToBool(2)
	lines := r.headerLines()
	t := L.CreateTable(0, len(lines))
	count := 0
	truncated := false
	for _, f := range lines {
		if max > 0 && count >= max {
			truncated = true
			break
		}
		count++
		key := f.name
		if !raw {
			key = strings.ToLower(key)
		}
		switch old := t.RawGetString(key).(type) {
		case *lua.LNilType:
			t.RawSetString(key, lua.LString(f.value))
		case *lua.LTable:
			old.Append(lua.LString(f.value))
		default:
			arr := L.CreateTable(2, 0)
			arr.Append(old)
			arr.Append(lua.LString(f.value))
			t.RawSetString(key, arr)
		}
	}
	if !raw {
		L.SetMetatable(t, headerKeyMeta(L))
	}
	L.Push(t)
	if truncated {
		r.sc.log.Log(errlog.Debug, &r.logc, fmt.Sprintf("lua exceeding request header limit %d > %d", len(lines), max))
		L.Push(lua.LString("truncated"))
		return 2
	}
	return 1
}

// argsLimitHit logs the debug line lua-nginx-module writes (to the cycle's log, without
// the request's context) when get_uri_args or get_post_args stop at their maximum.
func (r *request) argsLimitHit(max int) {
	r.sc.log.Log(errlog.Debug, nil, fmt.Sprintf("lua hit query args limit %d", max))
}

func ngxReqGetMethod(L *lua.LState) int {
	L.Push(lua.LString(httpRequestOf(L).r.Method))
	return 1
}

func ngxReqHTTPVersion(L *lua.LState) int {
	r := httpRequestOf(L).r
	L.Push(lua.LNumber(float64(r.ProtoMajor) + float64(r.ProtoMinor)/10))
	return 1
}

// body reads the request body once and keeps it for get_body_data.
func (r *request) body() []byte {
	if !r.bodyRead {
		r.bodyRead = true
		if r.r.Body != nil && r.r.Body != http.NoBody {
			b, err := io.ReadAll(io.LimitReader(r.r.Body, 64<<20))
			if err == nil {
				r.bodyData = b
			}
			r.bodyErr = err
		}
	}
	return r.bodyData
}

func ngxReqReadBody(L *lua.LState) int {
	r := outputRequestOf(L) // "API disabled in the context of ngx.timer"
	if r.bodyGone() {
		return 0
	}
	t := threadOf(L)
	rc := r.bodyCutter()
	t.block(L, func() { r.readBodyCuttable(rc, func() { r.body() }) })
	if t.ctx.Err() != nil { // killed meanwhile (ngx.exit in another thread): the body is dropped
		r.bodyErr = nil
		return 0
	}
	if err := r.bodyErr; err != nil {
		// nginx ends the request with 400, as ngx.exit(400) would
		r.bodyErr = nil
		r.logBodyError(err)
		L.SetTop(0)
		L.Push(lua.LNumber(http.StatusBadRequest))
		return ngxExit(L)
	}
	return 0
}

// logBodyError logs a failed read of the request body as nginx does.
func (r *request) logBodyError(err error) {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		r.sc.log.Log(errlog.Info, &r.logc, "client prematurely closed connection")
	} else {
		r.sc.log.Log(errlog.Err, &r.logc, "client sent invalid chunked body")
	}
}

func ngxReqDiscardBody(L *lua.LState) int {
	r := httpRequestOf(L)
	if !r.bodyRead && !r.bodyGone() {
		r.bodyRead = true
		if r.r.Body != nil {
			t := threadOf(L)
			t.block(L, func() { _, _ = io.Copy(io.Discard, r.r.Body) })
		}
	}
	return 0
}

func ngxReqGetBodyData(L *lua.LState) int {
	r := httpRequestOf(L)
	if !r.bodyRead || len(r.bodyData) == 0 || r.bodyFile != "" {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(r.bodyData))
	return 1
}

// ngx.req.set_header(name, value): a table's first value replaces the field, the others
// are added after the last field; nil or {} clears it (headerlist.go).
func ngxReqSetHeader(L *lua.LState) int {
	r := httpRequestOf(L)
	r.headersChanged = true
	name := escapeHeader(L.CheckString(1), true) // unsafe bytes %-escaped, as lua-nginx-module
	switch v := L.Get(2).(type) {
	case *lua.LNilType:
		r.setHeaderLine(name, "", true)
	case *lua.LTable:
		n := v.Len()
		if n == 0 {
			r.setHeaderLine(name, "", true)
		}
		for i := 1; i <= n; i++ {
			r.setHeaderLine(name, escapeHeader(luaToString(v.RawGetInt(i)), false), i == 1)
		}
	default:
		r.setHeaderLine(name, escapeHeader(luaToString(v), false), true)
	}
	if strings.EqualFold(name, "Content-Length") {
		r.limitBody()
	}
	return 0
}

// limitBody makes a body not read yet end at a Content-Length Lua lowered, as nginx reads
// only content_length_n bytes of it.
func (r *request) limitBody() {
	if r.bodyRead || r.r.Body == nil || r.r.ContentLength < 0 {
		return
	}
	r.r.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(r.r.Body, r.r.ContentLength), r.r.Body}
}

func ngxReqClearHeader(L *lua.LState) int {
	r := httpRequestOf(L)
	r.headersChanged = true
	r.setHeaderLine(escapeHeader(L.CheckString(1), true), "", true)
	return 0
}

// ngx.req.raw_header(no_request_line?): the request head as the client sent it; where the
// server did not follow the bytes (TLS, a subrequest), rebuilt with Go's canonical names.
func ngxReqRawHeader(L *lua.LState) int {
	r := httpRequestOf(L).r
	if head := rawHead(r); head != nil {
		if L.ToBool(1) {
			_, head, _ = bytes.Cut(head, []byte("\n"))
		}
		L.Push(lua.LString(head))
		return 1
	}
	var b strings.Builder
	if !L.ToBool(1) {
		b.WriteString(r.Method + " " + r.RequestURI + " " + r.Proto + "\r\n")
	}
	if r.Host != "" {
		b.WriteString("Host: " + r.Host + "\r\n")
	}
	_ = r.Header.Write(&b)
	b.WriteString("\r\n")
	L.Push(lua.LString(b.String()))
	return 1
}

func ngxReqStartTime(L *lua.LState) int {
	r := httpRequestOf(L)
	L.Push(lua.LNumber(float64(r.start.UnixMilli()) / 1000))
	return 1
}

func ngxReqIsInternal(L *lua.LState) int {
	r := httpRequestOf(L)
	L.Push(lua.LBool(r.internal != nil))
	return 1
}

// ngx.req.get_uri_args(max_args?): the query string decoded (default at most 100 args, 0 = all),
// and "truncated" as second value when cut.
func ngxReqGetURIArgs(L *lua.LState) int {
	r := httpRequestOf(L)
	max := L.OptInt(1, 100)
	t, trunc := ngxArgsDecodeTrunc(L, r.r.URL.RawQuery, max)
	L.Push(t)
	if trunc {
		r.argsLimitHit(max)
		L.Push(lua.LString("truncated"))
		return 2
	}
	return 1
}

// ngx.req.get_post_args(max_args?): the url-encoded body, after ngx.req.read_body().
func ngxReqGetPostArgs(L *lua.LState) int {
	r := httpRequestOf(L)
	if !r.bodyRead {
		L.RaiseError("request body not read yet")
	}
	max := L.OptInt(1, 100)
	t, trunc := ngxArgsDecodeTrunc(L, string(r.bodyData), max)
	L.Push(t)
	if trunc {
		r.argsLimitHit(max)
		L.Push(lua.LString("truncated"))
		return 2
	}
	return 1
}

// ngx.req.set_uri_args(args): the query string from a string or a table (as ngx.encode_args).
func ngxReqSetURIArgs(L *lua.LState) int {
	r := httpRequestOf(L)
	var q string
	switch v := L.Get(1).(type) {
	case lua.LString:
		q = string(v)
	case lua.LNumber:
		q = luaToString(v)
	case *lua.LTable:
		enc := L.GetField(L.GetGlobal("ngx"), "encode_args")
		L.Push(enc)
		L.Push(v)
		L.Call(1, 1)
		q = L.ToString(-1)
		L.Pop(1)
	default:
		argError(L, 1, "string, number, or table expected, but got "+v.Type().String())
	}
	r.r.URL.RawQuery, r.argsNil = q, false
	return 0
}

// ngx.req.set_uri(uri, jump?): rewrites the URI; jumping to another location is not
// supported outside the rewrite phase, as in OpenResty's content phase.
func ngxReqSetURI(L *lua.LState) int {
	r := httpRequestOf(L)
	uri := L.CheckString(1)
	if uri == "" {
		ngxStrError(L, 1, "attempt to use zero-length uri")
	}
	if L.GetTop() >= 3 {
		L.CheckTypes(3, lua.LTBool)
		if !L.ToBool(3) { // binary = false: control bytes are refused, as redirect URIs
			for i := 0; i < len(uri); i++ {
				if c := uri[i]; c < 0x20 || c == 0x7f {
					ngxStrError(L, 1, fmt.Sprintf("unsafe byte \"0x%02x\" in uri \"%s\" (maybe you want to set the 'binary' argument?)", c, escapeUnsafe(uri)))
				}
			}
		}
	}
	if L.ToBool(2) && r.phase != "rewrite" {
		ph := r.phase
		if ph == "" {
			ph = "content"
		}
		ngxStrError(L, 1, "API disabled in the context of "+contextName(ph))
	}
	r.r.URL.Path = uri
	r.r.URL.RawPath = ""
	if L.ToBool(2) { // the rewrite phase ends: an internal redirect to the new URI
		if r.sc.log.Enabled(errlog.Debug) {
			r.sc.log.Log(errlog.Debug, &r.logc, "lua set uri jump to \""+uri+"\"")
		}
		r.jump(L, uri)
	}
	return 0
}
