package ngxre

import (
	"regexp"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
	lua "github.com/yuin/gopher-lua"
)

const (
	benchSubj = "GET /api/v1/users/12345/profile?lang=en HTTP/1.1"
	benchPat  = `/users/(\d+)/(?<section>[a-z]+)`
)

// BenchmarkMatchLua is ngx.re.match(subj, pat, "jo") called from Lua, including the Lua loop
// and building the captures table.
func BenchmarkMatchLua(b *testing.B) {
	var out strings.Builder
	L := newState(b, &out)
	defer L.Close()
	if err := L.DoString(`
		local match = ngx.re.match
		function bench(n, s, p)
			local m
			for i = 1, n do m = match(s, p, "jo") end
			return m[1]
		end`); err != nil {
		b.Fatal(err)
	}
	fn := L.GetGlobal("bench")
	b.ResetTimer()
	if err := L.CallByParam(lua.P{Fn: fn, NRet: 1}, lua.LNumber(b.N), lua.LString(benchSubj), lua.LString(benchPat)); err != nil {
		b.Fatal(err)
	}
	if got := L.Get(-1).String(); got != "12345" {
		b.Fatalf("got %q", got)
	}
}

// BenchmarkMatchGoNgxre is the same match through this package's Go API (cache lookup,
// subject conversion, byte offsets), without Lua.
func BenchmarkMatchGoNgxre(b *testing.B) {
	f, _ := ParseFlags("jo")
	for i := 0; i < b.N; i++ {
		re, err := SharedCache.Get(benchPat, f)
		if err != nil {
			b.Fatal(err)
		}
		sj, _ := newSubject(benchSubj, re.flags)
		if caps, _ := re.exec(sj, 0, nil); caps == nil {
			b.Fatal("no match")
		}
		sj.release()
	}
}

// BenchmarkMatchRegexp2 is the engine called directly from Go on a precompiled pattern.
func BenchmarkMatchRegexp2(b *testing.B) {
	re := regexp2.MustCompile(`/users/(\d+)/(?<section>[a-z]+)`, regexp2.RE2)
	for i := 0; i < b.N; i++ {
		m, _ := re.FindStringMatch(benchSubj)
		if m == nil {
			b.Fatal("no match")
		}
		_ = m.Groups()
	}
}

// BenchmarkMatchGoRegexp is Go's regexp on the same pattern (submatch indexes).
func BenchmarkMatchGoRegexp(b *testing.B) {
	re := regexp.MustCompile(`/users/(\d+)/(?P<section>[a-z]+)`)
	for i := 0; i < b.N; i++ {
		if re.FindStringSubmatchIndex(benchSubj) == nil {
			b.Fatal("no match")
		}
	}
}
