package luabind

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/internal/errpage"
	"github.com/luaws/luaws/luabind/lnull"
	"github.com/luaws/luaws/luabind/luajit"
)

// sendHeaders writes the status line and headers (ngx.send_headers, or the first output).
//
// Like nginx (postpone_output 1460), the header and small output wait in r.pending until
// 1460 bytes are pending, ngx.flush, or the end of the request: ngx.exit(444) after a little
// output still closes the connection with nothing sent.
func (r *request) sendHeaders() {
	if r.headersSent {
		return
	}
	if r.hfilter != nil && r.status == 0 {
		r.status = http.StatusOK // what the filter sees as ngx.status
	}
	if !r.headerFilter() {
		return
	}
	r.headersSent = true
	r.headerPending = true
}

// postponeOutput is nginx's postpone_output default.
const postponeOutput = 1460

// flushOut writes the pending header and output to net/http (or, for an HTTP/1.0 client,
// to the raw connection: see rawHead).
func (r *request) flushOut() error {
	if r.headerPending {
		r.headerPending = false
		if r.w == nil {
			return nil
		}
		if r.r.ProtoMajor == 1 && r.r.ProtoMinor == 0 {
			if err := r.rawHead(-1); err != nil {
				return err
			}
		} else {
			r.writeHeader()
		}
	}
	if len(r.pending) == 0 {
		return nil
	}
	if r.r != nil && r.r.Method == http.MethodHead { // a HEAD response has no body (HTTP/1.0's raw one too)
		r.pending = r.pending[:0]
		return nil
	}
	var err error
	switch {
	case r.rawOut != nil:
		_ = r.rawOut.SetWriteDeadline(deadline(defaultSocketTimeout))
		var n int
		n, err = r.rawOut.Write(r.pending)
		r.rawBytes += int64(n)
	case r.w != nil:
		_, err = r.w.Write(r.pending)
	}
	r.pending = r.pending[:0]
	return err
}

// rawHead answers an HTTP/1.0 client as nginx does, which net/http cannot: an HTTP/1.1
// status line, no chunked encoding, the body delimited by closing the connection (or by
// contentLength, when it is known: >= 0).
func (r *request) rawHead(contentLength int) error {
	token := ServerTokenOf(r.w)
	finisher, _ := findWriter[HeadFinisher](r.w)
	conn, buffered, err := r.hijack()
	if err != nil {
		r.writeHeader()
		return nil
	}
	r.rawOut = conn
	if !r.bodyRead && r.r.ContentLength > 0 { // the body stays readable, from the connection
		r.r.Body = io.NopCloser(io.LimitReader(io.MultiReader(bytes.NewReader(buffered), conn), r.r.ContentLength))
		r.rawBody = true
	}
	st := r.status
	if st == 0 {
		st = http.StatusOK
		r.status = st
	}
	// the head in nginx's order: Server, Date, Content-Type, Content-Length, the handler's
	var hd orderedHead
	hd.add("Server", token)
	hd.add("Date", time.Now().UTC().Format(http.TimeFormat))
	if ct := r.header.get("Content-Type"); len(ct) > 0 {
		hd.add("Content-Type", ct...)
	} else {
		hd.add("Content-Type", r.sc.defaultType)
	}
	if contentLength >= 0 {
		hd.add("Content-Length", strconv.Itoa(contentLength))
	} else {
		hd.add("Content-Length", r.header.get("Content-Length")...)
	}
	for _, f := range r.header.fields {
		if k := http.CanonicalHeaderKey(f.name); k != "Content-Type" && k != "Content-Length" && k != "Connection" {
			hd.add(k, f.values...)
		}
	}
	hd.finish(finisher, st) // headers-more, server_tokens
	b := append(make([]byte, 0, 256), "HTTP/1.1 "+strconv.Itoa(st)+" "+nginxReason(st)+"\r\n"...)
	b = hd.appendFields(b, "Connection")
	b = append(b, "Connection: close\r\n\r\n"...)
	_ = conn.SetWriteDeadline(deadline(defaultSocketTimeout))
	n, err := conn.Write(b)
	r.rawBytes, r.rawHeadLen = r.rawBytes+int64(n), int64(len(b))
	return err
}

func (r *request) writeHeader() {
	h := r.w.Header()
	h["Server"] = []string{ServerTokenOf(r.w)}
	for _, f := range r.header.fields {
		// canonical keys: net/http looks headers up that way (a "content-type" key would not
		// stop it from adding a Content-Type of its own)
		h[http.CanonicalHeaderKey(f.name)] = f.values
	}
	if r.header.index("Content-Type") < 0 {
		h["Content-Type"] = []string{r.sc.defaultType}
	}
	if r.internal != nil && r.internal.sub {
		r.captureNames()
	}
	if len(r.vars) > 0 {
		r.varsToHeaderFilter()
	}
	st := r.status
	if st == 0 {
		st = http.StatusOK
		r.status = st
	}
	if r.internal == nil {
		Unsized(h, st)
	}
	r.w.WriteHeader(st)
}

// Unsized marks a response whose length its header does not give as nginx sends one:
// chunked to an HTTP/1.1 client (net/http would count a short body and add a
// Content-Length), and for HTTP/1.0 no length and the connection closed after it (net/http
// does that itself for a chunked response to 1.0). Responses without a body are left alone.
func Unsized(h http.Header, status int) {
	if _, ok := h["Content-Length"]; ok || status < 200 || status == http.StatusNoContent || status == http.StatusNotModified {
		return
	}
	if _, ok := h["Transfer-Encoding"]; !ok {
		h["Transfer-Encoding"] = []string{"chunked"}
	}
}

// sendSpecial sends nginx's built-in response for a status (its error page for 3xx-5xx).
//
// It is written on the raw connection, as nginx writes it: an HTTP/1.1 status line with
// nginx's reason phrase whatever the request's version, and "Connection: close". 408 closes
// the connection without a response, as nginx does.
func (r *request) sendSpecial(status int) {
	r.status = status
	if !r.headerFilter() {
		return
	}
	if status == http.StatusNoContent || status < 300 || status == http.StatusNotModified {
		r.sendHeaders()
		return
	}
	if status == http.StatusRequestTimeout {
		r.abortConn()
		return
	}
	if r.specialByHook(status) || r.captureSpecial(status) {
		return
	}
	token := ServerTokenOf(r.w)
	body, page := errpage.BodyBy(status, token)
	filtered := body
	if r.bf != nil && r.r.Method != http.MethodHead {
		// the page is one piece, marked last; the header (its Content-Length) is the page's
		out, _, ok := r.filterBody([]byte(body), true)
		if !ok {
			r.abortConn()
			return
		}
		filtered = string(out)
	}
	location := r.header.get("Location")
	if !hasSentHook(r.r.Context()) { // nginx mode counts it through reportSent instead
		recordResponse(r.w, status, len(body))
	}
	finisher, _ := findWriter[HeadFinisher](r.w)
	conn, _, err := r.hijack()
	if err != nil { // not a hijackable connection (a test recorder): net/http writes it
		r.header = respHeader{}
		if page {
			r.header.set("Content-Type", []string{"text/html"})
		}
		r.header.set("Content-Length", []string{strconv.Itoa(len(body))})
		r.sendHeaders()
		_, _ = r.w.Write([]byte(filtered))
		return
	}
	loc := ""
	if len(location) > 0 {
		loc = location[0]
	}
	head := r.r.Method == http.MethodHead
	b := errpage.ResponseWith(status, token, time.Now(), loc, head, r.pageHeaders())
	headLen := len(b)
	if !head {
		headLen -= len(body)
	}
	if finisher != nil { // headers-more, server_tokens
		fixed := finishRawHead(b[:headLen], finisher, status)
		b, headLen = append(fixed, b[headLen:]...), len(fixed)
	}
	if !head {
		b = append(b[:headLen:headLen], filtered...)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(defaultSocketTimeout))
	n, _ := conn.Write(b)
	r.rawBytes, r.rawHeadLen = r.rawBytes+int64(n), int64(headLen)
	_ = conn.Close()
}

// pageHeaders are the headers Lua set that nginx sends with its page for a status (it
// replaces the type and length, and drops the validators).
// orderedHead is a response head luaws writes itself: its fields by name, in the order
// their names first came.
type orderedHead struct {
	h     http.Header
	order []string
}

// add appends values to the field name (canonical); no values, no field.
func (o *orderedHead) add(name string, values ...string) {
	if len(values) == 0 {
		return
	}
	if o.h == nil {
		o.h = http.Header{}
	}
	if _, seen := o.h[name]; !seen {
		o.order = append(o.order, name)
	}
	o.h[name] = append(o.h[name], values...)
}

// finish runs f (nil: none) over the head: the fields it adds come last, by name.
func (o *orderedHead) finish(f HeadFinisher, status int) {
	if f == nil {
		return
	}
	if o.h == nil {
		o.h = http.Header{}
	}
	f.FinishHead(o.h, status)
	var added []string
	for k := range o.h {
		if !slices.Contains(o.order, k) {
			added = append(added, k)
		}
	}
	sort.Strings(added)
	o.order = append(o.order, added...)
}

// appendFields writes the fields ("Name: value" lines), leaving out the field skip.
func (o *orderedHead) appendFields(b []byte, skip string) []byte {
	for _, k := range o.order {
		if k == skip {
			continue
		}
		for _, v := range o.h[k] {
			b = append(b, k+": "+v+"\r\n"...)
		}
	}
	return b
}

// finishRawHead runs a HeadFinisher over a response head luaws wrote itself (errpage's):
// the fields keep their order, those it adds come last.
func finishRawHead(head []byte, f HeadFinisher, status int) []byte {
	statusLine, rest, _ := bytes.Cut(head, []byte("\r\n"))
	var hd orderedHead
	for _, l := range bytes.Split(rest, []byte("\r\n")) {
		if name, value, ok := bytes.Cut(l, []byte(": ")); ok {
			hd.add(http.CanonicalHeaderKey(string(name)), string(value))
		}
	}
	hd.finish(f, status)
	out := append(append(make([]byte, 0, len(head)+64), statusLine...), "\r\n"...)
	return append(hd.appendFields(out, ""), "\r\n"...)
}

func (r *request) pageHeaders() []string {
	var out []string
	for _, f := range r.header.fields {
		switch strings.ToLower(f.name) {
		case "content-type", "content-length", "location", "last-modified", "etag",
			"accept-ranges", "transfer-encoding", "connection":
			continue
		}
		for _, v := range f.values {
			out = append(out, http.CanonicalHeaderKey(f.name)+": "+v)
		}
	}
	return out
}

// recordResponse tells the server's access log about a response written on the raw
// connection (a writer with RecordResponse, possibly under wrappers with Unwrap).
func recordResponse(w http.ResponseWriter, status, bodyBytes int) {
	for w != nil {
		if rec, ok := w.(interface{ RecordResponse(int, int64) }); ok {
			rec.RecordResponse(status, int64(bodyBytes))
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// nginxReason is nginx's reason phrase for a status (ngx_http_status_lines).
func nginxReason(status int) string {
	if r := errpage.Reason(status); r != "" {
		return r
	}
	return http.StatusText(status) // "" for a code nginx has no line for, as nginx leaves it
}

// appendOutput appends ngx.say/ngx.print arguments: strings, numbers, booleans, nil, ngx.null
// and (nested) array tables of those.
func appendOutput(L *lua.LState, b []byte, v lua.LValue, arg int, fname string) []byte {
	switch v := v.(type) {
	case lua.LString:
		if luajit.BufferTooBig(L, int64(len(b)+len(v))) {
			luaError(L, "no memory") // lua-nginx-module's word when its buffer cannot be had
		}
		return append(b, v...)
	case lua.LNumber:
		f := float64(v)
		if f == 0 {
			return append(b, '0') // ngx.say(-0.0) prints 0
		}
		return append(b, fmtNumber(f)...)
	case lua.LBool:
		if v {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case *lua.LNilType:
		return append(b, "nil"...)
	case *lua.LTable:
		n := v.Len()
		v.ForEach(func(k, _ lua.LValue) {
			if f, ok := k.(lua.LNumber); !ok || f < 1 || float64(f) != float64(int(f)) || int(f) > n {
				argError(L, arg, "non-array table found")
			}
		})
		for i := 1; i <= n; i++ {
			b = appendOutput(L, b, v.RawGetInt(i), arg, fname)
		}
		return b
	case *lua.LUserData:
		if lnull.Is(L, v) {
			return append(b, "null"...)
		}
	}
	argError(L, arg, "string, number, boolean, nil, ngx.null, or array table expected, but got "+v.Type().String())
	return b
}

func output(L *lua.LState, newline bool, fname string) int {
	r := outputRequestOf(L)
	if r.hijacked && r.rawOut == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("raw request socket acquired"))
		return 2
	}
	if r.eof {
		L.Push(lua.LNil)
		L.Push(lua.LString("seen eof"))
		return 2
	}
	var b []byte
	for i := 1; i <= L.GetTop(); i++ {
		b = appendOutput(L, b, L.Get(i), i, fname)
	}
	if newline {
		b = append(b, '\n')
	}
	if r.headersSent && r.r.Method == http.MethodHead { // nginx's r->header_only, once the header is out
		L.Push(lua.LNil)
		L.Push(lua.LString("header only"))
		return 2
	}
	r.sendHeaders()
	if r.bf != nil {
		out, _, ok := r.filterBody(b, false)
		if !ok {
			L.Push(lua.LNil)
			L.Push(lua.LString("nginx output filter error"))
			return 2
		}
		b = out
	}
	r.pending = append(r.pending, b...)
	if len(r.pending) >= postponeOutput {
		if err := r.flushOut(); err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString("nginx output filter error"))
			return 2
		}
	}
	L.Push(lua.LNumber(1))
	return 1
}

func ngxSay(L *lua.LState) int   { return output(L, true, "say") }
func ngxPrint(L *lua.LState) int { return output(L, false, "print") }

// ngx.flush(wait): pushes buffered output to the client.
func ngxFlush(L *lua.LState) int {
	r := outputRequestOf(L)
	if r.hijacked && r.rawOut == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("raw request socket acquired"))
		return 2
	}
	if r.eof {
		L.Push(lua.LNil)
		L.Push(lua.LString("seen eof"))
		return 2
	}
	headerOnly := r.headersSent && r.r.Method == http.MethodHead
	r.sendHeaders()
	if r.bf != nil { // the flush goes through the body filter as an empty piece
		out, _, ok := r.filterBody(nil, false)
		if !ok {
			L.Push(lua.LNil)
			L.Push(lua.LString("nginx output filter error"))
			return 2
		}
		r.pending = append(r.pending, out...)
	}
	err := r.flushOut()
	if err == nil && r.rawOut == nil && r.w != nil {
		err = http.NewResponseController(r.w).Flush()
	}
	if err == nil && headerOnly { // nginx's r->header_only, once the header is out
		L.Push(lua.LNil)
		L.Push(lua.LString("header only"))
		return 2
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("nginx output filter error"))
		return 2
	}
	L.Push(lua.LNumber(1))
	return 1
}

// ngx.eof(): no more output; the response completes when the handler ends.
func ngxEOF(L *lua.LState) int {
	r := outputRequestOf(L)
	if r.eof {
		L.Push(lua.LNil)
		L.Push(lua.LString("seen eof"))
		return 2
	}
	if !r.hijacked {
		r.sendHeaders()
		if r.bf != nil && !r.bf.sawEOF { // the end of the body goes through the body filter
			out, _, ok := r.filterBody(nil, true)
			r.pending = append(r.pending, out...)
			if !ok {
				r.eof = true
				L.Push(lua.LNil)
				L.Push(lua.LString("nginx output filter error"))
				return 2
			}
		}
		if r.bf != nil && (r.bf.failed || r.bf.truncated) {
			// the body does not end here: the connection is cut, or the client waits
		} else if r.headerPending && r.w != nil {
			// Nothing went out yet, so the whole response is known: complete it now, as
			// nginx does at eof, so the client has it while the handler goes on working. The
			// connection stays open until the request ends (finish closes it), as nginx's.
			r.headerPending = false
			if err := r.rawHead(len(r.pending)); err == nil && r.rawOut != nil && r.r.Method != http.MethodHead {
				n, _ := r.rawOut.Write(r.pending)
				r.rawBytes += int64(n)
			}
			r.pending = nil
		} else if r.flushOut() == nil && r.rawOut == nil && r.w != nil {
			_ = http.NewResponseController(r.w).Flush()
		}
	}
	r.eof = true
	L.Push(lua.LNumber(1))
	return 1
}

func ngxSendHeaders(L *lua.LState) int {
	r := outputRequestOf(L)
	if r.headersSent {
		L.Push(lua.LNil)
		L.Push(lua.LString("header already sent"))
		return 2
	}
	r.sendHeaders()
	L.Push(lua.LNumber(1))
	return 1
}

// ngx.exit(status) ends the request; it does not return. 444 closes the connection without a
// response; a status of 200 or more before the headers went out sends that response; after
// a websocket upgrade it ends the handler and closes the connection.
func ngxExit(L *lua.LState) int {
	r := requestOf(L)
	status := L.CheckInt(1)
	switch r.phase {
	case "body_filter", "log", "set":
		ngxStrError(L, 1, "API disabled in the context of "+contextName(r.phase))
	case "balancer": // the proxy decides what the exit means (balancer.go)
		r.exited, r.exitStatus = true, status
		L.RaiseError("%s", errExit.Error())
	}
	if r.r == nil { // a timer or a script run outside of any request: just stop
		r.exited = true
		r.exitStatus = status
		r.killAll()
		L.RaiseError("%s", errExit.Error())
	}
	if r.noAbort > 0 && status != -1 && status != 444 && status != 408 && status != 499 {
		ngxStrError(L, 1, "attempt to abort with pending subrequests")
	}
	if r.headersSent && !r.hijacked && status >= 300 && status != 408 && status != 499 && status != 444 {
		if st := r.status; status != st {
			if st == 0 {
				st = http.StatusOK
			}
			r.sc.log.Log(errlog.Err, &r.logc, "attempt to set status "+strconv.Itoa(status)+
				" via ngx.exit after sending out the response status "+strconv.Itoa(st))
		}
		status = http.StatusOK // lua-nginx-module ends the request normally
	}
	r.exited = true
	r.exitStatus = status
	switch {
	case r.hijacked:
	case status == 444:
		r.abortConn()
	case !r.headersSent && status >= 200:
		r.sendSpecial(status)
	case !r.headersSent && status == 0 && (r.phase == "" || r.phase == "content"):
		r.sendHeaders() // in rewrite/access, ngx.exit(ngx.OK) goes on to the next phase
	case status == -1: // ngx.ERROR: nginx drops the connection
		r.abortConn()
	}
	r.killAll()
	L.RaiseError("%s", errExit.Error())
	return 0
}
