package wsnative

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
)

func TestReadFrameErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        []byte
		max       int64
		forceMask bool
		want      string
	}{
		{"rsv1", []byte{0xc1, 0x00}, 100, false, "bad RSV1, RSV2, or RSV3 bits"},
		{"rsv2", []byte{0xa1, 0x00}, 100, false, "bad RSV1, RSV2, or RSV3 bits"},
		{"rsv3", []byte{0x91, 0x00}, 100, false, "bad RSV1, RSV2, or RSV3 bits"},
		{"rsv before opcode", []byte{0xf3, 0x00}, 100, false, "bad RSV1, RSV2, or RSV3 bits"},
		{"opcode 3", []byte{0x83, 0x00}, 100, false, "reserved non-control frames"},
		{"opcode 7", []byte{0x87, 0x00}, 100, false, "reserved non-control frames"},
		{"opcode 0xb", []byte{0x8b, 0x00}, 100, false, "reserved control frames"},
		{"opcode 0xf", []byte{0x8f, 0x00}, 100, false, "reserved control frames"},
		{"reserved before mask", []byte{0x83, 0x00}, 100, true, "reserved non-control frames"},
		{"unmasked", []byte{0x81, 0x00}, 100, true, "frame unmasked"},
		{"unmasked before length", []byte{0x81, 127, 0xff}, 100, true, "frame unmasked"},
		{"64-bit byte 1", []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}, 100, false, "payload len too large"},
		{"64-bit byte 4", []byte{0x82, 127, 0, 0, 0, 1, 0, 0, 0, 1}, 100, false, "payload len too large"},
		{"64-bit bit 31", []byte{0x82, 127, 0, 0, 0, 0, 0x80, 0, 0, 0}, 100, false, "payload len too large"},
		{"64-bit 2^31-1 passes to max", []byte{0x82, 127, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}, 100, false, "exceeding max payload len"},
		{"too large before control", []byte{0x89, 127, 1, 0, 0, 0, 0, 0, 0, 0}, 100, false, "payload len too large"},
		{"ping 126", []byte{0x89, 126, 0, 126}, 1000, false, "too long payload for control frame"},
		{"close 16-bit 200", []byte{0x88, 126, 0, 200}, 1000, false, "too long payload for control frame"},
		{"pong 64-bit", []byte{0x8a, 127, 0, 0, 0, 0, 0, 1, 0, 0}, 1000, false, "too long payload for control frame"},
		{"control length before fin", []byte{0x09, 126, 0, 126}, 1000, false, "too long payload for control frame"},
		{"fragmented ping", []byte{0x09, 0}, 1000, false, "fragmented control frame"},
		{"fragmented close", []byte{0x08, 0}, 1000, false, "fragmented control frame"},
		{"fragmented before max", []byte{0x0a, 10}, 5, false, "fragmented control frame"},
		{"exceeding max", []byte{0x81, 10}, 9, false, "exceeding max payload len"},
		{"exceeding max 16-bit", []byte{0x82, 126, 0xff, 0xff}, 65534, false, "exceeding max payload len"},
		{"exceeding zero max", []byte{0x82, 1}, 0, false, "exceeding max payload len"},
		{"close body 1 byte", []byte{0x88, 1, 3}, 100, false, "close frame with a body must carry a 2-byte status code"},
		{"masked close body 1 byte", []byte{0x88, 0x81, 1, 2, 3, 4, 5}, 100, true, "close frame with a body must carry a 2-byte status code"},
		{"empty stream", nil, 100, false, "failed to receive the first 2 bytes: closed"},
		{"1 byte", []byte{0x81}, 100, false, "failed to receive the first 2 bytes: closed"},
		{"short 16-bit length", []byte{0x81, 126, 1}, 1000, false, "failed to receive the 2 byte payload length: closed"},
		{"short 64-bit length", []byte{0x81, 127, 0, 0, 0, 0, 0}, 1000, false, "failed to receive the 8 byte payload length: closed"},
		{"short payload", []byte{0x81, 5, 'a', 'b'}, 100, false, "failed to read masking-len and payload: closed"},
		{"short mask", []byte{0x81, 0x85, 1, 2}, 100, true, "failed to read masking-len and payload: closed"},
		{"short close body", []byte{0x88, 1}, 100, false, "failed to read masking-len and payload: closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := NewReader(bytes.NewReader(tc.in))
			f, err := r.ReadFrame(tc.max, tc.forceMask)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("ReadFrame(% x) = %+v, %v; want error %q", tc.in, f, err, tc.want)
			}
			// Errors other than timeouts are final.
			if _, err2 := r.ReadFrame(tc.max, tc.forceMask); err2 != err {
				t.Errorf("second ReadFrame returned %v, want the same %v", err2, err)
			}
		})
	}
}

func TestReadFrameLengths(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 125, 126, 127, 511, 512, 4096, 65535, 65536, 1 << 20} {
		for _, masked := range []bool{false, true} {
			name := fmt.Sprintf("%d masked=%v", n, masked)
			payload := payloadOf(n)
			wire := AppendFrame(nil, true, OpBinary, payload, masked, key)
			r := NewReader(bytes.NewReader(wire))
			f, err := r.ReadFrame(1<<30, masked)
			if err != nil {
				t.Fatalf("%s: ReadFrame returned %v", name, err)
			}
			if !f.Fin || f.Opcode != OpBinary || !bytes.Equal(f.Payload, payload) {
				t.Errorf("%s: got fin=%v op=%d len=%d, want a %d-byte binary frame", name, f.Fin, f.Opcode, len(f.Payload), n)
			}
			if r.Buffered() != 0 {
				t.Errorf("%s: Buffered() = %d after the only frame", name, r.Buffered())
			}
			if _, err := r.ReadFrame(1<<30, masked); err == nil || err.Error() != StageFirst2+": closed" {
				t.Errorf("%s: ReadFrame at end returned %v", name, err)
			}
		}
	}
}

// Upstream does not insist on the shortest length encoding.
func TestReadFrameLongEncodings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
	}{
		{"16-bit for 3", []byte{0x81, 126, 0, 3, 'a', 'b', 'c'}},
		{"64-bit for 3", []byte{0x81, 127, 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'}},
		{"16-bit ping", []byte{0x89, 126, 0, 3, 'a', 'b', 'c'}},
	}
	for _, tc := range tests {
		f, err := NewReader(bytes.NewReader(tc.in)).ReadFrame(100, false)
		if err != nil || string(f.Payload) != "abc" {
			t.Errorf("%s: ReadFrame = %q, %v; want \"abc\"", tc.name, f.Payload, err)
		}
	}
}

func TestReadFrameKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		wire   []byte
		want   Frame
		masked bool
	}{
		{"text", AppendFrame(nil, true, OpText, []byte("hello"), false, key), Frame{Fin: true, Opcode: OpText, Payload: []byte("hello")}, false},
		{"masked text", AppendFrame(nil, true, OpText, []byte("hello"), true, key), Frame{Fin: true, Opcode: OpText, Payload: []byte("hello")}, true},
		{"first fragment", AppendFrame(nil, false, OpText, []byte("hel"), false, key), Frame{Fin: false, Opcode: OpText, Payload: []byte("hel")}, false},
		{"middle fragment", AppendFrame(nil, false, OpContinuation, []byte("l"), true, key), Frame{Fin: false, Opcode: OpContinuation, Payload: []byte("l")}, true},
		{"last fragment", AppendFrame(nil, true, OpContinuation, []byte("o"), false, key), Frame{Fin: true, Opcode: OpContinuation, Payload: []byte("o")}, false},
		{"empty binary", AppendFrame(nil, true, OpBinary, nil, false, key), Frame{Fin: true, Opcode: OpBinary, Payload: []byte{}}, false},
		{"ping", AppendFrame(nil, true, OpPing, []byte("p"), true, key), Frame{Fin: true, Opcode: OpPing, Payload: []byte("p")}, true},
		{"pong 125", AppendFrame(nil, true, OpPong, payloadOf(125), false, key), Frame{Fin: true, Opcode: OpPong, Payload: payloadOf(125)}, false},
		{"empty close", AppendFrame(nil, true, OpClose, nil, true, key), Frame{Fin: true, Opcode: OpClose, Payload: []byte{}}, true},
		{"close code only", AppendFrame(nil, true, OpClose, AppendClosePayload(nil, 1000, nil), true, key),
			Frame{Fin: true, Opcode: OpClose, Payload: []byte{}, CloseCode: 1000, HasCode: true}, true},
		{"close code and reason", AppendFrame(nil, true, OpClose, AppendClosePayload(nil, 1001, []byte("bye")), false, key),
			Frame{Fin: true, Opcode: OpClose, Payload: []byte("bye"), CloseCode: 1001, HasCode: true}, false},
		{"masked close with reason", AppendFrame(nil, true, OpClose, AppendClosePayload(nil, 4000, payloadOf(123)), true, key),
			Frame{Fin: true, Opcode: OpClose, Payload: payloadOf(123), CloseCode: 4000, HasCode: true}, true},
		{"close code 0xffff", AppendFrame(nil, true, OpClose, []byte{0xff, 0xff}, false, key),
			Frame{Fin: true, Opcode: OpClose, Payload: []byte{}, CloseCode: 0xffff, HasCode: true}, false},
	}
	for _, tc := range tests {
		f, err := NewReader(bytes.NewReader(tc.wire)).ReadFrame(1000, tc.masked)
		if err != nil {
			t.Errorf("%s: ReadFrame returned %v", tc.name, err)
			continue
		}
		if !frameEqual(f, tc.want) {
			t.Errorf("%s: ReadFrame = %s, want %s", tc.name, fmtFrame(f), fmtFrame(tc.want))
		}
	}
}

func frameEqual(a, b Frame) bool {
	return a.Fin == b.Fin && a.Opcode == b.Opcode && bytes.Equal(a.Payload, b.Payload) &&
		a.CloseCode == b.CloseCode && a.HasCode == b.HasCode
}

func fmtFrame(f Frame) string {
	p := f.Payload
	if len(p) > 16 {
		p = p[:16]
	}
	return fmt.Sprintf("{fin=%v op=%s len=%d %q code=%d/%v}", f.Fin, OpName(f.Opcode), len(f.Payload), p, f.CloseCode, f.HasCode)
}

// stream is a run of frames that covers every header form, the inline and
// the pooled buffers and a one-off buffer.
func stream() ([]byte, []Frame) {
	var wire []byte
	var want []Frame
	add := func(fin bool, op byte, p []byte, masked bool) {
		wire = AppendFrame(wire, fin, op, p, masked, key)
		f := Frame{Fin: fin, Opcode: op, Payload: p}
		if op == OpClose {
			f.CloseCode, f.Payload, f.HasCode, _ = ParseClosePayload(p)
		}
		want = append(want, f)
	}
	add(true, OpText, []byte("hi"), true)
	add(false, OpBinary, payloadOf(300), true)
	add(true, OpContinuation, payloadOf(700), true)
	add(true, OpPing, nil, true)
	add(true, OpBinary, payloadOf(70000), true)
	add(true, OpText, payloadOf(126), true)
	add(true, OpClose, AppendClosePayload(nil, 1000, []byte("done")), true)
	return wire, want
}

// A timeout at any byte of any frame must leave the stream where it was.
func TestReadFrameResumesAfterTimeout(t *testing.T) {
	t.Parallel()
	wire, want := stream()
	stalls := []struct {
		name string
		err  error
	}{{"net.Error", timeoutErr{}}, {"os.ErrDeadlineExceeded", os.ErrDeadlineExceeded}}
	for _, stall := range stalls {
		for _, chunk := range []int{0, 1, 5, 1000} {
			if testing.Short() && chunk != 0 {
				continue
			}
			for at := 0; at <= len(wire); at++ {
				// Every position with whole reads and a net.Error; through
				// the interior of the 70000-byte payload, a sample otherwise.
				if (chunk != 0 || stall.err == os.ErrDeadlineExceeded) && at%97 != 0 && at > 1200 && at < len(wire)-1200 {
					continue
				}
				src := newStepReader(wire, chunk, at, stall.err)
				r := NewReader(src)
				var got []Frame
				timeouts := 0
				for len(got) < len(want) {
					f, err := r.ReadFrame(1<<20, true)
					if err != nil {
						var ioe *IOError
						if !errors.As(err, &ioe) || !ioe.Timeout() || !errors.Is(err, stall.err) {
							t.Fatalf("%s chunk %d stall at %d: ReadFrame returned %v", stall.name, chunk, at, err)
						}
						if timeouts++; timeouts > 1 {
							t.Fatalf("%s chunk %d stall at %d: second timeout", stall.name, chunk, at)
						}
						continue
					}
					f.Payload = bytes.Clone(f.Payload)
					got = append(got, f)
				}
				for i := range want {
					if !frameEqual(got[i], want[i]) {
						t.Fatalf("%s chunk %d stall at %d: frame %d = %s, want %s", stall.name, chunk, at, i, fmtFrame(got[i]), fmtFrame(want[i]))
					}
				}
			}
		}
	}
}

func TestReadFrameTimeoutStages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		wire []byte
		at   int
		want string
	}{
		{"before anything", AppendFrame(nil, true, OpText, []byte("x"), true, key), 0, "failed to receive the first 2 bytes: timeout"},
		{"after 1 byte", AppendFrame(nil, true, OpText, []byte("x"), true, key), 1, "failed to receive the first 2 bytes: timeout"},
		{"in 16-bit length", AppendFrame(nil, true, OpText, payloadOf(200), true, key), 3, "failed to receive the 2 byte payload length: timeout"},
		{"in 64-bit length", AppendFrame(nil, true, OpText, payloadOf(70000), true, key), 9, "failed to receive the 8 byte payload length: timeout"},
		{"in mask", AppendFrame(nil, true, OpText, []byte("x"), true, key), 3, "failed to read masking-len and payload: timeout"},
		{"in payload", AppendFrame(nil, true, OpText, payloadOf(200), true, key), 100, "failed to read masking-len and payload: timeout"},
		{"last byte", AppendFrame(nil, true, OpText, payloadOf(70000), true, key), 70013, "failed to read masking-len and payload: timeout"},
	}
	for _, tc := range tests {
		r := NewReader(newStepReader(tc.wire, 0, tc.at, os.ErrDeadlineExceeded))
		_, err := r.ReadFrame(1<<20, true)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: ReadFrame returned %v, want %q", tc.name, err, tc.want)
			continue
		}
		if r.Buffered() != tc.at {
			t.Errorf("%s: Buffered() = %d after the timeout, want %d", tc.name, r.Buffered(), tc.at)
		}
		if _, err := r.ReadFrame(1<<20, true); err != nil {
			t.Errorf("%s: ReadFrame after the timeout returned %v", tc.name, err)
		}
	}
}

// Small frames that arrive together are read with one Read call.
func TestReadFrameOneReadForSmallFrames(t *testing.T) {
	t.Parallel()
	var wire []byte
	for i := 0; i < 5; i++ {
		wire = AppendFrame(wire, true, OpText, payloadOf(64), true, key)
	}
	src := newStepReader(wire, 0, -1, nil)
	r := NewReader(src)
	for i := 0; i < 5; i++ {
		if _, err := r.ReadFrame(1000, true); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if src.reads != 1 {
		t.Errorf("5 frames of 70 bytes took %d reads, want 1", src.reads)
	}
}

// A peer that sends one small frame at a time costs one Read per frame, however many frames
// came before (the buffer starts over when it is empty, so no frame straddles its end).
func TestReadFrameOneReadPerFrame(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 64, 125, 300} {
		var wire []byte
		const frames = 50
		for i := 0; i < frames; i++ {
			wire = AppendFrame(wire, true, OpText, payloadOf(size), true, key)
		}
		n := len(wire) / frames
		src := newStepReader(wire, n, -1, nil)
		r := NewReader(src)
		for i := 0; i < frames; i++ {
			if _, err := r.ReadFrame(1000, true); err != nil {
				t.Fatalf("%d-byte frame %d: %v", size, i, err)
			}
		}
		if src.reads != frames {
			t.Errorf("%d frames of %d bytes, one a Read, took %d reads, want %d", frames, n, src.reads, frames)
		}
	}
}

// An idle Reader holds only its inline buffer.
func TestReaderReleasesBigBuffers(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1000, 20000, 100000} {
		wire := AppendFrame(nil, true, OpBinary, payloadOf(n), false, key)
		wire = AppendFrame(wire, true, OpText, []byte("next"), false, key)
		src := newStepReader(wire, 0, -1, nil)
		r := NewReader(src)
		if _, err := r.ReadFrame(1<<20, false); err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		if r.isSmall() {
			t.Errorf("%d: a %d-byte payload came from the inline buffer", n, n)
		}
		r.Release()
		if !r.isSmall() {
			t.Errorf("%d: Release kept the big buffer", n)
		}
		f, err := r.ReadFrame(1<<20, false)
		if err != nil || string(f.Payload) != "next" {
			t.Errorf("%d: next frame = %q, %v", n, f.Payload, err)
		}
		// Without Release, the next frame starting on an empty buffer
		// drops the big one too (here the next read fails: end of stream).
		r = NewReader(bytes.NewReader(wire))
		r.ReadFrame(1<<20, false)
		r.ReadFrame(1<<20, false)
		r.ReadFrame(1<<20, false)
		if !r.isSmall() {
			t.Errorf("%d: big buffer kept after a small frame", n)
		}
	}
}

// A read that brings data and an error together: the data counts, the error
// comes at the next read.
type dataAndErrReader struct {
	data []byte
	err  error
	done bool
}

func (d *dataAndErrReader) Read(p []byte) (int, error) {
	if d.done {
		return 0, io.ErrUnexpectedEOF
	}
	d.done = true
	return copy(p, d.data), d.err
}

func TestReadFrameDataWithError(t *testing.T) {
	t.Parallel()
	wire := AppendFrame(nil, true, OpText, []byte("last"), false, key)
	r := NewReader(&dataAndErrReader{data: wire, err: io.EOF})
	f, err := r.ReadFrame(100, false)
	if err != nil || string(f.Payload) != "last" {
		t.Fatalf("ReadFrame = %q, %v; want \"last\"", f.Payload, err)
	}
	_, err = r.ReadFrame(100, false)
	if !errors.Is(err, io.EOF) || err.Error() != "failed to receive the first 2 bytes: closed" {
		t.Errorf("ReadFrame after the data returned %v, want io.EOF", err)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestReadFrameNoProgress(t *testing.T) {
	t.Parallel()
	_, err := NewReader(emptyReader{}).ReadFrame(100, false)
	if !errors.Is(err, io.ErrNoProgress) || err.Error() != "failed to receive the first 2 bytes: error" {
		t.Errorf("ReadFrame from a reader stuck at (0, nil) returned %v", err)
	}
}

// After a timeout in a big frame, Release keeps the partial frame: in the
// inline buffer when it fits, in the big one otherwise.
func TestReleaseKeepsPartialFrame(t *testing.T) {
	t.Parallel()
	wire := AppendFrame(nil, true, OpBinary, payloadOf(5000), true, key)
	for _, at := range []int{100, 600, 4000} {
		src := newStepReader(wire, 0, at, os.ErrDeadlineExceeded)
		src.chunk = 300
		r := NewReader(src)
		if _, err := r.ReadFrame(1<<20, true); err == nil {
			t.Fatalf("stall at %d: no timeout", at)
		}
		r.Release()
		if r.Buffered() != at || r.isSmall() != (at <= smallBufSize) {
			t.Errorf("stall at %d: after Release %d buffered, inline %v", at, r.Buffered(), r.isSmall())
		}
		f, err := r.ReadFrame(1<<20, true)
		if err != nil || !bytes.Equal(f.Payload, payloadOf(5000)) {
			t.Errorf("stall at %d: ReadFrame after Release: %d bytes, %v", at, len(f.Payload), err)
		}
	}
}
