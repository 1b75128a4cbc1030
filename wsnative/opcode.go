package wsnative

// Frame opcodes, RFC 6455 section 5.2. Opcodes 0x3-0x7 are reserved for
// further non-control frames and 0xB-0xF for further control frames.
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xa
)

// Close status codes, RFC 6455 section 7.4.1. Codes 1005, 1006 and 1015 are
// for reporting only: an endpoint must not put them in a close frame.
const (
	CloseNormal             = 1000
	CloseGoingAway          = 1001
	CloseProtocolError      = 1002
	CloseUnsupportedData    = 1003
	CloseNoStatus           = 1005
	CloseAbnormal           = 1006
	CloseInvalidPayload     = 1007
	ClosePolicyViolation    = 1008
	CloseMessageTooBig      = 1009
	CloseMandatoryExtension = 1010
	CloseInternalError      = 1011
	CloseTLSHandshake       = 1015
)

// OpName returns the name lua-resty-websocket gives a frame type: the second
// value of recv_frame. It returns "" for reserved opcodes.
func OpName(op byte) string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return ""
}

// isControl reports whether op is a control opcode (section 5.5): those
// with the high bit of the 4-bit opcode set.
func isControl(op byte) bool { return op&0x8 != 0 }
