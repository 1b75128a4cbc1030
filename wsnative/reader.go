package wsnative

import (
	"encoding/binary"
	"io"
	"math"
)

// smallBufSize is the buffer every Reader carries inline. A frame that fits
// (header and payload) is read and returned from it with no allocation;
// bigger frames move to a pooled buffer for as long as they are in use.
const smallBufSize = 512

// maxEmptyReads bounds how often a broken io.Reader may return (0, nil)
// before ReadFrame gives up with io.ErrNoProgress.
const maxEmptyReads = 100

// Frame is one frame as received (RFC 6455 section 5.2), payload unmasked.
type Frame struct {
	Fin    bool
	Opcode byte
	// Payload aliases the Reader's buffer: it is valid until the next
	// ReadFrame or Release. For a close frame with a body it is the reason
	// that follows the status code.
	Payload []byte
	// CloseCode is the status code of a close frame with a body; HasCode
	// says whether there was one (section 5.5.1).
	CloseCode int
	HasCode   bool
	// Masked is the frame's mask bit.
	Masked bool
	// RSV1 is the first reserved bit, set on the first frame of a
	// compressed message when permessage-deflate is in use (only seen when
	// the Reader's AllowRSV1 is set; otherwise it is an error).
	RSV1 bool
}

// Reader reads frames from a stream, with the checks of upstream's
// recv_frame in the same order.
//
// It reads as much as the stream offers into an inline buffer, so a small
// frame costs one read call and several small frames that arrive together
// cost one between them. A frame that does not fit moves to a pooled buffer,
// or to one of its own when it is bigger than the largest pooled size; that
// buffer goes back to the pool when the next frame begins on an empty
// buffer, or on Release, so an idle Reader holds no buffer beyond its own.
//
// Unlike a cosocket, a Reader can resume: if the stream times out in the
// middle of a frame, ReadFrame returns an [*IOError] whose Timeout is true,
// keeps the bytes it has, and the next ReadFrame carries on with the same
// frame. Every other error is final and returned again by later calls.
//
// A Reader must not be copied after first use.
type Reader struct {
	src   io.Reader
	buf   []byte // small[:], or a pooled or one-off buffer
	class int    // pool class of buf; -1 when buf is small or one-off
	r, w  int    // buf[r:w] is read but not yet consumed
	err   error  // final error, returned by every later call
	// AllowRSV1 accepts frames with RSV1 set (permessage-deflate, RFC 7692).
	AllowRSV1 bool
	perr      error // an error that came along with enough data, for the next read
	small     [smallBufSize]byte
}

// NewReader returns a Reader of frames from src.
func NewReader(src io.Reader) *Reader {
	r := &Reader{src: src, class: -1}
	r.buf = r.small[:]
	return r
}

// Buffered returns the number of bytes read from the stream but not yet
// returned as part of a frame.
func (r *Reader) Buffered() int { return r.w - r.r }

// Release gives a pooled buffer back when the unread bytes fit the inline
// buffer (always the case between frames unless a timeout left a big
// partial frame). The Payload of the last frame becomes invalid.
func (r *Reader) Release() {
	if r.isSmall() || r.w-r.r > len(r.small) {
		return
	}
	n := copy(r.small[:], r.buf[r.r:r.w])
	putBuf(r.buf, r.class)
	r.buf, r.class, r.r, r.w = r.small[:], -1, 0, n
}

func (r *Reader) isSmall() bool { return &r.buf[0] == &r.small[0] }

// ReadFrame reads the next frame. maxPayload bounds the payload length
// (upstream's max_recv_len); forceMask rejects unmasked frames, as a server
// must (section 5.1).
//
// The checks run in upstream's order: RSV bits, reserved opcodes, masking,
// the extended length, the control-frame rules (section 5.5), maxPayload,
// and for a close frame the 2-byte status code. A non-final data frame is
// returned as it is, with Fin false.
//
// The whole frame is held in memory before it is returned: a peer may make
// the Reader allocate up to maxPayload bytes with a 10-byte header.
func (r *Reader) ReadFrame(maxPayload int64, forceMask bool) (Frame, error) {
	if r.err != nil {
		return Frame{}, r.err
	}
	if r.r == r.w {
		if !r.isSmall() {
			r.Release()
		}
		// Start the next frame at the front: a read then has the whole buffer, and a
		// small frame never straddles its end (at 512 bytes and 70-byte frames, every
		// eighth frame took two reads).
		r.r, r.w = 0, 0
	}
	if err := r.fill(2, StageFirst2); err != nil {
		return Frame{}, err
	}
	b0, b1 := r.buf[r.r], r.buf[r.r+1]
	fin := b0&0x80 != 0
	op := b0 & 0x0f
	masked := b1&0x80 != 0
	rsv := b0 & 0x70
	if r.AllowRSV1 {
		rsv &^= 0x40
	}
	switch {
	case rsv != 0:
		return Frame{}, r.fail(ErrBadRSV)
	case op >= 0x3 && op <= 0x7:
		return Frame{}, r.fail(ErrReservedNonControl)
	case op >= 0xb:
		return Frame{}, r.fail(ErrReservedControl)
	case forceMask && !masked:
		return Frame{}, r.fail(ErrUnmasked)
	}

	hdr := 2
	n := int64(b1 & 0x7f)
	switch n {
	case 126:
		if err := r.fill(4, StageLen16); err != nil {
			return Frame{}, err
		}
		n = int64(binary.BigEndian.Uint16(r.buf[r.r+2:]))
		hdr = 4
	case 127:
		if err := r.fill(10, StageLen64); err != nil {
			return Frame{}, err
		}
		u := binary.BigEndian.Uint64(r.buf[r.r+2:])
		// Upstream takes 31 bits: the top 33 must be zero.
		if u>>31 != 0 {
			return Frame{}, r.fail(ErrLenTooLarge)
		}
		n = int64(u)
		hdr = 10
	}
	if isControl(op) {
		if n > 125 {
			return Frame{}, r.fail(ErrControlTooLong)
		}
		if !fin {
			return Frame{}, r.fail(ErrFragmentedControl)
		}
	}
	if n > maxPayload {
		return Frame{}, r.fail(ErrExceedMax)
	}
	if masked {
		hdr += 4
	}
	if n > math.MaxInt-int64(hdr) { // only on 32-bit platforms
		return Frame{}, r.fail(ErrLenTooLarge)
	}
	total := hdr + int(n)
	if err := r.fill(total, StagePayload); err != nil {
		return Frame{}, err
	}

	p := r.buf[r.r+hdr : r.r+total : r.r+total]
	if masked {
		Mask([4]byte(r.buf[r.r+hdr-4:r.r+hdr]), 0, p)
	}
	r.r += total
	f := Frame{Fin: fin, Opcode: op, Payload: p, Masked: masked, RSV1: b0&0x40 != 0}
	if op == OpClose {
		code, reason, ok, err := ParseClosePayload(p)
		if err != nil {
			return Frame{}, r.fail(err)
		}
		f.CloseCode, f.Payload, f.HasCode = code, reason, ok
	}
	return f, nil
}

// fail makes err final.
func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

// fill reads until need bytes from r.r on are buffered. A stream error is
// reported as an *IOError of the given stage; the bytes already read stay.
func (r *Reader) fill(need int, stage string) error {
	empty := 0
	for r.w-r.r < need {
		if r.r+need > len(r.buf) {
			r.makeRoom(need)
		}
		var n int
		err := r.perr
		if err != nil {
			r.perr = nil
		} else {
			n, err = r.src.Read(r.buf[r.w:])
			r.w += n
		}
		if err != nil {
			if r.w-r.r >= need {
				// Enough came with the error: report it on the next read,
				// unless it was a timeout, which would be stale by then.
				if Reason(err) != "timeout" {
					r.perr = err
				}
				return nil
			}
			e := &IOError{Stage: stage, Reason: Reason(err), Err: err}
			if !e.Timeout() {
				r.err = e
			}
			return e
		}
		if n == 0 {
			if empty++; empty >= maxEmptyReads {
				e := &IOError{Stage: stage, Reason: Reason(io.ErrNoProgress), Err: io.ErrNoProgress}
				r.err = e
				return e
			}
		}
	}
	return nil
}

// makeRoom makes buf[r:] at least need bytes long: by moving the unread bytes
// to the front when buf is big enough, otherwise by moving them to a new
// buffer.
func (r *Reader) makeRoom(need int) {
	pending := r.buf[r.r:r.w]
	if need <= len(r.buf) {
		copy(r.buf, pending)
		r.r, r.w = 0, len(pending)
		return
	}
	nb, class := getBuf(need)
	copy(nb, pending)
	if !r.isSmall() {
		putBuf(r.buf, r.class)
	}
	r.buf, r.class, r.r, r.w = nb, class, 0, len(pending)
}

// FrameBuffered reports whether the next ReadFrame can return without reading from the
// stream: a whole frame (header, masking key and payload) is buffered, or the Reader has
// already failed. It does not check the frame; ReadFrame does.
func (r *Reader) FrameBuffered() bool {
	if r.err != nil {
		return true
	}
	b := r.buf[r.r:r.w]
	if len(b) < 2 {
		return false
	}
	hdr, n := 2, uint64(b[1]&0x7f)
	switch n {
	case 126:
		if len(b) < 4 {
			return false
		}
		hdr, n = 4, uint64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		if len(b) < 10 {
			return false
		}
		hdr, n = 10, binary.BigEndian.Uint64(b[2:])
	}
	if b[1]&0x80 != 0 {
		hdr += 4
	}
	return len(b) >= hdr && uint64(len(b)-hdr) >= n
}
