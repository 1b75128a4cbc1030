package luabind

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"

	"github.com/luaws/luaws/luabind/ngxre"
)

// registerNgxExtras adds the request-independent libraries of ngx.* that live in their own
// files or packages. It returns the state's time cache.
func registerNgxExtras(L *lua.LState, ngx *lua.LTable, h *Host) *ngxTimeCache {
	registerNgxString(L, ngx)
	registerNgxArgs(L, ngx)
	clock := registerNgxTime(L, ngx)
	// nginx writes template errors to the cycle's log, with no request context
	ngxre.Register(L, ngx, func(msg string) { h.log.Log(errlog.Err, nil, msg) })
	ngxre.Preload(L)
	return clock
}
