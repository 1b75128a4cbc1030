package luabind

import (
	"strconv"
	"sync"

	"github.com/luaws/luaws/errlog"
)

// ctxRefs numbers the ngx.ctx tables of a state's requests as lua-nginx-module's registry
// refs do (luaL_ref: the last released number first, else the next new one), for the
// "lua release ngx.ctx at ref N" debug line a request logs when it ends.
type ctxRefs struct {
	mu   sync.Mutex
	free []int
	next int
}

func (c *ctxRefs) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.free); n > 0 {
		ref := c.free[n-1]
		c.free = c.free[:n-1]
		return ref
	}
	c.next++
	return c.next
}

func (c *ctxRefs) put(ref int) {
	c.mu.Lock()
	c.free = append(c.free, ref)
	c.mu.Unlock()
}

// holdCtx gives the request's ngx.ctx table its ref, once.
func (r *request) holdCtx() {
	if r.ctxRef == 0 && r.vm != nil {
		r.ctxRef = r.vm.ctxRefs.take()
	}
}

// releaseCtx lets go of the ngx.ctx ref when the request is over.
func (r *request) releaseCtx() {
	if r.ctxRef == 0 {
		return
	}
	if r.sc.log.Enabled(errlog.Debug) {
		r.sc.log.Log(errlog.Debug, &r.logc, "lua release ngx.ctx at ref "+strconv.Itoa(r.ctxRef))
	}
	r.vm.ctxRefs.put(r.ctxRef)
	r.ctxRef = 0
}
