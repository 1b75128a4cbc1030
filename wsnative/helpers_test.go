package wsnative

import (
	"errors"
	"io"
	"os"
)

// timeoutErr is a net.Error that reports a timeout, as a conn with an expired
// deadline would, without being os.ErrDeadlineExceeded.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// stepReader serves data at most chunk bytes a Read, and fails once with
// stall when the stream reaches byte position stallAt (if stallAt >= 0).
type stepReader struct {
	data    []byte
	pos     int
	chunk   int
	stallAt int
	stall   error
	reads   int
}

func (s *stepReader) Read(p []byte) (int, error) {
	s.reads++
	if s.stallAt >= 0 && s.pos == s.stallAt {
		s.stallAt = -1
		return 0, s.stall
	}
	if s.pos == len(s.data) {
		return 0, io.EOF
	}
	n := len(p)
	if s.chunk > 0 && n > s.chunk {
		n = s.chunk
	}
	if s.stallAt > s.pos && n > s.stallAt-s.pos {
		n = s.stallAt - s.pos
	}
	n = copy(p[:n], s.data[s.pos:])
	s.pos += n
	return n, nil
}

func newStepReader(data []byte, chunk, stallAt int, stall error) *stepReader {
	return &stepReader{data: data, chunk: chunk, stallAt: stallAt, stall: stall}
}

// loopReader serves the same bytes forever, as a fast peer would.
type loopReader struct {
	data []byte
	pos  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.pos:])
		n += c
		l.pos = (l.pos + c) % len(l.data)
	}
	return n, nil
}

// failWriter accepts limit bytes, then fails.
type failWriter struct {
	limit int
	got   []byte
}

var errWriteFailed = errors.New("write failed")

func (f *failWriter) Write(p []byte) (int, error) {
	room := f.limit - len(f.got)
	if len(p) <= room {
		f.got = append(f.got, p...)
		return len(p), nil
	}
	f.got = append(f.got, p[:room]...)
	return room, errWriteFailed
}

var _ = os.ErrDeadlineExceeded

// key is the masking key used throughout the tests.
var key = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// payloadOf returns n bytes of a recognisable pattern.
func payloadOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}
