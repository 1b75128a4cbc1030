package wsnative

import (
	"io"
	"testing"
)

func TestReadFrameAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	for _, n := range []int{0, 64, 400, 1000, 16 << 10} {
		for _, masked := range []bool{false, true} {
			wire := AppendFrame(nil, true, OpText, payloadOf(n), masked, key)
			r := NewReader(&loopReader{data: wire})
			allocs := testing.AllocsPerRun(1000, func() {
				if _, err := r.ReadFrame(1<<20, masked); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("ReadFrame of %d bytes, masked=%v: %v allocations, want 0", n, masked, allocs)
			}
		}
	}
}

func TestWriteFrameAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	for _, n := range []int{0, 64, 4000, 16 << 10} {
		for _, masked := range []bool{false, true} {
			if n > copyLimit && !masked {
				continue // net.Buffers: writev costs an allocation or two
			}
			p := payloadOf(n)
			allocs := testing.AllocsPerRun(1000, func() {
				if _, err := WriteFrame(io.Discard, true, OpBinary, p, masked, key); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("WriteFrame of %d bytes, masked=%v: %v allocations, want 0", n, masked, allocs)
			}
		}
	}
}

func TestNewMaskKeyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	if allocs := testing.AllocsPerRun(100, func() { NewMaskKey() }); allocs != 0 {
		t.Errorf("NewMaskKey: %v allocations", allocs)
	}
}
