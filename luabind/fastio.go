package luabind

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// The per-frame fast path of a raw request socket (a websocket's): a read or a write is
// first tried on the file descriptor with the baton kept, as nginx completes a recv or send
// that does not have to wait without going back to its event loop. Only when the socket
// would block does the thread do what block does (held-back frames written, baton released,
// deadline armed, kill made to interrupt the wait), and the runtime's poller waits for the
// descriptor, within the same RawConn call, so no readiness event is lost and no extra
// system call is made. An operation that did not wait costs no baton hand-over, no clock
// read and no deadline update; the thread still takes turns when another waits in line.
//
// Only plain TCP (or Unix) connections have one; TLS connections take the blocking path.
type fastConn struct {
	net.Conn
	rc syscall.RawConn
	s  *socket
	r  fastOp // the read under way (recv_frame: one at a time, s.reading)
	w  fastOp // the write under way (s.wmu held)
}

// fastOp is one read or write of a fastConn; its callback is bound once, so that an
// operation allocates nothing.
type fastOp struct {
	c      *fastConn
	write  bool
	t      *lthread // the thread doing it; nil between operations
	parked bool     // the thread gave the baton up to wait
	ferr   error    // why writing the held-back frames failed (yieldBaton)
	killed bool     // the thread was killed before it could wait
	called bool     // the poller has called fn

	p   []byte    // read: the buffer; write: what is left to write
	vec [2][]byte // writev: header and payload left to write
	iov [2]syscall.Iovec
	n   int
	err error
	fn  func(uintptr) bool
}

// newFastConn returns the fast path for conn, or nil when conn has no file descriptor of
// its own (TLS, a test pipe).
func newFastConn(s *socket, conn net.Conn) *fastConn {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	if _, ok := conn.(*net.TCPConn); !ok {
		if _, ok := conn.(*net.UnixConn); !ok {
			return nil
		}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	c := &fastConn{Conn: conn, rc: rc, s: s}
	c.r = fastOp{c: c}
	c.w = fastOp{c: c, write: true}
	c.r.fn = c.r.tryRead
	c.w.fn = c.w.tryWrite
	return c
}

// begin starts an operation of t, which holds the baton.
func (o *fastOp) begin(t *lthread) {
	o.t, o.parked, o.ferr, o.killed = t, false, nil, false
}

// end finishes the operation: the baton is taken back if it was given up; after an
// operation that did not wait, the thread takes turns if another waits for the baton (as
// the blocking path would have let it run), and counts a turn otherwise (so that
// lua_max_running_time sees the same turns as with a wait).
func (o *fastOp) end(L *lua.LState) {
	t := o.t
	o.t = nil
	if o.parked {
		t.mu.Lock()
		t.blocked = nil
		t.mu.Unlock()
		t.reacquire(L, o.ferr)
		return
	}
	b := &t.req.vm.baton
	switch {
	case b.contended() && (t.user == nil || t.user.handoff == nil):
		t.block(L, func() {})
	default:
		b.handTo(t)
	}
}

// wait is called when the socket would block: the first time, the thread starts to wait
// as block would. It reports false when the thread was killed (the operation then fails).
func (o *fastOp) wait() bool {
	t := o.t
	if !o.parked {
		o.parked = true
		o.ferr = t.yieldBaton()
		t.mu.Lock()
		t.blocked = o.c.Conn
		t.mu.Unlock()
	}
	return o.arm()
}

// arm sets the operation's deadline, then reports false when the thread was killed (the
// deadline is armed before the check: a kill after it expires this deadline).
func (o *fastOp) arm() bool {
	s := o.c.s
	if o.write {
		s.armDeadline(true, s.sendTimeout)
	} else {
		s.armDeadline(false, s.readTimeout)
	}
	if o.t.ctx.Err() != nil {
		o.killed = true
		return false
	}
	return true
}

// Read reads into p (the frame reader's source while a fast read is under way).
func (c *fastConn) Read(p []byte) (int, error) {
	o := &c.r
	if len(p) == 0 {
		return 0, nil
	}
	o.p, o.n, o.err = p, 0, nil
	err := o.do(c.rc.Read)
	o.p = nil
	return o.result("read", err)
}

// do runs the operation through the poller (RawConn's Read or Write). The poller refuses
// to start while the deadline an earlier operation timed out on is still set: that one is
// replaced by this operation's, and it starts again.
func (o *fastOp) do(run func(func(uintptr) bool) error) error {
	o.called = false
	err := run(o.fn)
	if err != nil && !o.called && errors.Is(err, os.ErrDeadlineExceeded) {
		if !o.arm() {
			return nil // killed: result reports it
		}
		err = run(o.fn)
	}
	return err
}

func (o *fastOp) tryRead(fd uintptr) bool {
	o.called = true
	for {
		n, err := syscall.Read(int(fd), o.p)
		switch err {
		case nil:
			o.n = n
			if n == 0 {
				o.err = io.EOF
			}
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return !o.wait()
		}
		o.err = os.NewSyscallError("read", err)
		return true
	}
}

// Write writes b whole (waiting for the socket when it is full).
func (c *fastConn) Write(b []byte) (int, error) {
	o := &c.w
	o.vec = [2][]byte{b, nil}
	return o.writeVec()
}

// WriteVec writes hdr and payload with one writev (wsnative.WriteFrame's large frames).
func (c *fastConn) WriteVec(hdr, payload []byte) (int, error) {
	o := &c.w
	o.vec = [2][]byte{hdr, payload}
	return o.writeVec()
}

func (o *fastOp) writeVec() (int, error) {
	o.n, o.err = 0, nil
	err := o.do(o.c.rc.Write)
	o.vec = [2][]byte{}
	return o.result("write", err)
}

func (o *fastOp) tryWrite(fd uintptr) bool {
	o.called = true
	for {
		var n int
		var err error
		switch {
		case len(o.vec[0]) == 0 && len(o.vec[1]) == 0:
			return true
		case len(o.vec[1]) == 0:
			n, err = syscall.Write(int(fd), o.vec[0])
		case len(o.vec[0]) == 0:
			n, err = syscall.Write(int(fd), o.vec[1])
		default:
			o.iov[0] = syscall.Iovec{Base: unsafe.SliceData(o.vec[0])}
			o.iov[0].SetLen(len(o.vec[0]))
			o.iov[1] = syscall.Iovec{Base: unsafe.SliceData(o.vec[1])}
			o.iov[1].SetLen(len(o.vec[1]))
			r, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&o.iov[0])), 2)
			n = int(r)
			if e != 0 {
				err = e
			}
			o.iov = [2]syscall.Iovec{}
		}
		if n > 0 {
			o.n += n
			for i := range o.vec {
				k := min(n, len(o.vec[i]))
				o.vec[i], n = o.vec[i][k:], n-k
			}
		}
		switch err {
		case nil:
			continue
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if !o.wait() {
				return true
			}
			return false
		}
		o.err = os.NewSyscallError("write", err)
		return true
	}
}

// result is the operation's outcome as net.Conn's Read and Write report it.
func (o *fastOp) result(op string, rawErr error) (int, error) {
	err := o.err
	switch {
	case rawErr != nil:
		err = rawErr // the poller's: deadline exceeded, or the connection closed
	case o.killed:
		err = net.ErrClosed
	}
	if err == nil || err == io.EOF {
		return o.n, err
	}
	return o.n, &net.OpError{Op: op, Net: o.c.LocalAddr().Network(), Source: o.c.LocalAddr(), Addr: o.c.RemoteAddr(), Err: err}
}
