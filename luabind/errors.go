package luabind

import (
	"fmt"
	"runtime/debug"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
)

// luaError raises msg as lua-nginx-module's C functions do with luaL_error from a Go
// function called by Lua code: with no position prefix when the API is reached through
// lua-resty-core's wrappers (which is how OpenResty 1.21+ reports most ngx.* errors).
func luaError(L *lua.LState, format string, args ...any) {
	L.Error(lua.LString(fmt.Sprintf(format, args...)), 0)
}

// argError raises LuaJIT's "bad argument #n to '?' (msg)" without a position.
func argError(L *lua.LState, n int, msg string) {
	luaError(L, "bad argument #%d to '?' (%s)", n, msg)
}

// survive keeps a panic in a request's goroutine (a bug of luaws, not of the script: Lua errors
// are caught by PCall) from taking the process down: it is logged at alert and the request's
// connection is closed. Use as `defer r.survive("what")`.
func (r *request) survive(what string) {
	p := recover()
	if p == nil {
		return
	}
	r.sc.log.Log(errlog.Alert, &r.logc, fmt.Sprintf("luaws: %s: panic: %v\n%s", what, p, debug.Stack()))
	if r.conn != nil {
		_ = r.conn.Close()
	}
	if r.cancel != nil {
		r.cancel()
	}
}
