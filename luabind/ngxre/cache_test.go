package ngxre

import (
	"fmt"
	"sync"
	"testing"
)

func TestCacheBoundedLRU(t *testing.T) {
	c := NewCache(2)
	f := Flags{}
	a, _ := c.Get("a", f)
	c.Get("b", f)
	if again, _ := c.Get("a", f); again != a { // hit, and "a" becomes most recent
		t.Fatal("cache miss for a")
	}
	c.Get("c", f) // evicts "b"
	if c.Len() != 2 {
		t.Fatalf("len %d", c.Len())
	}
	if again, _ := c.Get("a", f); again != a {
		t.Fatal("a evicted instead of b")
	}
	fi, _ := ParseFlags("i")
	if ai, _ := c.Get("a", fi); ai == a {
		t.Fatal("flags not part of the key")
	}
	if _, err := c.Get("(", f); err == nil || c.Len() != 2 {
		t.Fatal("errors must not be cached")
	}
	c.SetMax(0)
	if c.Len() != 0 {
		t.Fatal("SetMax(0) kept entries")
	}
}

func TestConcurrentMatch(t *testing.T) {
	c := NewCache(8)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			f, _ := ParseFlags("u")
			for i := 0; i < 200; i++ {
				re, err := c.Get(fmt.Sprintf(`(\d+)-%d`, i%12), f)
				if err != nil {
					t.Error(err)
					return
				}
				s := fmt.Sprintf("é%d-%d", g, i%12)
				sj, _ := newSubject(s, re.flags)
				caps, err := re.exec(sj, 0, nil)
				sj.release()
				if err != nil || caps == nil || s[caps[2]:caps[3]] != fmt.Sprint(g) {
					t.Errorf("bad match %v %v on %q", caps, err, s)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
