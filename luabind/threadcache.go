package luabind

import (
	"fmt"
	"reflect"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
)

// threadCacheMax is lua_thread_cache_max_entries' default.
const threadCacheMax = 1024

// threadCache is the bookkeeping of lua-nginx-module's per-worker cache of entry threads,
// for its debug log: nginx takes the coroutine of a request phase's entry thread (and of a
// timer, when ngx.timer.at is called) from the cache when one is there ("lua reusing cached
// lua thread"), and puts it back when that thread ends ("lua caching unused lua thread").
// luaws gives each entry thread a small fresh gopher-lua thread instead (threadRegistrySize),
// so only the refs are kept: with the same requests, a debug log says what nginx's says.
type threadCache struct {
	mu   sync.Mutex
	refs []int // cached refs, most recent last (nginx reuses the most recently cached)
	next int   // the last ref handed out
}

// take returns the ref of the entry thread L starts as, logging at debug level whether it
// came from the cache (with lc, the request's context) or is new (nginx logs that one
// without a request context).
func (c *threadCache) take(log *errlog.Logger, lc *errlog.Conn, L *lua.LState) int {
	c.mu.Lock()
	n := len(c.refs)
	if n == 0 {
		c.next++
		ref := c.next
		c.mu.Unlock()
		if log.Enabled(errlog.Debug) {
			log.Log(errlog.Debug, nil, fmt.Sprintf("lua ref lua thread %s (ref %d)", ngxPointer(L), ref))
		}
		return ref
	}
	ref := c.refs[n-1]
	c.refs = c.refs[:n-1]
	c.mu.Unlock()
	if log.Enabled(errlog.Debug) {
		log.Log(errlog.Debug, lc, fmt.Sprintf("lua reusing cached lua thread %s (ref %d)", ngxPointer(L), ref))
	}
	return ref
}

// ngxPointer is nginx's %p: the address in 16 upper-case hex digits.
func ngxPointer(p any) string {
	return fmt.Sprintf("%016X", reflect.ValueOf(p).Pointer())
}

// put gives ref back when its entry thread ended, logging it at debug level.
func (c *threadCache) put(log *errlog.Logger, lc *errlog.Conn, L *lua.LState, ref int) {
	if ref == 0 {
		return
	}
	c.mu.Lock()
	if len(c.refs) >= threadCacheMax {
		c.mu.Unlock()
		return
	}
	c.refs = append(c.refs, ref)
	c.mu.Unlock()
	if log.Enabled(errlog.Debug) {
		log.Log(errlog.Debug, lc, fmt.Sprintf("lua caching unused lua thread %s (ref %d)", ngxPointer(L), ref))
	}
}
