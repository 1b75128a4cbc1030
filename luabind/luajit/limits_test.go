package luajit

import (
	"runtime"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestStringLimits: string building functions stop at LuaJIT 2.1's limit with its error,
// before allocating (the expectations are LuaJIT 2.1.0-beta3's, `luajit -e ...`).
func TestStringLimits(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{`return #string.rep("x", 2^31)`, "0"}, // the count wraps to int32's minimum
		{`return #string.rep("x", 2^32+3)`, "0"},
		{`return #string.rep("x", 3.9)`, "3"},
		{`local ok, err = pcall(string.rep, "x", 2^31-1) return err`, ErrNoMemory},
		{`local ok, err = pcall(string.rep, "xx", 2^30) return err`, ErrNoMemory},
		{`local ok, err = pcall(string.rep, "x", 2^30+1, "y") return err`, ErrNoMemory},
		{`local ok, err = pcall(string.rep, "x", "2147483647") return err`, ErrNoMemory},
		{`return string.rep("ab", 3, "-")`, "ab-ab-ab"},
		{`local t = {} for i = 1, 2049 do t[i] = "x" end
		  local ok, err = pcall(table.concat, t, string.rep(",", 2^20)) return err`, ErrNoMemory},
		{`return table.concat({1, 2.5, 1e15, "a"}, ",", 2)`, "2.5,1e+15,a"},
		{`return select(2, pcall(table.concat, {1, true}))`, "invalid value (boolean) at index 2 in table for 'concat'"},
	} {
		L := lua.NewState()
		Open(L)
		if err := L.DoString(tc.code); err != nil {
			t.Errorf("%s: %v", tc.code, err)
		} else if got := L.Get(-1).String(); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.code, got, tc.want)
		}
		L.Close()
		runtime.GC()
	}
}

// TestMemoryLimit: over a state's cap, the same functions fail with "not enough memory".
func TestMemoryLimit(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	Open(L)
	SetMemoryLimit(L, 8<<20)
	for _, tc := range []struct{ code, want string }{
		{`return #string.rep("x", 8 * 2^20)`, "8388608"},
		{`return select(2, pcall(string.rep, "x", 8 * 2^20 + 1))`, ErrNoMemory},
		{`local s = string.rep("x", 5 * 2^20) return select(2, pcall(table.concat, {s, s}))`, ErrNoMemory},
		{`local s = string.rep("x", 5 * 2^20) return select(2, pcall(string.format, "%s%s", s, s))`, ErrNoMemory},
		{`local co = coroutine.create(function() return string.rep("x", 2^24) end) return select(2, coroutine.resume(co))`, ErrNoMemory},
		// string.buffer grows until the cap, then refuses (LuaJIT: at LJ_MAX_BUF), content kept
		{`local b = require("string.buffer").new() local s = string.rep("x", 3 * 2^20)
		  local ok, err = pcall(function() for i = 1, 4 do b:put(s) end end) return err .. " " .. #b`, ErrNoMemory + " 6291456"},
		{`local b = require("string.buffer").new() local s = string.rep("x", 5 * 2^20)
		  b:put(s) return select(2, pcall(b.putf, b, "%s", s))`, ErrNoMemory},
		{`local buf = require("string.buffer") local s = string.rep("x", 5 * 2^20)
		  return select(2, pcall(buf.encode, {s, s}))`, ErrNoMemory},
		{`local buf = require("string.buffer") local b = buf.new() local s = string.rep("x", 5 * 2^20)
		  b:put(s) return select(2, pcall(b.put, b, b:tostring()))`, ErrNoMemory},
	} {
		if err := L.DoString(tc.code); err != nil {
			t.Errorf("%s: %v", tc.code, err)
		} else if got := L.Get(-1).String(); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.code, got, tc.want)
		}
		L.SetTop(0)
	}
	if got := MemoryLimit(L); got != 8<<20 {
		t.Errorf("MemoryLimit = %d", got)
	}
}

func TestToInt32(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want int32
	}{{3.9, 3}, {-3.9, -3}, {1 << 31, -1 << 31}, {-(1 << 31), -1 << 31}, {1<<31 - 1, 1<<31 - 1}, {1e300, -1 << 31}} {
		if got := ToInt32(tc.f); got != tc.want {
			t.Errorf("ToInt32(%v) = %d, want %d", tc.f, got, tc.want)
		}
	}
}

// TestBufferLimit: a string.buffer holds up to 2^31 bytes, one more is refused (LuaJIT 2.1's
// figure; building 2 GiB in a test is too costly, so the verdict is checked at the edge).
func TestBufferLimit(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	for _, tc := range []struct {
		n    int64
		want bool
	}{{MaxStr, false}, {MaxBuf, false}, {MaxBuf + 1, true}} {
		if got := bufTooBig(L, tc.n); got != tc.want {
			t.Errorf("bufTooBig(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}
