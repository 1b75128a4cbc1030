package luajit

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestStringRep(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{`return string.rep("a", 3, ",")`, "a,a,a"},
		{`return string.rep("ab", 2)`, "abab"},
		{`return string.rep("a", 0, ",")`, ""},
		{`return string.rep("a", -1)`, ""},
		{`return string.rep(1/3, 1)`, "0.33333333333333"},
		{`return ("x"):rep(2, "-")`, "x-x"},
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
