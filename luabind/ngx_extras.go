package luabind

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/ngxre"
)

// registerNgxExtras adds the request-independent libraries of ngx.* that live in their own
// files or packages. It returns the state's time cache.
func registerNgxExtras(L *lua.LState, ngx *lua.LTable) *ngxTimeCache {
	registerNgxString(L, ngx)
	registerNgxArgs(L, ngx)
	clock := registerNgxTime(L, ngx)
	ngxre.Register(L, ngx)
	ngxre.Preload(L)
	return clock
}
