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
