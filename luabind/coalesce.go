package luabind

import (
	"sync"
	"time"
)

// Hot-path helpers of the socket: lazily re-armed deadlines, and websocket frames a handler
// sends while more input is already buffered, written together.

// lazyDelay is nginx's NGX_TIMER_LAZY_DELAY: nginx leaves an armed timer alone when the new
// expiry differs from it by less than this, so a timeout may fire that much early. Re-arming a
// Go deadline on every call costs a clock read and a runtime timer update; like nginx, a
// socket re-arms only when the deadline moved by more than min(lazyDelay, timeout/8).
const lazyDelay = 300 * time.Millisecond

// coarseDeadline rounds a read deadline of timeout d up to the next multiple of a granule
// (d/16, at most readGranuleMax) on the process's monotonic clock, so that it fires up to
// that much late and never early. nginx gets the same effect from its cached clock: every
// timer armed during one event-loop turn expires at the same millisecond, so the timeouts of
// thousands of idle websockets fire in batches, and each batch's pings are written and their
// pongs read in one wake-up. Deadlines at distinct instants cost a wake-up of the process (and
// of the peer) per timeout: at 10,000 idle websockets with 5 s timeouts that was about half of
// luaws's idle CPU. The deadline is given, and returned, as its offset from monoStart.
func coarseDeadline(want, d time.Duration) time.Duration {
	g := min(d/16, readGranuleMax)
	if g <= 0 {
		return want
	}
	if r := want % g; r > 0 {
		want += g - r
	}
	return want
}

// readGranuleMax bounds how late coarseDeadline makes a read timeout fire.
const readGranuleMax = 250 * time.Millisecond

// armedDeadline is the deadline last set on a socket's connection for one direction.
type armedDeadline struct {
	at    time.Duration // the deadline as an offset from monoStart on the monotonic clock, 0 for none
	epoch uint32        // the request's kill epoch when set: a kill expires deadlines behind our back
	set   bool
}

// maxTimeout bounds a timeout so that now + timeout stays an offset (146 years: none fires).
const maxTimeout = time.Duration(1 << 62)

// armDeadline sets the read (or write) deadline to now + d (none for d <= 0), unless the
// armed one is already within the lazy delay of that. "now" is one read of the monotonic
// clock (the deadline Go's poller compares against), not time.Now's wall and monotonic pair:
// this runs before every frame a websocket reads or writes.
func (s *socket) armDeadline(write bool, d time.Duration) {
	a := &s.rdl
	if write {
		a = &s.wdl
	}
	epoch := s.req.killEpoch.Load()
	var want time.Duration
	if d > 0 {
		want = time.Since(monoStart) + min(d, maxTimeout)
		if !write {
			want = coarseDeadline(want, d)
		}
	}
	if a.set && a.epoch == epoch {
		if want == 0 && a.at == 0 {
			return
		}
		if want != 0 && a.at != 0 {
			if diff := want - a.at; diff >= 0 && diff < min(lazyDelay, d/8) {
				return
			}
		}
	}
	var at time.Time // the zero time: no deadline
	if want != 0 {
		at = monoStart.Add(want)
	}
	if write {
		_ = s.conn.SetWriteDeadline(at)
	} else {
		_ = s.conn.SetReadDeadline(at)
	}
	*a = armedDeadline{at: want, epoch: epoch, set: true}
}

// forgetDeadlines is for code that sets the connection's deadlines directly (or replaces
// the connection): the next armDeadline sets them again.
func (s *socket) forgetDeadlines() { s.rdl, s.wdl = armedDeadline{}, armedDeadline{} }

// Coalescing. A frame sent by the light thread that reads the socket while a whole further
// frame is already buffered goes to wbuf instead of the wire: that thread's next recv_frame
// returns at once, and its reply joins the same write. wbuf is written
//   - with the next frame that is not coalesced (by any thread), in one write;
//   - before the thread blocks on anything (recv_frame with nothing buffered, ngx.sleep,
//     a cosocket, a semaphore: lthread.block);
//   - when the thread ends, and when the socket is closed;
//
// so nothing waits for longer than the handler takes to process the input already received.
const (
	coalesceFrameMax = 4096     // bigger frames go out on their own
	coalesceBufMax   = 16 << 10 // at most this much waits in wbuf
)

var coalescePool = sync.Pool{New: func() any { b := make([]byte, 0, coalesceBufMax); return &b }}

// canCoalesce says whether t may hold back a frame of n bytes on s.
func (s *socket) canCoalesce(t *lthread, n int) bool {
	if s.reader != t || s != s.req.sock || s.writing > 0 || n > coalesceFrameMax || s.frames == nil {
		return false
	}
	if s.wbuf != nil && len(*s.wbuf)+n > coalesceBufMax {
		return false
	}
	return s.frames.FrameBuffered()
}

// pending returns the held-back frames and forgets them (their buffer goes back with
// releasePending); nil when there are none.
func (s *socket) pending() *[]byte {
	b := s.wbuf
	s.wbuf = nil
	return b
}

func releasePending(b *[]byte) {
	if b != nil {
		*b = (*b)[:0]
		coalescePool.Put(b)
	}
}

// flushNow writes the held-back frames with the baton held (the socket is being closed, or
// the thread that would have flushed them ends). Small, and only held back while the peer was
// sending to us, they normally fit the socket buffer at once.
func (s *socket) flushNow() {
	b := s.pending()
	if b == nil || s.conn == nil || s.closed {
		releasePending(b)
		return
	}
	s.wmu.Lock()
	s.armDeadline(true, s.sendTimeout)
	_, err := s.conn.Write(*b)
	s.wmu.Unlock()
	releasePending(b)
	if err != nil && s.werr == nil {
		s.werr = err
	}
}

// flushBeforeBlock takes the request socket's held-back frames before t releases the baton,
// and returns the function that writes them (baton released), or nil. It takes the socket's
// write lock now, so that a frame another thread sends meanwhile goes out after them.
func (t *lthread) flushBeforeBlock() func() error {
	s := t.req.sock
	if s == nil || s.wbuf == nil || s.reader != t {
		return nil
	}
	if s.closed || s.conn == nil || !s.wmu.TryLock() {
		return nil // a write is under way: the frames go with the next send, or at close
	}
	b := s.pending()
	s.armDeadline(true, s.sendTimeout)
	return func() error {
		_, err := s.conn.Write(*b)
		s.wmu.Unlock()
		releasePending(b)
		return err
	}
}

// threadEnded writes what t held back: as its last act, or before it gives up the baton
// (release) other than through block.
func (t *lthread) threadEnded() {
	if s := t.req.sock; s != nil && s.wbuf != nil && s.reader == t {
		s.flushNow()
	}
}
