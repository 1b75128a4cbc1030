package wsnative

import (
	"fmt"
	"io"
	"testing"
)

func BenchmarkReadFrame(b *testing.B) {
	for _, n := range []int{64, 16 << 10} {
		for _, masked := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/masked=%v", sizeName(n), masked), func(b *testing.B) {
				wire := AppendFrame(nil, true, OpBinary, payloadOf(n), masked, key)
				r := NewReader(&loopReader{data: wire})
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.ReadFrame(1<<20, masked); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkWriteFrame(b *testing.B) {
	for _, n := range []int{64, 16 << 10} {
		for _, masked := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/masked=%v", sizeName(n), masked), func(b *testing.B) {
				p := payloadOf(n)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := WriteFrame(io.Discard, true, OpBinary, p, masked, key); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

var maskSizes = []int{64, 1 << 10, 16 << 10, 1 << 20}

func BenchmarkMask(b *testing.B) {
	for _, n := range maskSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			p := payloadOf(n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				Mask(key, 1, p)
			}
		})
	}
}

// BenchmarkMaskBytewise is the baseline for BenchmarkMask.
func BenchmarkMaskBytewise(b *testing.B) {
	for _, n := range maskSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			p := payloadOf(n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				maskBytewise(key, 1, p)
			}
		})
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
