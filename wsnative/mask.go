package wsnative

import (
	"encoding/binary"
	"math/rand/v2"
)

// Mask XORs b in place with the masking key (RFC 6455 section 5.3), taking
// b[0] to be at offset pos of the masked payload, and returns the offset that
// follows b, so a payload can be masked in pieces. It works a machine word
// at a time.
func Mask(key [4]byte, pos int, b []byte) int {
	pos &= 3
	if len(b) >= 8 {
		// The key rotated so that its byte for b[0] comes first, in the
		// little-endian order of the word loads below.
		k := uint32(key[pos]) | uint32(key[(pos+1)&3])<<8 |
			uint32(key[(pos+2)&3])<<16 | uint32(key[(pos+3)&3])<<24
		kw := uint64(k) | uint64(k)<<32
		for len(b) >= 32 {
			v := b[:32]
			binary.LittleEndian.PutUint64(v[0:], binary.LittleEndian.Uint64(v[0:])^kw)
			binary.LittleEndian.PutUint64(v[8:], binary.LittleEndian.Uint64(v[8:])^kw)
			binary.LittleEndian.PutUint64(v[16:], binary.LittleEndian.Uint64(v[16:])^kw)
			binary.LittleEndian.PutUint64(v[24:], binary.LittleEndian.Uint64(v[24:])^kw)
			b = b[32:]
		}
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^kw)
			b = b[8:]
		}
		// Whole words keep pos where it was.
	}
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

// NewMaskKey returns a fresh masking key for a client frame.
//
// Section 10.3 asks that keys be unpredictable to the application (so it
// cannot steer the bytes on the wire to poison intermediaries), not secret.
// math/rand/v2's top-level source is the runtime's per-thread ChaCha8,
// seeded from the operating system: unpredictable in that sense, and a few
// nanoseconds a key with no system call, which matters for one key per
// frame. (Upstream uses LuaJIT's unseeded math.random.)
func NewMaskKey() [4]byte {
	var k [4]byte
	binary.LittleEndian.PutUint32(k[:], rand.Uint32())
	return k
}
