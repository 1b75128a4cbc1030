package server

import (
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
)

// rssKB is this process's resident set size (VmRSS), 0 where /proc is missing.
func rssKB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// TestStringRepClientCount: a handler passing a client's count to string.rep gets LuaJIT's
// answers (an int32 count; "not enough memory" past LuaJIT's limit, before allocating), the
// request returns and the process does not grow by the gigabytes asked for.
func TestStringRepClientCount(t *testing.T) {
	addr, _ := startFlagServer(t, Options{Locations: []Location{{Path: "/rep", Code: []byte(
		`local ok, res = pcall(string.rep, "x", tonumber(ngx.var.arg_n))
		 ngx.say(ok and #res or res)`)}}})
	before := rssKB(t)
	for _, tc := range []struct{ n, want string }{
		{"2147483648", "0"}, // 2^31: LuaJIT's int32 count wraps, the result is ""
		{"2147483647", "not enough memory"},
		{"4294967295", "0"},
		{"1000", "1000"},
	} {
		resp, err := http.Get("http://" + addr + "/rep?n=" + tc.n)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := strings.TrimSpace(string(b)); got != tc.want {
			t.Errorf("string.rep(\"x\", %s) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if after := rssKB(t); before > 0 && after-before > 256<<10 {
		t.Errorf("RSS grew from %d kB to %d kB", before, after)
	}
}

// TestMemoryLimitEndsRunawayRequest: with a per-state cap, a handler that grows a table
// without end (no library function involved) dies of "not enough memory": its request gets
// a 500 and the error is logged; the next request is served.
func TestMemoryLimitEndsRunawayRequest(t *testing.T) {
	addr, logs := startFlagServer(t, Options{MemoryLimit: 32 << 20, Locations: []Location{
		{Path: "/grow", Chunkname: "grow.lua", Code: []byte("local t = {}\nfor i = 1, 1e9 do t[i] = { i, i } end\nngx.say(#t)")},
		{Path: "/rep", Code: []byte(`local ok, err = pcall(string.rep, "x", 33 * 2^20) ngx.say(err)`)},
		{Path: "/ok", Code: []byte(`ngx.say("ok")`)},
	}})
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/grow", 500, ""},
		{"/rep", 200, "not enough memory\n"},
		{"/ok", 200, "ok\n"},
	} {
		resp, err := http.Get("http://" + addr + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.body != "" && string(b) != tc.body) {
			t.Errorf("%s: %d %q, want %d %q", tc.path, resp.StatusCode, b, tc.status, tc.body)
		}
	}
	if !strings.Contains(logs.String(), "lua entry thread aborted: runtime error: grow.lua:2: not enough memory") {
		t.Errorf("no abort line:\n%s", logs.String())
	}
}
