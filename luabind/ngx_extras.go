package luabind

import lua "github.com/yuin/gopher-lua"

// registerNgxExtras adds the request-independent libraries of ngx.* that live in their own
// files or packages.
func registerNgxExtras(L *lua.LState, ngx *lua.LTable) {
	registerNgxString(L, ngx)
	registerNgxArgs(L, ngx)
}
