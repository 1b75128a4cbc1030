package luajit

import (
	"os"
	"strings"
	"testing"

	"github.com/yuin/gopher-lua/parse"
)

// The syntax checker runs only when gopher-lua refuses a chunk. These compare its cost
// with what loading a chunk costs anyway (Translate, parse.Parse, Compile), to decide
// whether it could run on every load.
func benchSource(b *testing.B) []byte {
	b.Helper()
	src, err := os.ReadFile("../../lua/resty/websocket/protocol.lua")
	if err != nil {
		b.Skip("no bundled protocol.lua:", err)
	}
	return src
}

func BenchmarkLoadChunk(b *testing.B) {
	src := benchSource(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		out, err := Translate("p", src)
		if err != nil {
			b.Fatal(err)
		}
		chunk, err := parse.Parse(strings.NewReader(string(out)), "p")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compile(chunk, "p"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckSyntax(b *testing.B) {
	src := benchSource(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if err := CheckSyntax("p", src); err != nil {
			b.Fatal(err)
		}
	}
}
