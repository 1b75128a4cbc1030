package luabind

import "testing"

// The ".." operator after luajit.Compile's rewrite (a native call where an operand may be
// a number) against what it costs with constants only (still the VM's OP_CONCAT).
//
//	go test ./luabind -run '^$' -bench 'Concat' -count 10
func BenchmarkConcat(b *testing.B) {
	for _, c := range []struct{ name, body string }{
		{"string-var", `local x, s = "value" for i = 1, N do s = "key=" .. x .. ";" end`},
		{"three-vars", `local a, b, c, s = "a", "bb", "ccc" for i = 1, N do s = a .. b .. c end`},
		{"number-var", `local x, s = 42 for i = 1, N do s = "n=" .. x end`},
		{"constants", `local s for i = 1, N do s = "a" .. "b" .. "c" end`},
	} {
		b.Run(c.name, func(b *testing.B) { runLuaBench(b, Config{}, c.body, nil) })
	}
}
