package luajit

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// newState is a gopher-lua state as the host builds one, plus Open.
func newState(t testing.TB) *lua.LState {
	t.Helper()
	L := lua.NewState()
	Open(L)
	t.Cleanup(L.Close)
	return L
}

// run translates src, compiles it as chunk "test" and returns its results joined by
// "|", each through LuaJIT-style tostring. A compile or runtime error is returned as text
// prefixed "ERR ".
func run(t testing.TB, L *lua.LState, src string) string {
	t.Helper()
	out, err := Translate("test", []byte(src))
	if err != nil {
		return "ERR " + err.Error()
	}
	chunk, err := parse.Parse(strings.NewReader(string(out)), "test")
	if err != nil {
		return "ERR " + err.Error()
	}
	proto, err := Compile(chunk, "test")
	if err != nil {
		return "ERR " + err.Error()
	}
	top := L.GetTop()
	L.Push(NewFunction(L, proto))
	if err := L.PCall(0, lua.MultRet, nil); err != nil {
		L.SetTop(top)
		if ae, ok := err.(*lua.ApiError); ok {
			return "ERR " + tostring(L, ae.Object)
		}
		return "ERR " + err.Error()
	}
	var res []string
	last := L.GetTop()
	for last > top && L.Get(last) == lua.LNil {
		last-- // as LuaJIT's table.maxn in the reference harness
	}
	for i := top + 1; i <= last; i++ {
		res = append(res, tostring(L, L.Get(i)))
	}
	L.SetTop(top)
	return strings.Join(res, "|")
}
