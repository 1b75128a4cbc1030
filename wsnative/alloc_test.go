package wsnative

import (
	"io"
	"net"
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
	for _, n := range []int{0, 64, 4000, 16 << 10, 1 << 20} {
		for _, masked := range []bool{false, true} {
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

// Over TCP the big unmasked frames go out with writev; that must not
// allocate either.
func TestWriteFrameAllocsTCP(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback TCP: %v", err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(io.Discard, c)
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, n := range []int{64, 16 << 10, 200000} {
		for _, masked := range []bool{false, true} {
			p := payloadOf(n)
			allocs := testing.AllocsPerRun(200, func() {
				if _, err := WriteFrame(c, true, OpBinary, p, masked, key); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("WriteFrame of %d bytes to TCP, masked=%v: %v allocations, want 0", n, masked, allocs)
			}
		}
	}
}
