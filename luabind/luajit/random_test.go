package luajit

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestRandomSequences compares math.random with sequences recorded from Debian's LuaJIT
// 2.1 (testdata/gen_random.lua wrote testdata/random.txt): 1,000 values per seed and
// argument form. "none" is a fresh, never-seeded state (LuaJIT's fixed seed equals
// randomseed(0)).
func TestRandomSequences(t *testing.T) {
	f, err := os.Open("testdata/random.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	forms := map[string]string{
		"float": "string.format('%.17g', math.random())",
		"1000":  "math.random(1000)",
		"5,10":  "math.random(5, 10)",
		"-3,3":  "math.random(-3, 3)",
		"2.5":   "math.random(2.5)",
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		seed, form, want := fields[0], fields[1], fields[2:]
		t.Run(seed+"/"+form, func(t *testing.T) {
			L := newState(t)
			src := "local t = {}\n"
			if seed != "none" {
				src += "math.randomseed(" + seed + ")\n"
			}
			src += "for i = 1, 1000 do t[i] = " + forms[form] + " end\nreturn table.concat(t, ' ')"
			got := strings.Fields(run(t, L, src))
			if len(got) != len(want) {
				t.Fatalf("got %d values: %v", len(got), got[:min(len(got), 5)])
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("value %d: got %s, want %s", i+1, got[i], want[i])
				}
			}
		})
		n++
	}
	if n != 40 {
		t.Errorf("read %d sequences, want 40", n)
	}
}

func TestRandom(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"fresh worker", "return math.random(1000)", "795"},
		{"reseed restarts", "local a = math.random(); math.randomseed(0); return a == math.random()", "true"},
		{"per state", "return math.random(1000)", "795"}, // each state has its own generator
		{"string args", "math.randomseed('0'); return math.random('1000')", "795"},
		{"no range check", "return math.random(2, 1), math.random(0), math.random(-1)", "2|1|0"},
		{"extra args ignored", "return math.random(1000, 1000, 3)", "1000"},
		{"float range", "local x = math.random(); return x >= 0 and x < 1", "true"},
		{"bad arg", "local x = math.random('x') return x", "ERR test:1: bad argument #1 to 'random' (number expected, got string)"},
		{"bad arg 2", "local x = math.random(1, {}) return x", "ERR test:1: bad argument #2 to 'random' (number expected, got table)"},
		{"seed needs arg", "math.randomseed()", "ERR test:1: bad argument #1 to 'randomseed' (number expected, got no value)"},
		{"pcall name", "return pcall(math.random, 'x')", "false|bad argument #1 to '?' (number expected, got string)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(t, newState(t), c.src); got != c.want {
				t.Errorf("%s\n got %q\nwant %q", c.src, got, c.want)
			}
		})
	}
}
