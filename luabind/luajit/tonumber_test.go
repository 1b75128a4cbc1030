package luajit

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestToNumber: LuaJIT's scanner (values printed by nginx's LuaJIT, see compat/core).
func TestToNumber(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{`return tostring(tonumber("1e2"))`, "100"},
		{`return tostring(tonumber(" 2.5E1 "))`, "25"},
		{`return tostring(tonumber("inf"))`, "inf"},
		{`return tostring(tonumber("-inf"))`, "-inf"},
		{`return tostring(tonumber("0x10"))`, "16"},
		{`return tostring(tonumber("10", 2))`, "2"},
		{`return tostring(tonumber("1e"))`, "nil"},
		{`return tostring(tonumber("abc"))`, "nil"},
		{`return tostring(tonumber(""))`, "nil"},
		{`return tostring(tonumber(7))`, "7"},
		{`return tostring(tonumber(nil))`, "nil"},
	} {
		L := lua.NewState()
		Open(L)
		if err := L.DoString(tc.code); err != nil {
			t.Errorf("%s: %v", tc.code, err)
		} else if got := L.Get(-1).String(); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.code, got, tc.want)
		}
		L.Close()
	}
}
