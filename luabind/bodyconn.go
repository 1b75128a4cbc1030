package luabind

import (
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// bodyConn makes the request body readable through the socket methods (ngx.req.socket()):
// reads come from the body; writes are refused; the request's killAll cuts a read short.
//
// A read deadline (the socket's timeout) is kept here rather than set on the connection:
// net/http treats a failed body read as the end of the connection (it cancels the request).
// So a read with a deadline runs in the background, and when the deadline passes first the
// read stays in flight: its bytes are the next read's, as a reread after a timeout gets the
// bytes that arrived meanwhile under nginx.
type bodyConn struct {
	net.Conn // nil: only the methods below are used
	body     io.ReadCloser
	r        *request
	rc       readCutter

	deadline time.Time
	inFlight chan bodyChunk // a read that outlived its deadline
	left     []byte         // what a background read got beyond the caller's buffer
	leftErr  error          // and the error that came with it, for after those bytes
}

type bodyChunk struct {
	b   []byte
	err error
}

func (b *bodyConn) Read(p []byte) (n int, err error) {
	if b.body == nil {
		return 0, io.EOF
	}
	if len(b.left) > 0 {
		n = copy(p, b.left)
		b.left = b.left[n:]
		return n, nil
	}
	if b.leftErr != nil {
		err, b.leftErr = b.leftErr, nil
		return 0, err
	}
	if b.inFlight == nil && b.deadline.IsZero() {
		b.r.readBodyCuttable(b.rc, func() { n, err = b.body.Read(p) })
		return n, err
	}
	if b.inFlight == nil {
		ch := make(chan bodyChunk, 1)
		buf := make([]byte, len(p))
		go func() {
			n, err := b.body.Read(buf)
			ch <- bodyChunk{b: buf[:n], err: err}
		}()
		b.inFlight = ch
	}
	var expired <-chan time.Time
	if !b.deadline.IsZero() {
		t := time.NewTimer(time.Until(b.deadline))
		defer t.Stop()
		expired = t.C
	}
	b.r.readBodyCuttable(b.rc, func() {
		select {
		case c := <-b.inFlight:
			b.inFlight = nil
			n = copy(p, c.b)
			err = c.err
			if n < len(c.b) { // p is smaller than the read's buffer: the rest is the next read's
				b.left, b.leftErr, err = c.b[n:], err, nil
			}
		case <-expired:
			err = os.ErrDeadlineExceeded
		}
	})
	return n, err
}

func (*bodyConn) Write([]byte) (int, error) { return 0, errors.New("not supported") }
func (*bodyConn) Close() error              { return nil }

func (b *bodyConn) SetDeadline(t time.Time) error { return b.SetReadDeadline(t) }

func (b *bodyConn) SetReadDeadline(t time.Time) error {
	b.deadline = t
	return nil
}

func (*bodyConn) SetWriteDeadline(time.Time) error { return nil }
