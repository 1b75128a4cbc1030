package luabind

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
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
	fd     int
	timer  *time.Timer
	taken  bool          // take stopped the watcher: it hands the connection back
	stale  bool          // the watcher's read got a byte or the end of the connection
	done   chan struct{} // closed when the watcher has returned
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
// backlog limit), or nil. Each idle connection's watcher is stopped first: one that saw the
// peer close, or bytes nobody asked for, is closed and the next one is tried.
func (p *connPools) take(name string, log debugLine) (net.Conn, int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := p.pools[name]
	if cp == nil {
		return nil, 0, false
	}
	log.line("lua tcp socket pool get keepalive peer")
	for len(cp.idle) > 0 {
		ic := cp.idle[len(cp.idle)-1]
		cp.idle = cp.idle[:len(cp.idle)-1]
		ic.timer.Stop()
		ic.taken = true
		p.mu.Unlock()
		_ = ic.conn.SetReadDeadline(time.Unix(1, 0)) // ends the watcher's read
		<-ic.done
		p.mu.Lock()
		if !ic.stale {
			_ = ic.conn.SetReadDeadline(time.Time{})
			if log != nil {
				log("lua tcp socket get keepalive peer: using connection " + ngxPointer(ic) + ", fd:" + strconv.Itoa(ic.fd))
			}
			return ic.conn, ic.reused + 1, cp.backlog >= 0
		}
		_ = ic.conn.Close()
		cp.release()
	}
	log.line("lua tcp socket keepalive: connection pool empty")
	p.dropIfEmpty(name, cp)
	return nil, 0, false
}

// dropIfEmpty forgets a pool with nothing left in it, as lua-nginx-module frees a pool whose
// last connection is gone (the next setkeepalive creates it anew). It reports whether it did.
func (p *connPools) dropIfEmpty(name string, cp *connPool) bool {
	if len(cp.idle) == 0 && cp.open == 0 && cp.waiting == 0 && p.pools[name] == cp {
		delete(p.pools, name)
		return true
	}
	return false
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
// was created for this connection. While idle, a watcher reads the connection as nginx's
// keepalive close handler does: the peer closing it (or sending bytes nobody asked for)
// closes it at once, and log gets lua-nginx-module's debug lines for that and for the idle
// timeout.
func (p *connPools) put(name string, conn net.Conn, reused int, timeout time.Duration, size int, log debugLine) bool {
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
	ic := &idleConn{conn: conn, reused: reused, fd: connFD(conn), done: make(chan struct{})}
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
		if p.drop(cp, ic) {
			log.line("lua tcp socket keepalive max idle timeout")
			p.closeIdle(name, cp, ic, log)
		}
	})
	cp.idle = append(cp.idle, ic)
	go p.watch(name, cp, ic, log)
	return created
}

// watch is an idle connection's close handler: it waits for a byte or the end of the
// connection, unless take stops it first (with a past read deadline).
func (p *connPools) watch(name string, cp *connPool, ic *idleConn, log debugLine) {
	var b [1]byte
	n, err := ic.conn.Read(b[:])
	p.mu.Lock()
	defer p.mu.Unlock()
	defer close(ic.done)
	if ic.taken {
		ic.stale = n > 0 || !errors.Is(err, os.ErrDeadlineExceeded)
		return
	}
	if p.drop(cp, ic) {
		ic.timer.Stop()
		log.line("lua tcp socket keepalive close handler check stale events")
		p.closeIdle(name, cp, ic, log)
	}
}

// drop takes ic out of the pool's idle list, reporting whether it was still there.
func (p *connPools) drop(cp *connPool, ic *idleConn) bool {
	for i, c := range cp.idle {
		if c == ic {
			cp.idle = append(cp.idle[:i], cp.idle[i+1:]...)
			return true
		}
	}
	return false
}

// closeIdle closes an idle connection dropped from its pool, and the pool when it was the
// last one.
func (p *connPools) closeIdle(name string, cp *connPool, ic *idleConn, log debugLine) {
	if log != nil {
		log("lua tcp socket keepalive close handler: fd:" + strconv.Itoa(ic.fd))
	}
	_ = ic.conn.Close()
	cp.release()
	if p.dropIfEmpty(name, cp) {
		log.line("lua tcp socket keepalive: free connection pool for \"" + name + "\"")
	}
}

// debugLine writes one debug line of the pool; nil when the error log leaves debug out
// (messages that take work to build are then not built).
type debugLine func(string)

func (d debugLine) line(msg string) {
	if d != nil {
		d(msg)
	}
}
