package wsnative

import (
	"bytes"
	"testing"
)

// maskBytewise is the definition of section 5.3, one byte at a time.
func maskBytewise(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

func TestMask(t *testing.T) {
	t.Parallel()
	k := [4]byte{0x01, 0x23, 0x45, 0x89}
	for pos := -4; pos < 8; pos++ {
		for n := 0; n <= 64; n++ {
			for off := 0; off < 8; off++ { // unaligned starts
				buf := payloadOf(n + off)
				want := bytes.Clone(buf)
				gotPos := Mask(k, pos, buf[off:])
				wantPos := maskBytewise(k, pos, want[off:])
				if !bytes.Equal(buf, want) || gotPos != wantPos {
					t.Fatalf("Mask(pos %d, len %d, offset %d) = % x, %d; want % x, %d", pos, n, off, buf, gotPos, want, wantPos)
				}
			}
		}
	}
}

// Masking a payload in pieces equals masking it whole.
func TestMaskInPieces(t *testing.T) {
	t.Parallel()
	whole := payloadOf(1000)
	Mask(key, 0, whole)
	for _, piece := range []int{1, 3, 7, 8, 13, 33, 999} {
		b := payloadOf(1000)
		pos := 0
		for i := 0; i < len(b); i += piece {
			pos = Mask(key, pos, b[i:min(i+piece, len(b))])
		}
		if !bytes.Equal(b, whole) {
			t.Errorf("masking in pieces of %d differs", piece)
		}
	}
}

func TestNewMaskKey(t *testing.T) {
	t.Parallel()
	seen := map[[4]byte]bool{}
	for i := 0; i < 100; i++ {
		seen[NewMaskKey()] = true
	}
	if len(seen) < 99 {
		t.Errorf("100 keys held only %d distinct values", len(seen))
	}
}
