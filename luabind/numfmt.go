package luabind

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/luajit"
)

// fmtNumber formats a number as LuaJIT's tostring does ("%.14g", ties rounded away from
// zero, "nan", "inf", "-0").
func fmtNumber(f float64) string { return luajit.FormatNumber(f) }

// luaToString converts a value the way lua_tolstring would for output: strings as they are,
// numbers as "%.14g"; other values with tostring.
func luaToString(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return fmtNumber(float64(v))
	case lua.LBool:
		if v {
			return "true"
		}
		return "false"
	case *lua.LNilType:
		return "nil"
	}
	return v.String()
}
