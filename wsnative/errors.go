package wsnative

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// Protocol errors returned by [Reader.ReadFrame]. Their text is exactly what
// lua-resty-websocket's recv_frame returns for the same violation.
var (
	// ErrBadRSV: a reserved bit is set and no extension was negotiated
	// (section 5.2).
	ErrBadRSV = errors.New("bad RSV1, RSV2, or RSV3 bits")
	// ErrReservedNonControl: opcode 0x3-0x7 (section 5.2).
	ErrReservedNonControl = errors.New("reserved non-control frames")
	// ErrReservedControl: opcode 0xB-0xF (section 5.2).
	ErrReservedControl = errors.New("reserved control frames")
	// ErrUnmasked: a client sent an unmasked frame (section 5.1).
	ErrUnmasked = errors.New("frame unmasked")
	// ErrLenTooLarge: a 64-bit length that does not fit 31 bits, the most
	// OpenResty accepts.
	ErrLenTooLarge = errors.New("payload len too large")
	// ErrControlTooLong: a control frame with more than 125 bytes of
	// payload (section 5.5).
	ErrControlTooLong = errors.New("too long payload for control frame")
	// ErrFragmentedControl: a control frame without FIN (section 5.5). The
	// sending side reports the same text.
	ErrFragmentedControl = errors.New("fragmented control frame")
	// ErrExceedMax: the payload is longer than the caller's limit.
	ErrExceedMax = errors.New("exceeding max payload len")
	// ErrCloseBody: a close frame with a 1-byte body (section 5.5.1).
	ErrCloseBody = errors.New("close frame with a body must carry a 2-byte status code")
)

// Errors returned by [CheckSend], with the text of upstream's send_frame.
var (
	// ErrSendTooBig: the payload is longer than the caller's limit.
	ErrSendTooBig = errors.New("payload too big")
	// ErrSendControlTooLong: a control frame with more than 125 bytes.
	ErrSendControlTooLong = errors.New("too much payload for control frame")
	// ErrFrameTooBig: a payload longer than 2^31-1 bytes, which upstream's
	// frame builder refuses.
	ErrFrameTooBig = errors.New("failed to build frame: payload too big")
)

// Stages of reading a frame, as named in upstream's recv_frame errors.
const (
	StageFirst2  = "failed to receive the first 2 bytes"
	StageLen16   = "failed to receive the 2 byte payload length"
	StageLen64   = "failed to receive the 8 byte payload length"
	StagePayload = "failed to read masking-len and payload"
)

// IOError is a failure of the underlying stream while a frame was being read.
// Its text is Stage + ": " + Reason, e.g. "failed to receive the first 2
// bytes: timeout", which is what upstream's recv_frame returns.
type IOError struct {
	Stage  string // one of the Stage constants
	Reason string // Reason(Err)
	Err    error  // the error of the underlying reader
}

func (e *IOError) Error() string { return e.Stage + ": " + e.Reason }

// Unwrap returns the error of the underlying reader.
func (e *IOError) Unwrap() error { return e.Err }

// Timeout reports whether the read timed out. A timed-out [Reader] may be
// read again; any other I/O error is final.
func (e *IOError) Timeout() bool { return e.Reason == "timeout" }

// Reason returns the word lua-nginx-module's cosockets report for a failed
// read or write: "timeout" for an expired deadline, "closed" when the peer
// or the local side closed the stream, the lower-cased strerror text of a
// system error ("connection reset by peer", "broken pipe"), and "error" for
// anything else.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "timeout"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe) {
		return "closed"
	}
	// Checked before net.Error's Timeout: ETIMEDOUT says Timeout() true, but
	// nginx reports it as "connection timed out", not as a cosocket timeout.
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return strings.ToLower(errno.Error())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "error"
}
