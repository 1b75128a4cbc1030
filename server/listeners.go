package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// Sockets are listening sockets that outlive one configuration. A reload builds a new Site
// on the same Sockets: each address stays bound (nothing is refused while the new
// configuration takes over) and its accepted connections go to whichever Site serves the
// address now. A Site that has no Sockets of its own gets private ones.
type Sockets struct {
	mu     sync.Mutex
	byAddr map[string]*sharedListener
}

// NewSockets returns an empty set of listening sockets.
func NewSockets() *Sockets { return &Sockets{byAddr: map[string]*sharedListener{}} }

// sharedListener is one bound socket: a goroutine accepts on it and hands each connection
// to the current target, the handoff listener of the Site serving the address.
type sharedListener struct {
	addr string
	ln   net.Listener

	mu     sync.Mutex
	cond   *sync.Cond
	target *handoff
	closed bool
}

// listener returns a handoff listener for addr, binding the address if it is not bound yet
// (fresh reports that). The handoff gets connections once activated.
func (ss *Sockets) listener(addr string, ka KeepAlive) (h *handoff, fresh bool, err error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	sl := ss.byAddr[addr]
	if sl == nil {
		lc := net.ListenConfig{KeepAlive: -1} // set per connection, from the serving config
		network, laddr := "tcp", addr
		if path, ok := strings.CutPrefix(addr, "unix:"); ok {
			network, laddr = "unix", path
			// a socket file left by an earlier run is replaced, as nginx unlinks it
			if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
				_ = os.Remove(path)
			}
		}
		ln, err := lc.Listen(context.Background(), network, laddr)
		if err != nil {
			return nil, false, err
		}
		sl = &sharedListener{addr: addr, ln: ln}
		sl.cond = sync.NewCond(&sl.mu)
		ss.byAddr[addr] = sl
		go sl.acceptLoop()
		fresh = true
	}
	return &handoff{sl: sl, ka: ka, conns: make(chan net.Conn), done: make(chan struct{})}, fresh, nil
}

// release closes the socket of addr (a Listen that failed binds nothing).
func (ss *Sockets) release(addr string) {
	ss.mu.Lock()
	sl := ss.byAddr[addr]
	delete(ss.byAddr, addr)
	ss.mu.Unlock()
	if sl != nil {
		sl.close()
	}
}

// Keep closes every socket whose address is not in addrs, the listen addresses of the Site
// now serving (a reload that dropped a listen).
func (ss *Sockets) Keep(addrs []string) {
	keep := map[string]bool{}
	for _, a := range addrs {
		keep[a] = true
	}
	var drop []string
	ss.mu.Lock()
	for a := range ss.byAddr {
		if !keep[a] {
			drop = append(drop, a)
		}
	}
	ss.mu.Unlock()
	for _, a := range drop {
		ss.release(a)
	}
}

// Close closes every socket.
func (ss *Sockets) Close() {
	ss.Keep(nil)
}

func (sl *sharedListener) close() {
	sl.mu.Lock()
	sl.closed = true
	sl.cond.Broadcast()
	sl.mu.Unlock()
	_ = sl.ln.Close()
}

// activate makes h the receiver of new connections.
func (sl *sharedListener) activate(h *handoff) {
	sl.mu.Lock()
	sl.target = h
	sl.cond.Broadcast()
	sl.mu.Unlock()
}

// current waits for an open target; nil when the socket is closed.
func (sl *sharedListener) current() *handoff {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	for !sl.closed && (sl.target == nil || sl.target.isClosed()) {
		sl.cond.Wait()
	}
	if sl.closed {
		return nil
	}
	return sl.target
}

func (sl *sharedListener) acceptLoop() {
	var delay time.Duration
	for {
		c, err := sl.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and friends: back off as net/http does, keep the socket
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay *= 2; delay > time.Second {
				delay = time.Second
			}
			time.Sleep(delay)
			continue
		}
		delay = 0
		if uc, ok := c.(*net.UnixConn); ok {
			c = unixPeer{uc}
		}
		if !sl.deliver(c) {
			return
		}
	}
}

// deliver hands c to the current target; false when the socket is closed.
func (sl *sharedListener) deliver(c net.Conn) bool {
	for {
		h := sl.current()
		if h == nil {
			_ = c.Close()
			return false
		}
		select {
		case h.conns <- c:
			return true
		case <-h.done: // that Site stopped meanwhile: the next one takes it
		}
	}
}

// handoff is a Site's view of a shared socket: a net.Listener whose Close detaches the Site
// and leaves the socket bound.
type handoff struct {
	sl    *sharedListener
	ka    KeepAlive
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	// accepted is called for each connection handed out, before Accept returns it;
	// unaccepted undoes it for one handed on to the next Site instead.
	accepted, unaccepted func()
}

func (h *handoff) Accept() (net.Conn, error) {
	select {
	case c := <-h.conns:
		// Counted first, then checked: a Site that closed its handoff and then finds no
		// connection counted never gets one after (it goes to the next Site).
		if h.accepted != nil {
			h.accepted()
		}
		if h.isClosed() {
			if h.unaccepted != nil {
				h.unaccepted()
			}
			go h.sl.deliver(c)
			return nil, fmt.Errorf("accept on %s: %w", h.sl.addr, net.ErrClosed)
		}
		if tc, ok := c.(*net.TCPConn); ok && h.ka.On {
			lc := h.ka.listenConfig()
			_ = tc.SetKeepAliveConfig(lc.KeepAliveConfig)
		}
		return c, nil
	case <-h.done:
		return nil, fmt.Errorf("accept on %s: %w", h.sl.addr, net.ErrClosed)
	}
}

func (h *handoff) Close() error {
	h.once.Do(func() {
		close(h.done)
		h.sl.mu.Lock()
		h.sl.cond.Broadcast()
		h.sl.mu.Unlock()
	})
	return nil
}

func (h *handoff) isClosed() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

func (h *handoff) Addr() net.Addr { return h.sl.ln.Addr() }

// unixPeer is a connection accepted on a unix domain socket, whose peer nginx names
// "unix:" ($remote_addr, the error log's client).
type unixPeer struct{ *net.UnixConn }

func (u unixPeer) RemoteAddr() net.Addr { return &net.UnixAddr{Name: "unix:", Net: "unix"} }
