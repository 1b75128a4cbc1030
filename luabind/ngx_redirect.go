package luabind

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// ngx.redirect, ngx.req.set_method, ngx.req.set_body_data and ngx.req.set_body_file, as
// lua-nginx-module 0.10.23 with lua-resty-core 0.1.25 behave (checked against Debian's
// nginx: compat/core/redirect.lua).

func init() {
	ngxFuncs["redirect"] = ngxRedirect
	ngxReqFuncs["set_method"] = ngxReqSetMethod
	ngxReqFuncs["set_body_data"] = ngxReqSetBodyData
	ngxReqFuncs["set_body_file"] = ngxReqSetBodyFile
}

// redirectStatuses are the statuses ngx.redirect accepts.
var redirectStatuses = map[int]bool{301: true, 302: true, 303: true, 307: true, 308: true}

// ngx.redirect(uri, status?): Location is uri as given, and the request ends as
// ngx.exit(status) ends it (nginx's page for the status).
func ngxRedirect(L *lua.LState) int {
	r := outputRequestOf(L)
	uri := L.CheckString(1)
	status := http.StatusFound
	if L.GetTop() >= 2 {
		status = L.CheckInt(2)
		if !redirectStatuses[status] {
			ngxStrError(L, 1, "only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, "+
				"ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed")
		}
	}
	if r.headersSent {
		ngxStrError(L, 1, "attempt to call ngx.redirect after sending out the headers")
	}
	for i := 0; i < len(uri); i++ {
		if c := uri[i]; c < 0x20 || c == 0x7f {
			ngxStrError(L, 1, fmt.Sprintf("unsafe byte \"0x%02x\" in redirect uri \"%s\"", c, escapeUnsafe(uri)))
		}
	}
	r.header.set("Location", []string{uri})
	L.SetTop(0)
	L.Push(lua.LNumber(status))
	return ngxExit(L)
}

// escapeUnsafe writes control bytes as lua-nginx-module's error messages do: \xHH.
func escapeUnsafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, "\\x%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ngx.req.set_method(ngx.HTTP_*): the request's method ($request_method, get_method).
func ngxReqSetMethod(L *lua.LState) int {
	r := httpRequestOf(L)
	n, ok := L.Get(1).(lua.LNumber)
	if !ok {
		ngxStrError(L, 1, "bad method number")
	}
	name, ok := methodNames[int(n)]
	if !ok {
		ngxStrError(L, 1, "unsupported HTTP method: "+luaToString(n))
	}
	r.r.Method = name
	return 0
}

// ngx.req.set_body_data(data): the request body replaced, after ngx.req.read_body; its
// Content-Length follows.
func ngxReqSetBodyData(L *lua.LState) int {
	r := httpRequestOf(L)
	if !r.bodyRead {
		luaError(L, "request body not read yet")
	}
	data := L.CheckString(1)
	r.replaceBody([]byte(data))
	return 0
}

// ngx.req.set_body_file(path, auto_clean?): the request body is the file's content, read
// now (luaws keeps bodies in memory; as under nginx get_body_data returns nil and
// get_body_file the path); auto_clean removes the file once read.
func ngxReqSetBodyFile(L *lua.LState) int {
	r := httpRequestOf(L)
	if !r.bodyRead {
		luaError(L, "request body not read yet")
	}
	path := L.CheckString(1)
	data, err := os.ReadFile(path)
	if err != nil {
		luaError(L, "stat() \"%s\" failed", path)
	}
	if L.ToBool(2) {
		r.cleanFiles = append(r.cleanFiles, path) // removed when the request ends
	}
	r.replaceBody(data)
	r.bodyFile = path
	return 0
}

// replaceBody makes data the request's body, as finish_body does.
func (r *request) replaceBody(data []byte) {
	r.bodyData, r.bodyFile = data, ""
	r.setHeaderLine("Content-Length", strconv.Itoa(len(data)), true)
	r.headersChanged = true
}
