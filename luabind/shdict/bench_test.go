package shdict

import (
	"strings"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// benchLoop compiles a Lua function looping n times over body (which sees d and i) in a
// state bound to env's registry.
func benchLoop(b *testing.B, env *testEnv, body string) (*lua.LState, *lua.LFunction) {
	b.Helper()
	var out strings.Builder
	L := env.state(&out)
	L.SetGlobal("noop", L.NewFunction(func(L *lua.LState) int { L.Push(L.Get(2)); return 1 }))
	if err := L.DoString(`
		local d = ngx.shared.dogs
		d:set("key", "a cached string value")
		return function(n) for i = 1, n do ` + body + ` end end`); err != nil {
		b.Fatal(err)
	}
	fn := L.Get(-1).(*lua.LFunction)
	L.Pop(1)
	return L, fn
}

func runLoop(b *testing.B, L *lua.LState, fn *lua.LFunction, n int) {
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 0, Protect: true}, lua.LNumber(n)); err != nil {
		b.Fatal(err)
	}
}

// Lua-side costs: a method call to a Go function that does nothing is the floor.
func BenchmarkLuaNoopCall(b *testing.B) {
	L, fn := benchLoop(b, newTestEnv(b), `noop(d, "key")`)
	defer L.Close()
	b.ReportAllocs()
	b.ResetTimer()
	runLoop(b, L, fn, b.N)
}

func BenchmarkLuaGet(b *testing.B) {
	L, fn := benchLoop(b, newTestEnv(b), `d:get("key")`)
	defer L.Close()
	b.ReportAllocs()
	b.ResetTimer()
	runLoop(b, L, fn, b.N)
}

func BenchmarkLuaSet(b *testing.B) {
	L, fn := benchLoop(b, newTestEnv(b), `d:set("key", "a cached string value")`)
	defer L.Close()
	b.ReportAllocs()
	b.ResetTimer()
	runLoop(b, L, fn, b.N)
}

func BenchmarkLuaIncr(b *testing.B) {
	L, fn := benchLoop(b, newTestEnv(b), `d:incr("n", 1, 0)`)
	defer L.Close()
	b.ReportAllocs()
	b.ResetTimer()
	runLoop(b, L, fn, b.N)
}

// Go-side: the dict core without Lua, and the baseline the brief asks for, a plain
// sync.Mutex + map.
func BenchmarkDictGet(b *testing.B) {
	d := newTestEnv(b).reg.Get("dogs")
	d.store(0, "key", lua.LString("a cached string value"), 0, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.get("key", false)
	}
}

func BenchmarkDictSet(b *testing.B) {
	d := newTestEnv(b).reg.Get("dogs")
	v := lua.LValue(lua.LString("a cached string value"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.store(0, "key", v, 0, 0)
	}
}

type nativeMap struct {
	mu sync.Mutex
	m  map[string]string
}

func (n *nativeMap) get(k string) (string, bool) {
	n.mu.Lock()
	v, ok := n.m[k]
	n.mu.Unlock()
	return v, ok
}

func (n *nativeMap) set(k, v string) {
	n.mu.Lock()
	n.m[k] = v
	n.mu.Unlock()
}

func BenchmarkNativeGet(b *testing.B) {
	n := &nativeMap{m: map[string]string{"key": "a cached string value"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		n.get("key")
	}
}

func BenchmarkNativeSet(b *testing.B) {
	n := &nativeMap{m: map[string]string{}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		n.set("key", "a cached string value")
	}
}

// Contention: every goroutine has its own state and hits the same dict (and key).
func BenchmarkLuaGetParallel(b *testing.B) {
	env := newTestEnv(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		L, fn := benchLoop(b, env, `d:get("key")`)
		defer L.Close()
		for pb.Next() {
			runLoop(b, L, fn, 100)
		}
	})
}

func BenchmarkNativeGetParallel(b *testing.B) {
	n := &nativeMap{m: map[string]string{"key": "a cached string value"}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for i := 0; i < 100; i++ {
				n.get("key")
			}
		}
	})
}
