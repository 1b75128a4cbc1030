package luabind

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/dlclark/regexp2"
	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/shdict"
)

// Runtime-library benchmarks, each beside a Go-native baseline doing the same work in the
// same run: shared dict get/set from Lua vs a sync.Mutex + map; cjson.encode/decode of a
// 1 KiB object vs encoding/json; ngx.re.match with "jo" vs regexp2 and Go's regexp. The Lua
// variants run the loop in Lua (as a handler would), so they include the Lua call overhead;
// "lua-loop" measures that overhead alone.
//
//	go test ./luabind -run '^$' -bench 'Runtime' -benchmem

// runLuaBench runs body (with N set to b.N) once as a chunk outside of a request.
func runLuaBench(b *testing.B, cfg Config, body string, setup func(*lua.LState)) {
	b.Helper()
	cfg.Log = errlog.New(io.Discard, errlog.Err)
	h, err := NewHost(cfg)
	if err != nil {
		b.Fatal(err)
	}
	src := "local N = " + itoa(b.N) + "\n" + body
	b.ResetTimer()
	if err := h.RunChunk(context.Background(), "bench.lua", []byte(src), setup); err != nil {
		b.Fatal(err)
	}
}

var benchKeys = func() []string {
	k := make([]string, 64)
	for i := range k {
		k[i] = fmt.Sprintf("key:%02d", i)
	}
	return k
}()

const luaBenchKeys = `local keys = {} for i = 1, 64 do keys[i] = string.format("key:%02d", i - 1) end
`

func BenchmarkRuntimeShdict(b *testing.B) {
	dicts := func(b *testing.B) Config {
		reg := shdict.NewRegistry()
		if err := reg.Add("d", 10<<20); err != nil {
			b.Fatal(err)
		}
		return Config{SharedDicts: reg}
	}
	b.Run("lua-loop", func(b *testing.B) {
		runLuaBench(b, Config{}, luaBenchKeys+`local t = {} for i = 1, N do t[keys[i % 64 + 1]] = i end`, nil)
	})
	// The same loop in a bare gopher-lua state with no context: what the per-instruction
	// cancellation check of a light thread (DESIGN.md) costs.
	b.Run("lua-loop-bare-state", func(b *testing.B) {
		L := lua.NewState()
		defer L.Close()
		src := "local N = " + itoa(b.N) + "\n" + luaBenchKeys + `local t = {} for i = 1, N do t[keys[i % 64 + 1]] = i end`
		b.ResetTimer()
		if err := L.DoString(src); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("lua-set", func(b *testing.B) {
		runLuaBench(b, dicts(b), luaBenchKeys+`local d = ngx.shared.d for i = 1, N do d:set(keys[i % 64 + 1], i) end`, nil)
	})
	b.Run("lua-get", func(b *testing.B) {
		runLuaBench(b, dicts(b), luaBenchKeys+`local d = ngx.shared.d for i = 1, 64 do d:set(keys[i], i) end
			local s = 0 for i = 1, N do s = s + d:get(keys[i % 64 + 1]) end`, nil)
	})
	b.Run("go-mutex-map-set", func(b *testing.B) {
		var mu sync.Mutex
		m := make(map[string]any)
		for i := 0; i < b.N; i++ {
			mu.Lock()
			m[benchKeys[i%64]] = float64(i)
			mu.Unlock()
		}
	})
	b.Run("go-mutex-map-get", func(b *testing.B) {
		var mu sync.Mutex
		m := make(map[string]any)
		for i, k := range benchKeys {
			m[k] = float64(i)
		}
		b.ResetTimer()
		s := 0.0
		for i := 0; i < b.N; i++ {
			mu.Lock()
			v := m[benchKeys[i%64]]
			mu.Unlock()
			s += v.(float64)
		}
		_ = s
	})
}

// benchDoc is a JSON object of about 1 KiB: strings, numbers, booleans, a nested object and
// an array, the shape of a chat message or an API reply.
var benchDoc = func() string {
	var sb strings.Builder
	sb.WriteString(`{"type":"message","room":"lobby","id":123456789,"ok":true,"ratio":0.75,`)
	sb.WriteString(`"user":{"name":"alice","id":42,"roles":["admin","user"],"active":true},`)
	sb.WriteString(`"text":"` + strings.Repeat("hello, world! ", 45) + `",`)
	sb.WriteString(`"tags":[`)
	for i := 0; i < 40; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "%d", i*37)
	}
	sb.WriteString(`],"meta":{"ts":1700000000.5,"via":"luaws","seq":7}}`)
	return sb.String()
}()

func BenchmarkRuntimeJSON(b *testing.B) {
	if len(benchDoc) < 900 || len(benchDoc) > 1200 {
		b.Fatalf("benchDoc is %d bytes", len(benchDoc))
	}
	setDoc := func(L *lua.LState) { L.SetGlobal("DOC", lua.LString(benchDoc)) }
	b.Run("cjson-decode", func(b *testing.B) {
		b.SetBytes(int64(len(benchDoc)))
		runLuaBench(b, Config{}, `local cjson = require "cjson" local decode, doc = cjson.decode, DOC
			local t for i = 1, N do t = decode(doc) end assert(t.user.name == "alice")`, setDoc)
	})
	b.Run("cjson-encode", func(b *testing.B) {
		b.SetBytes(int64(len(benchDoc)))
		runLuaBench(b, Config{}, `local cjson = require "cjson" local encode, t = cjson.encode, cjson.decode(DOC)
			local s for i = 1, N do s = encode(t) end assert(#s > 900)`, setDoc)
	})
	b.Run("go-json-unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(benchDoc)))
		doc := []byte(benchDoc)
		for i := 0; i < b.N; i++ {
			var v map[string]any
			if err := json.Unmarshal(doc, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-json-marshal", func(b *testing.B) {
		b.SetBytes(int64(len(benchDoc)))
		var v map[string]any
		if err := json.Unmarshal([]byte(benchDoc), &v); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const (
	reBenchSubj = "GET /api/v1/users/12345/profile?lang=en HTTP/1.1"
	reBenchPat  = `/users/(\d+)/(?<section>[a-z]+)`
)

func BenchmarkRuntimeRegex(b *testing.B) {
	setRe := func(L *lua.LState) {
		L.SetGlobal("SUBJ", lua.LString(reBenchSubj))
		L.SetGlobal("PAT", lua.LString(reBenchPat))
	}
	b.Run("ngx.re.match-jo", func(b *testing.B) {
		runLuaBench(b, Config{}, `local match, s, p = ngx.re.match, SUBJ, PAT
			local m for i = 1, N do m = match(s, p, "jo") end assert(m[1] == "12345" and m.section == "profile")`, setRe)
	})
	b.Run("go-regexp2", func(b *testing.B) {
		re := regexp2.MustCompile(reBenchPat, regexp2.RE2)
		for i := 0; i < b.N; i++ {
			m, err := re.FindStringMatch(reBenchSubj)
			if err != nil || m == nil || m.GroupByNumber(1).String() != "12345" || m.GroupByName("section").String() != "profile" {
				b.Fatal("no match", err)
			}
		}
	})
	b.Run("go-regexp", func(b *testing.B) {
		re := regexp.MustCompile(strings.Replace(reBenchPat, "(?<", "(?P<", 1))
		idx := re.SubexpIndex("section")
		for i := 0; i < b.N; i++ {
			m := re.FindStringSubmatch(reBenchSubj)
			if m == nil || m[1] != "12345" || m[idx] != "profile" {
				b.Fatal("no match")
			}
		}
	})
}
