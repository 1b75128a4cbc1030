package luabind

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
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
