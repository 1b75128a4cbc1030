package luabind

import (
	"net/http"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/lnull"
)

// sendHeaders writes the status line and headers (ngx.send_headers, or the first output).
func (r *request) sendHeaders() {
	if r.headersSent {
		return
	}
	r.headersSent = true
	h := r.w.Header()
	h["Server"] = []string{"luaws"}
	for _, f := range r.header.fields {
		h[f.name] = f.values
	}
	if r.header.index("Content-Type") < 0 {
		h["Content-Type"] = []string{r.host.cfg.DefaultType}
	}
	st := r.status
	if st == 0 {
		st = http.StatusOK
		r.status = st
	}
	r.w.WriteHeader(st)
}

// sendSpecial sends nginx's built-in response for a status (its error page for 3xx-5xx).
func (r *request) sendSpecial(status int) {
	r.status = status
	if status == http.StatusNoContent || status < 300 || status == http.StatusNotModified {
		r.sendHeaders()
		return
	}
	line := strconv.Itoa(status) + " " + statusText(status)
	body := "<html>\r\n<head><title>" + line + "</title></head>\r\n<body>\r\n<center><h1>" + line +
		"</h1></center>\r\n<hr><center>luaws</center>\r\n</body>\r\n</html>\r\n"
	r.header = respHeader{}
	r.header.set("Content-Type", []string{"text/html"})
	r.header.set("Content-Length", []string{strconv.Itoa(len(body))})
	r.sendHeaders()
	_, _ = r.w.Write([]byte(body))
}

// appendOutput appends ngx.say/ngx.print arguments: strings, numbers, booleans, nil, ngx.null
// and (nested) array tables of those.
func appendOutput(L *lua.LState, b []byte, v lua.LValue, arg int, fname string) []byte {
	switch v := v.(type) {
	case lua.LString:
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
		for i := 1; i <= n; i++ {
			b = appendOutput(L, b, v.RawGetInt(i), arg, fname)
		}
		return b
	case *lua.LUserData:
		if lnull.Is(L, v) {
			return append(b, "null"...)
		}
	}
	L.ArgError(arg, "string, number, boolean, nil, ngx.null, or array table expected, got "+v.Type().String())
	return b
}

func output(L *lua.LState, newline bool, fname string) int {
	r := requestOf(L)
	if r.hijacked && r.sock != nil {
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
	r.sendHeaders()
	if len(b) > 0 {
		if _, err := r.w.Write(b); err != nil {
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
	r := requestOf(L)
	if r.hijacked {
		L.Push(lua.LNil)
		L.Push(lua.LString("raw request socket acquired"))
		return 2
	}
	if r.eof {
		L.Push(lua.LNil)
		L.Push(lua.LString("seen eof"))
		return 2
	}
	r.sendHeaders()
	if err := http.NewResponseController(r.w).Flush(); err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("nginx output filter error"))
		return 2
	}
	L.Push(lua.LNumber(1))
	return 1
}

// ngx.eof(): no more output; the response completes when the handler ends.
func ngxEOF(L *lua.LState) int {
	r := requestOf(L)
	if r.eof {
		L.Push(lua.LNil)
		L.Push(lua.LString("seen eof"))
		return 2
	}
	if !r.hijacked {
		r.sendHeaders()
		_ = http.NewResponseController(r.w).Flush()
	}
	r.eof = true
	L.Push(lua.LNumber(1))
	return 1
}

func ngxSendHeaders(L *lua.LState) int {
	r := requestOf(L)
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
	r.exited = true
	r.exitStatus = status
	switch {
	case r.hijacked:
	case status == 444:
		r.abortConn()
	case !r.headersSent && status >= 200:
		r.sendSpecial(status)
	case !r.headersSent && status == 0:
		r.sendHeaders()
	case status == -1: // ngx.ERROR: nginx drops the connection
		r.abortConn()
	}
	r.killAll()
	L.RaiseError("%s", errExit.Error())
	return 0
}
