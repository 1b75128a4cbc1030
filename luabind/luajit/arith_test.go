package luajit

import (
	"sync"
	"testing"
)

// TestArithHelpersShared: the arithmetic helpers (arith.go) are one set of functions for
// every state; states running them at once must not race (go test -race).
func TestArithHelpersShared(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]string, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			L := newState(t)
			got[i] = run(t, L, `local mt = {__add = function(a, b) return a.v + b end}
				local o, n = setmetatable({v = 1}, mt), 0
				for k = 1, 2000 do n = n + (o + k) % 7 end
				return n`)
		}()
	}
	wg.Wait()
	for i, g := range got {
		if g != "6005" { // LuaJIT 2.1's
			t.Errorf("state %d: %q, want 6005", i, g)
		}
	}
}
