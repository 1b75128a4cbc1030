package luabind

import (
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// ngx.req.init_body / append_body / finish_body / get_body_file: writing a new request
// body from Lua (lua-resty-upload's preserve_body does, after reading the original through
// ngx.req.socket()). luaws keeps request bodies in memory, so get_body_file is nil but after set_body_file.

func init() {
	ngxReqFuncs["init_body"] = ngxReqInitBody
	ngxReqFuncs["append_body"] = ngxReqAppendBody
	ngxReqFuncs["finish_body"] = ngxReqFinishBody
	ngxReqFuncs["get_body_file"] = ngxReqGetBodyFile
}

// newBody is the body init_body started and append_body fills; finish_body makes it the
// request's body (what get_body_data returns).
type newBody struct {
	data []byte
}

func ngxReqInitBody(L *lua.LState) int {
	if n := L.GetTop(); n > 1 {
		luaError(L, "expecting 0 or 1 argument but seen %d", n)
	}
	r := httpRequestOf(L)
	if !r.bodyRead {
		luaError(L, "request body not read yet")
	}
	if L.GetTop() == 1 {
		if n := L.CheckInt(1); n < 0 {
			luaError(L, "bad size argument: %s", strconv.Itoa(n))
		}
	}
	r.newBody = &newBody{}
	r.bodyData = nil
	return 0
}

func ngxReqAppendBody(L *lua.LState) int {
	if n := L.GetTop(); n != 1 {
		luaError(L, "expecting 1 arguments but seen %d", n)
	}
	s := L.CheckString(1)
	r := httpRequestOf(L)
	if r.newBody == nil {
		luaError(L, "request_body not initialized")
	}
	r.newBody.data = append(r.newBody.data, s...)
	return 0
}

func ngxReqFinishBody(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		luaError(L, "expecting 0 argument but seen %d", n)
	}
	r := httpRequestOf(L)
	if r.newBody == nil {
		luaError(L, "request_body not initialized")
	}
	r.bodyData = r.newBody.data
	r.bodyRead = true
	if r.r != nil {
		r.replaceBody(r.bodyData)
	}
	return 0
}

func ngxReqGetBodyFile(L *lua.LState) int {
	if n := L.GetTop(); n != 0 {
		luaError(L, "expecting 0 arguments but seen %d", n)
	}
	if r := httpRequestOf(L); r.bodyFile != "" {
		L.Push(lua.LString(r.bodyFile))
		return 1
	}
	L.Push(lua.LNil)
	return 1
}
