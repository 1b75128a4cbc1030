// Package lnull holds the one NULL value that ngx.null, cjson.null and every other
// library of a Lua state share, so that `cjson.null == ngx.null` holds as under OpenResty.
package lnull

import lua "github.com/yuin/gopher-lua"

const registryKey = "luaws.null"

// Get returns the state's NULL light userdata, creating it on first use. The value lives in
// the registry, which every thread of the state shares.
func Get(L *lua.LState) *lua.LUserData {
	if ud, ok := L.G.Registry.RawGetString(registryKey).(*lua.LUserData); ok {
		return ud
	}
	ud := L.NewUserData()
	mt := L.NewTable()
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("userdata: NULL"))
		return 1
	}))
	ud.Metatable = mt
	L.G.Registry.RawSetString(registryKey, ud)
	return ud
}

// Is reports whether v is the state's NULL value.
func Is(L *lua.LState, v lua.LValue) bool {
	return v == lua.LValue(Get(L))
}
