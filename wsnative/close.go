package wsnative

import "encoding/binary"

// AppendClosePayload appends the body of a close frame (RFC 6455 section
// 5.5.1): the status code as two bytes in network order, then the reason.
// code is truncated to 16 bits; callers check its range.
func AppendClosePayload(dst []byte, code int, reason []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}

// ParseClosePayload splits the body of a close frame into its status code and
// reason (section 5.5.1). An empty body has no code; a 1-byte body is
// [ErrCloseBody]. Like upstream, it does not check the code's range or the
// reason's UTF-8. reason aliases p.
func ParseClosePayload(p []byte) (code int, reason []byte, hasCode bool, err error) {
	switch len(p) {
	case 0:
		return 0, p, false, nil
	case 1:
		return 0, nil, false, ErrCloseBody
	}
	return int(binary.BigEndian.Uint16(p)), p[2:], true, nil
}
