package luabind

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// connPools is the per-process cosocket connection pool (lua-nginx-module's is per worker,
// and luaws is one worker): idle connections by pool name ("host:port", "unix:/path" or the
// pool option), each pool with its size and, when a backlog is given, a cap on open
// connections with a queue of waiting connects.
type connPools struct {
	mu    sync.Mutex
	pools map[string]*connPool
}

type connPool struct {
	size    int // idle connections kept (and, with a backlog, open connections allowed)
	backlog int // -1: no limit on open connections
	open    int // connections counted against size (backlog mode only)
	waiting int
	wake    chan struct{} // closed and replaced whenever a slot frees
	idle    []*idleConn   // most recently used last
}

type idleConn struct {
	conn   net.Conn
	reused int
	timer  *time.Timer
}

var errTooManyWaiting = errors.New("too many waiting connect operations")

// errIdleAvailable tells a queued connect that a connection went back to the pool: take it.
var errIdleAvailable = errors.New("an idle connection is available")

// errQueued tells a connect it holds a place in its pool's backlog queue.
var errQueued = errors.New("queued in the backlog")

func newConnPools() *connPools { return &connPools{pools: make(map[string]*connPool)} }

// pool returns (creating it with size/backlog on first use, as OpenResty does: the size of a
// pool cannot change once it exists) the named pool.
func (p *connPools) pool(name string, size, backlog int) *connPool {
	cp := p.pools[name]
	if cp == nil {
		cp = &connPool{size: size, backlog: backlog, wake: make(chan struct{})}
		p.pools[name] = cp
	}
	return cp
}

// take returns a live idle connection of the pool (and whether it counts against the pool's
// backlog limit), or nil.
func (p *connPools) take(name string) (net.Conn, int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := p.pools[name]
	if cp == nil {
		return nil, 0, false
	}
	for len(cp.idle) > 0 {
		ic := cp.idle[len(cp.idle)-1]
		cp.idle = cp.idle[:len(cp.idle)-1]
		ic.timer.Stop()
		if connAlive(ic.conn) {
			return ic.conn, ic.reused + 1, cp.backlog >= 0
		}
		_ = ic.conn.Close()
		cp.release()
	}
	p.dropIfEmpty(name, cp)
	return nil, 0, false
}

// dropIfEmpty forgets a pool with nothing left in it, as lua-nginx-module frees a pool whose
// last connection is gone (the next setkeepalive creates it anew).
func (p *connPools) dropIfEmpty(name string, cp *connPool) {
	if len(cp.idle) == 0 && cp.open == 0 && cp.waiting == 0 && p.pools[name] == cp {
		delete(p.pools, name)
	}
}

// enter is the part of a connect's admission that never waits, taken before the connect
// yields so that connects are admitted and queued in the order Lua made them, as in nginx.
// It returns nil when the connection is counted against the pool (or the pool has no limit),
// errIdleAvailable, errTooManyWaiting, or errQueued: the caller holds a place in the backlog
// queue and must call wait.
func (p *connPools) enter(name string, size, backlog int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := p.pools[name]
	if cp == nil && backlog >= 0 {
		cp = p.pool(name, size, backlog)
	}
	if cp == nil || cp.backlog < 0 {
		return nil // no limit on open connections: the pool is made by setkeepalive
	}
	switch {
	case cp.open < cp.size:
		cp.open++
		return nil
	case len(cp.idle) > 0:
		return errIdleAvailable
	case cp.waiting >= cp.backlog:
		return errTooManyWaiting
	}
	cp.waiting++
	return errQueued
}

// wait waits in the backlog queue (entered by enter) until a slot frees, an idle connection
// comes back (errIdleAvailable) or ctx ends. The place in the queue is given up either way.
func (p *connPools) wait(ctx context.Context, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := p.pools[name]
	if cp == nil {
		return nil
	}
	defer func() { cp.waiting-- }()
	for cp.open >= cp.size {
		if len(cp.idle) > 0 {
			return errIdleAvailable
		}
		wake := cp.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			p.mu.Lock()
			return ctx.Err()
		}
		p.mu.Lock()
	}
	cp.open++
	return nil
}

// closed is called when a pooled-mode connection closes for good.
func (p *connPools) closed(name string) {
	p.mu.Lock()
	if cp := p.pools[name]; cp != nil {
		cp.release()
	}
	p.mu.Unlock()
}

func (cp *connPool) release() {
	if cp.backlog < 0 || cp.open == 0 {
		return
	}
	cp.open--
	close(cp.wake)
	cp.wake = make(chan struct{})
}

// put keeps conn idle in the pool for at most timeout (0: no limit); when the pool is full its
// least recently used idle connection is closed to make room. It reports whether the pool
// was created for this connection.
func (p *connPools) put(name string, conn net.Conn, reused int, timeout time.Duration, size int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	created := p.pools[name] == nil
	cp := p.pool(name, size, -1)
	if len(cp.idle) >= cp.size {
		old := cp.idle[0]
		cp.idle = cp.idle[1:]
		old.timer.Stop()
		_ = old.conn.Close()
		cp.release()
	}
	ic := &idleConn{conn: conn, reused: reused}
	if cp.waiting > 0 { // a queued connect may take it
		close(cp.wake)
		cp.wake = make(chan struct{})
	}
	d := timeout
	if d <= 0 {
		d = 1<<63 - 1
	}
	ic.timer = time.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for i, c := range cp.idle {
			if c == ic {
				cp.idle = append(cp.idle[:i], cp.idle[i+1:]...)
				_ = conn.Close()
				cp.release()
				p.dropIfEmpty(name, cp)
				return
			}
		}
	})
	cp.idle = append(cp.idle, ic)
	return created
}

// connAlive peeks at an idle connection without blocking: closed by the peer, or carrying
// unexpected bytes, it is not reusable.
func connAlive(c net.Conn) bool {
	type syscallConn interface {
		SyscallConn() (syscall.RawConn, error)
	}
	raw := c
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		raw = nc.NetConn()
	}
	sc, ok := raw.(syscallConn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := true
	var buf [1]byte
	_ = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case n > 0:
			alive = false // data nobody asked for
		case err == syscall.EAGAIN:
		default:
			alive = false // EOF or error
		}
		return true
	})
	return alive
}
