package wsnative

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
)

// maxSendLen is the longest payload upstream's frame builder encodes: it
// writes the 64-bit length with only 31 bits in use.
const maxSendLen = 0x7fffffff

// copyLimit is the largest unmasked frame WriteFrame copies into one buffer
// for a single Write; longer payloads go out as they are, beside the header,
// with writev where the writer supports it.
const copyLimit = class0Size

// vecWrite holds what a gathered write of header and payload needs, pooled
// so that building the net.Buffers does not allocate.
type vecWrite struct {
	hdr  [maxHeaderLen]byte
	arr  [2][]byte
	bufs net.Buffers
}

var vecPool = sync.Pool{New: func() any { return new(vecWrite) }}

// FrameLen returns the length of a frame with a payload of n bytes (header included).
func FrameLen(n int, masked bool) int { return headerLen(n, masked) + n }

// headerLen returns the length of the header AppendHeader writes.
func headerLen(length int, masked bool) int {
	n := 2
	switch {
	case length > 0xffff:
		n += 8
	case length > 125:
		n += 2
	}
	if masked {
		n += 4
	}
	return n
}

// AppendHeader appends a frame header (RFC 6455 section 5.2) with the
// shortest length encoding, and key when masked. length must not be
// negative.
// FlagRSV1 may be or-ed into the opcode given to AppendHeader, AppendFrame
// and WriteFrame to set the frame's RSV1 bit (a compressed message's first
// frame, RFC 7692).
const FlagRSV1 = 0x40

func AppendHeader(dst []byte, fin bool, opcode byte, length int, masked bool, key [4]byte) []byte {
	b0 := opcode & (0x0f | FlagRSV1)
	if fin {
		b0 |= 0x80
	}
	var b1 byte
	if masked {
		b1 = 0x80
	}
	switch {
	case length <= 125:
		dst = append(dst, b0, b1|byte(length))
	case length <= 0xffff:
		dst = append(dst, b0, b1|126, byte(length>>8), byte(length))
	default:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(length))
	}
	if masked {
		dst = append(dst, key[:]...)
	}
	return dst
}

// AppendFrame appends a whole frame: its header, then payload, masked with
// key when masked (section 5.3). payload itself is left as it is.
func AppendFrame(dst []byte, fin bool, opcode byte, payload []byte, masked bool, key [4]byte) []byte {
	dst = AppendHeader(dst, fin, opcode, len(payload), masked, key)
	start := len(dst)
	dst = append(dst, payload...)
	if masked {
		Mask(key, 0, dst[start:])
	}
	return dst
}

// CheckSend validates an outgoing frame as upstream's send_frame does, in its
// order: the caller's limit (ErrSendTooBig), then for a control frame its
// length (ErrSendControlTooLong) and FIN (ErrFragmentedControl), then the
// 31-bit limit of upstream's frame builder (ErrFrameTooBig).
func CheckSend(fin bool, opcode byte, length int, maxPayload int64) error {
	if int64(length) > maxPayload {
		return ErrSendTooBig
	}
	if isControl(opcode) {
		if length > 125 {
			return ErrSendControlTooLong
		}
		if !fin {
			return ErrFragmentedControl
		}
	}
	if int64(length) > maxSendLen {
		return ErrFrameTooBig
	}
	return nil
}

// WriteFrame writes one frame to w and returns the number of bytes w
// accepted. It does not call CheckSend.
//
// A small frame, or any masked frame up to 64 KiB, is built in one pooled
// buffer and written with one Write. A longer unmasked payload is written in
// place after its header (one writev on a *net.TCPConn); a longer masked one
// is masked piece by piece through a pooled buffer, one Write a piece.
func WriteFrame(w io.Writer, fin bool, opcode byte, payload []byte, masked bool, key [4]byte) (int, error) {
	hl := headerLen(len(payload), masked)
	total := hl + len(payload)
	if total <= copyLimit || (masked && total <= class2Size) {
		buf, class := getBuf(total)
		b := AppendFrame(buf[:0], fin, opcode, payload, masked, key)
		n, err := w.Write(b)
		putBuf(buf, class)
		return n, err
	}
	if !masked {
		v := vecPool.Get().(*vecWrite)
		v.arr = [2][]byte{AppendHeader(v.hdr[:0], fin, opcode, len(payload), false, key), payload}
		v.bufs = v.arr[:]
		n, err := v.bufs.WriteTo(w)
		v.arr, v.bufs = [2][]byte{}, nil // do not keep the caller's payload alive
		vecPool.Put(v)
		return int(n), err
	}
	buf, class := getBuf(class2Size)
	defer putBuf(buf, class)
	b := AppendHeader(buf[:0], fin, opcode, len(payload), true, key)
	written, pos := 0, 0
	for len(payload) > 0 {
		start := len(b)
		b = b[:min(len(buf), start+len(payload))]
		chunk := b[start:]
		copy(chunk, payload)
		payload = payload[len(chunk):]
		pos = Mask(key, pos, chunk)
		n, err := w.Write(b)
		written += n
		if err != nil {
			return written, err
		}
		b = buf[:0]
	}
	return written, nil
}
