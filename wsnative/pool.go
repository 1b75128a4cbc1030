package wsnative

import "sync"

// maxHeaderLen is the longest frame header: 2 bytes, an 8-byte length and a
// 4-byte masking key (section 5.2).
const maxHeaderLen = 14

// Pooled buffers come in three sizes, each with room for a frame header:
// up to 4 KiB, 16 KiB and 64 KiB of payload (64 KiB covers upstream's
// default max_payload_len of 65535). Bigger frames get a buffer of their own.
const (
	class0Size = 4096
	class1Size = 16<<10 + maxHeaderLen
	class2Size = 64<<10 + maxHeaderLen
)

// Pointers to arrays, not slices, so Get and Put do not allocate.
var pools = [3]sync.Pool{
	{New: func() any { return new([class0Size]byte) }},
	{New: func() any { return new([class1Size]byte) }},
	{New: func() any { return new([class2Size]byte) }},
}

// getBuf returns a buffer of at least n bytes and its pool class, or -1 for a
// one-off buffer of exactly n bytes.
func getBuf(n int) ([]byte, int) {
	switch {
	case n <= class0Size:
		return pools[0].Get().(*[class0Size]byte)[:], 0
	case n <= class1Size:
		return pools[1].Get().(*[class1Size]byte)[:], 1
	case n <= class2Size:
		return pools[2].Get().(*[class2Size]byte)[:], 2
	}
	return make([]byte, n), -1
}

// putBuf gives a buffer from getBuf back to its pool. b must have the full
// length getBuf gave it.
func putBuf(b []byte, class int) {
	switch class {
	case 0:
		pools[0].Put((*[class0Size]byte)(b))
	case 1:
		pools[1].Put((*[class1Size]byte)(b))
	case 2:
		pools[2].Put((*[class2Size]byte)(b))
	}
}
