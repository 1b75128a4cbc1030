package luajit

import (
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestRandomPerState(t *testing.T) {
	a, b := newState(t), newState(t)
	run(t, a, "for i = 1, 10 do math.random() end math.randomseed(7)")
	if got := run(t, b, "return math.random(1000)"); got != "795" {
		t.Errorf("second state's first value %s, want 795: generator shared", got)
	}
}

func TestPreloadAlone(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	Preload(L)
	got := run(t, L, `local n = require "table.new" local t = n(4, 0)
		return type(table.new), require("jit").version, require("table.nkeys")({1, x = 2})`)
	if want := "function|LuaJIT 2.1.0-beta3|2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCollectGarbageRunsNoGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := run(t, newState(t), `collectgarbage() collectgarbage("collect") collectgarbage("step")
		return collectgarbage("count") > 0`)
	runtime.ReadMemStats(&after)
	if got != "true" || after.NumGC != before.NumGC {
		t.Errorf("got %q, %d collections", got, after.NumGC-before.NumGC)
	}
}

func TestPrint(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	run(t, newState(t), `print(1e15, 1/3, -0.0, nil, true, "s", setmetatable({}, {__tostring = function() return "T" end}))`)
	os.Stdout = stdout
	w.Close()
	out, _ := io.ReadAll(r)
	if want := "1e+15\t0.33333333333333\t-0\tnil\ttrue\ts\tT\n"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}
