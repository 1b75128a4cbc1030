package ngxre

import (
	"container/list"
	"sync"
)

// DefaultCacheSize is lua_regex_cache_max_entries' default.
const DefaultCacheSize = 1024

// Cache is a bounded, concurrency-safe LRU of compiled patterns keyed by (pattern, flags).
//
// OpenResty caches only patterns compiled with the "o" option (per worker, up to
// lua_regex_cache_max_entries) and recompiles the others on every call. Here every
// successful compilation goes through the cache, "o" or not: a compiled Regex is immutable,
// so sharing it changes no result, and it spares handlers that forgot "o" the cost of
// compiling per call. Failed compilations are not cached.
type Cache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[cacheKey]*list.Element
}

type cacheKey struct {
	pattern string
	flags   uint16
}

type cacheEntry struct {
	key cacheKey
	re  *Regex
}

// NewCache returns a cache holding at most max patterns; max <= 0 disables caching.
func NewCache(max int) *Cache {
	return &Cache{max: max, ll: list.New(), items: make(map[cacheKey]*list.Element)}
}

// SharedCache is the process-wide cache used by the Lua functions.
var SharedCache = NewCache(DefaultCacheSize)

// Len is the number of cached patterns.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// SetMax changes the bound, evicting the least recently used entries if needed.
func (c *Cache) SetMax(max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = max
	c.trim()
}

func (c *Cache) trim() {
	for c.ll.Len() > 0 && c.ll.Len() > c.max {
		e := c.ll.Back()
		c.ll.Remove(e)
		delete(c.items, e.Value.(*cacheEntry).key)
	}
}

// Get returns the compiled form of pattern under flags, compiling and caching it on a miss.
func (c *Cache) Get(pattern string, f Flags) (*Regex, error) {
	k := cacheKey{pattern, f.key()}
	c.mu.Lock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		re := e.Value.(*cacheEntry).re
		c.mu.Unlock()
		return re, nil
	}
	c.mu.Unlock()
	re, err := Compile(pattern, f)
	if err != nil || c.max <= 0 {
		return re, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok { // compiled concurrently
		c.ll.MoveToFront(e)
		return e.Value.(*cacheEntry).re, nil
	}
	c.items[k] = c.ll.PushFront(&cacheEntry{k, re})
	c.trim()
	return re, nil
}
