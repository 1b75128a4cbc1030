package shdict

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestErrorPositionFromLuaCaller(t *testing.T) {
	env := newTestEnv(t)
	got := env.run(t, `pc("direct", function() d:set("n", 1, -1) end)`)
	if !regexp.MustCompile(`^direct !! <string>:\d+: bad "exptime" argument\n$`).MatchString(got) {
		t.Errorf("got %q, want the caller's position before the message", got)
	}
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		err  bool
	}{
		{"4096", 4096, false}, {"512k", 512 << 10, false}, {"512K", 512 << 10, false},
		{"10m", 10 << 20, false}, {"10M", 10 << 20, false}, {"1g", 1 << 30, false},
		{"", 0, true}, {"m", 0, true}, {"1.5m", 0, true}, {"abc", 0, true}, {"-1", 0, true},
		{" 1m", 0, true}, {"1t", 0, true}, {"99999999999999999999", 0, true},
	}
	for _, c := range cases {
		got, err := ParseSize(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, err %v", c.in, got, err, c.want, c.err)
		}
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", c.in)) {
			t.Errorf("ParseSize(%q) error %q does not name the value", c.in, err)
		}
	}
}

// TestRegistryAdd checks nginx's words for bad lua_shared_dict lines (nginx -t output).
func TestRegistryAdd(t *testing.T) {
	r := NewRegistry()
	if err := r.Add("dogs", 1<<20); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		size int64
		want string
	}{
		{"dogs", 1 << 20, `lua_shared_dict "dogs" is already defined as "dogs"`},
		{"dogs", 2 << 20, `the size 2097152 of shared memory zone "dogs" conflicts with already declared size 1048576`},
		{"cats", 8191, `invalid lua shared dict size "8191"`},
		{"", 1 << 20, `invalid lua shared dict name ""`},
		{"Dogs", 1 << 20, ""},
		{"cats", 8192, ""},
	}
	for _, c := range cases {
		err := r.Add(c.name, c.size)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("Add(%q, %d) = %q, want %q", c.name, c.size, got, c.want)
		}
	}
	if got := strings.Join(r.Names(), ","); got != "dogs,Dogs,cats" {
		t.Errorf("Names() = %s", got)
	}
	if r.Get("nope") != nil || r.Get("dogs").Capacity() != 1<<20 {
		t.Error("Get")
	}
}

// TestConcurrentStates runs many goroutines, each with its own Lua state, against one
// registry (run with -race): counters stay exact, and lists lose no element.
func TestConcurrentStates(t *testing.T) {
	env := newTestEnv(t)
	const workers, rounds = 8, 300
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var out strings.Builder
			L := env.state(&out)
			defer L.Close()
			err := L.DoString(fmt.Sprintf(`
				local d = ngx.shared.dogs
				for i = 1, %d do
					assert(d:incr("hits", 1, 0))
					d:set("w%d-" .. i, i, 0, %d)
					local v = d:get("w%d-" .. i)
					assert(v == i, "own key lost")
					d:rpush("queue", i)
					d:get_keys(10)
					d:get_stale("hits")
					if i %% 50 == 0 then d:flush_expired() end
				end`, rounds, w, w+1, w))
			if err != nil {
				errs <- err
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	d := env.reg.Get("dogs")
	if v, _, _, _ := d.get("hits", false); v != lua.LNumber(workers*rounds) {
		t.Errorf("hits = %v, want %d", v, workers*rounds)
	}
	if n, _ := d.llen("queue"); n != workers*rounds {
		t.Errorf("llen = %d, want %d", n, workers*rounds)
	}
}

// TestEvictionLRU checks that set evicts least recently used entries first, reports
// forcible, and that safe_set never evicts.
func TestEvictionLRU(t *testing.T) {
	env := newTestEnv(t)
	got := env.run(t, `
		local s = ngx.shared.tiny -- one free page: 16 slots of 256 bytes
		local v = string.rep("v", 150)
		for i = 1, 16 do assert(s:set("k" .. i, v)) end
		s:get("k1") -- k1 becomes the most recently used
		show("safe_set", s:safe_set("k17", v))
		show("set", s:set("k17", v))
		show("k1", s:get("k1") ~= nil, "k2", s:get("k2") ~= nil, "k3", s:get("k3") ~= nil)
		-- An expired entry elsewhere than the LRU tail is not what gets evicted, as in nginx.
		show("e", s:set("e", v, 0.001))
		ngx.sleep(0.01)
		show("set", s:set("k18", v))
		show("e stale", s:get_stale("e") ~= nil)
		-- An expired entry at the tail is swept before the write: no forcible eviction.
		s:flush_all() s:flush_expired()
		s:set("old", v, 0.001)
		for i = 1, 15 do s:set("n" .. i, v) end
		ngx.sleep(0.01)
		show("set", s:set("n16", v))
		show("old", s:get_stale("old"))`)
	want := "safe_set => 3: false, \"no memory\", false\n" +
		"set => 3: true, nil, true\n" +
		"k1 => 5: true, \"k2\", false, \"k3\", true\n" +
		"e => 3: true, nil, true\n" +
		"set => 3: true, nil, true\n" +
		"e stale => 1: true\n" +
		"set => 3: true, nil, false\n" +
		"old => 1: nil\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
