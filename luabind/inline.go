package luabind

import (
	"io"
	"net"
	"os"
	"syscall"

	lua "github.com/yuin/gopher-lua"
)

// Inline I/O on a websocket's own TCP connection. lua-nginx-module tries a socket operation at
// once and goes back to its event loop only when the kernel has no data (or no room): a
// recv_frame whose bytes have arrived, or a send_frame the socket buffer takes, returns
// without yielding. luaws did the same operation with the baton released (block): a hand-over
// to the next thread in line and a wait to get the baton back, a goroutine switch or two per
// frame even when the syscall completed at once. With inline I/O the syscall runs with the
// baton held, through the connection's syscall.RawConn; only when it would block (EAGAIN) is
// the baton released, and the poller waits for readiness as net.Conn's own Read and Write do
// (the readiness is reset before the first attempt, so nothing that arrives after it is
// missed). Deadlines, and a kill expiring them, apply as on the net.Conn.

// inlineFrameMax is the largest frame send_frame writes inline: wsnative.WriteFrame copies
// it into one pooled buffer and makes one write (bigger unmasked frames go out as a writev of
// header and payload, which only the net.Conn does in one syscall).
const inlineFrameMax = 4096

// inlineIO is a socket's raw access to its TCP connection, nil for any other connection.
type inlineIO struct {
	conn *net.TCPConn
	rc   syscall.RawConn

	t       *lthread // the thread whose inline operation is under way (baton-guarded), else nil
	reading bool     // that operation is a recv_frame: the socket's reads are inline

	// the operation's buffer and results, so that the callbacks (made once) allocate nothing
	p       []byte
	n       int
	err     error
	readFn  func(fd uintptr) bool
	writeFn func(fd uintptr) bool
}

func newInlineIO(c net.Conn) *inlineIO {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	in := &inlineIO{conn: tc, rc: rc}
	in.readFn = in.doRead
	in.writeFn = in.doWrite
	return in
}

func (in *inlineIO) doRead(fd uintptr) bool {
	for {
		n, err := syscall.Read(int(fd), in.p)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			in.t.yieldInline()
			return false
		}
		in.n, in.err = max(n, 0), err
		return true
	}
}

func (in *inlineIO) doWrite(fd uintptr) bool {
	for in.n < len(in.p) {
		n, err := syscall.Write(int(fd), in.p[in.n:])
		if n > 0 {
			in.n += n
		}
		switch err {
		case nil:
		case syscall.EINTR:
		case syscall.EAGAIN:
			in.t.yieldInline()
			return false
		default:
			in.err = err
			return true
		}
	}
	return true
}

// read is net.Conn's Read on the connection, yielding the baton only to wait.
func (in *inlineIO) read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	in.p, in.n, in.err = p, 0, nil
	rerr := in.rc.Read(in.readFn)
	n, err := in.n, in.err
	in.p, in.err = nil, nil
	if rerr != nil {
		return 0, in.opError("read", rerr)
	}
	if err != nil {
		return 0, in.opError("read", os.NewSyscallError("read", err))
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Write is net.Conn's Write on the connection, yielding the baton only to wait.
func (in *inlineIO) Write(p []byte) (int, error) {
	in.p, in.n, in.err = p, 0, nil
	rerr := in.rc.Write(in.writeFn)
	n, err := in.n, in.err
	in.p, in.err = nil, nil
	if rerr != nil {
		return n, in.opError("write", rerr)
	}
	if err != nil {
		return n, in.opError("write", os.NewSyscallError("write", err))
	}
	return n, nil
}

// opError shapes err as net.Conn's methods do (the RawConn's own say "raw-read").
func (in *inlineIO) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok {
		err = oe.Err
	}
	return &net.OpError{Op: op, Net: "tcp", Source: in.conn.LocalAddr(), Addr: in.conn.RemoteAddr(), Err: err}
}

// inlineOK says whether t may run an operation on the request socket s inline: s is a
// plain TCP websocket, and nothing is due to run when t would give up the baton (posted
// threads, a capture waiting for this subrequest, frames t held back): otherwise the
// operation takes block's way, which runs them first.
func (t *lthread) inlineOK(s *socket) bool {
	if s.inl == nil || s.ext != nil || s.inl.t != nil {
		return false
	}
	r := t.req
	if len(r.posted) > 0 || r.settle != nil {
		return false
	}
	if rs := r.sock; rs != nil && rs.wbuf != nil && rs.reader == t {
		return false
	}
	return true
}

// blockInline runs f, an operation on s (inlineOK), with the baton held; the inline reads
// and writes f makes release it (yieldInline) if they have to wait, and it is taken back
// when f returns. Like blockOn, a kill interrupts the wait and a killed thread does not start.
func (t *lthread) blockInline(L *lua.LState, s *socket, f func()) {
	t.checkYield(L)
	t.mu.Lock()
	t.blocked = s.conn
	t.mu.Unlock()
	in := s.inl
	in.t = t
	t.inlineL = L
	if t.ctx.Err() == nil {
		f()
	}
	waited := t.yielded
	if waited {
		t.yielded = false
		t.req.vm.baton.Lock()
		t.req.vm.baton.claim(t)
		t.waitL = nil
		L.G.CurrentThread = L
		t.req.vm.clock.update() // nginx refreshes its cached time on every event-loop turn
	}
	// cleared with the baton held: the other threads read in.t (inlineOK) under it
	in.t = nil
	t.inlineL = nil
	if !waited {
		// An I/O operation is a yield point for lua_max_running_time's watchdog (budget.go)
		// whether or not it had to wait: a handler echoing a client that keeps sending is
		// not a thread spinning without yielding.
		// An operation that completed at once is no event-loop turn: nginx's cached time
		// (ngx.now) stays as it was, and no clock is read.
		t.req.vm.baton.handTo(t)
	}
	t.mu.Lock()
	t.blocked = nil
	t.mu.Unlock()
}

// yieldInline gives up the baton during an inline operation that has to wait (once).
func (t *lthread) yieldInline() {
	if t.yielded {
		return
	}
	t.yielded = true
	t.waitL = t.inlineL
	t.release()
}
