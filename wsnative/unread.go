package wsnative

// Unread returns (a copy of) the bytes read from the stream but not yet consumed, and forgets
// them, so that a caller switching from frames to raw reads on the same stream loses nothing.
func (r *Reader) Unread() []byte {
	if r.r == r.w {
		return nil
	}
	b := append([]byte(nil), r.buf[r.r:r.w]...)
	r.r, r.w = 0, 0
	return b
}
