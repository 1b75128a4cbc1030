package luajit

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// BenchmarkConcatVM compares, in one run, gopher-lua's own compilation ("vm", lua.Compile)
// with the rewritten chunk ("luajit", Compile) on the same loop: concatenations, and for
// loops whose limit is a variable.
//
//	go test ./luabind/luajit -run '^$' -bench ConcatVM -count 10 | benchstat -col /compile -
func BenchmarkConcatVM(b *testing.B) {
	loops := []struct{ name, src string }{
		{"string-var", `local N, x, s = ... for i = 1, N do s = "key=" .. x .. ";" end`},
		{"three-vars", `local N, x, s = ... local y, z = "bb", "ccc" for i = 1, N do s = x .. y .. z end`},
		// a numeric for entered N times with a variable limit (rewrite.go: "limit ^ 1")
		{"for-var-limit", `local N, x = ... local m, n = 4, 0 for i = 1, N do for j = 1, m do n = n + j end end`},
		{"for-len-limit", `local N, x = ... local t, n = {1, 2, 3, 4}, 0 for i = 1, N do for j = 1, #t do n = n + t[j] end end`},
	}
	compilers := []struct {
		name    string
		compile func([]byte, string) (*lua.FunctionProto, error)
	}{
		{"vm", func(src []byte, name string) (*lua.FunctionProto, error) {
			chunk, err := parse.Parse(strings.NewReader(string(src)), name)
			if err != nil {
				return nil, err
			}
			return lua.Compile(chunk, name)
		}},
		{"luajit", func(src []byte, name string) (*lua.FunctionProto, error) {
			chunk, err := parse.Parse(strings.NewReader(string(src)), name)
			if err != nil {
				return nil, err
			}
			return Compile(chunk, name)
		}},
	}
	for _, l := range loops {
		for _, c := range compilers {
			b.Run("loop="+l.name+"/compile="+c.name, func(b *testing.B) {
				L := newState(b)
				proto, err := c.compile([]byte(l.src), "bench")
				if err != nil {
					b.Fatal(err)
				}
				fn := NewFunction(L, proto)
				b.ResetTimer()
				L.Push(fn)
				L.Push(lua.LNumber(b.N))
				L.Push(lua.LString("value"))
				if err := L.PCall(2, 0, nil); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
