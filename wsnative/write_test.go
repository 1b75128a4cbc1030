package wsnative

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestAppendHeader(t *testing.T) {
	t.Parallel()
	k := [4]byte{1, 2, 3, 4}
	tests := []struct {
		fin    bool
		op     byte
		n      int
		masked bool
		want   []byte
	}{
		{true, OpText, 0, false, []byte{0x81, 0}},
		{true, OpText, 125, false, []byte{0x81, 125}},
		{true, OpBinary, 126, false, []byte{0x82, 126, 0, 126}},
		{true, OpBinary, 127, true, []byte{0x82, 0xfe, 0, 127, 1, 2, 3, 4}},
		{false, OpText, 65535, false, []byte{0x01, 126, 0xff, 0xff}},
		{false, OpContinuation, 65536, false, []byte{0x00, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
		{true, OpBinary, 1 << 20, true, []byte{0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4}},
		{true, OpBinary, 0x7fffffff, false, []byte{0x82, 127, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}},
		{true, OpClose, 2, true, []byte{0x88, 0x82, 1, 2, 3, 4}},
		{true, OpPing, 0, false, []byte{0x89, 0}},
		{true, OpPong, 5, false, []byte{0x8a, 5}},
	}
	for _, tc := range tests {
		got := AppendHeader([]byte("x"), tc.fin, tc.op, tc.n, tc.masked, k)
		if !bytes.Equal(got[1:], tc.want) || got[0] != 'x' {
			t.Errorf("AppendHeader(%v, %d, %d, %v) = % x, want % x", tc.fin, tc.op, tc.n, tc.masked, got[1:], tc.want)
		}
		if hl := headerLen(tc.n, tc.masked); hl != len(tc.want) {
			t.Errorf("headerLen(%d, %v) = %d, want %d", tc.n, tc.masked, hl, len(tc.want))
		}
	}
}

func TestAppendFrameMasksACopy(t *testing.T) {
	t.Parallel()
	p := []byte("Hello")
	got := AppendFrame(nil, true, OpText, p, true, [4]byte{0x37, 0xfa, 0x21, 0x3d})
	// RFC 6455 section 5.7: a single-frame masked text message "Hello".
	want := []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	if !bytes.Equal(got, want) {
		t.Errorf("AppendFrame(masked \"Hello\") = % x, want % x", got, want)
	}
	if string(p) != "Hello" {
		t.Errorf("AppendFrame changed its payload to %q", p)
	}
	// And the unmasked one from the same section.
	if got := AppendFrame(nil, true, OpText, p, false, key); !bytes.Equal(got, []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}) {
		t.Errorf("AppendFrame(\"Hello\") = % x", got)
	}
}

func TestCheckSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fin  bool
		op   byte
		n    int
		max  int64
		want error
	}{
		{"text ok", true, OpText, 65535, 65535, nil},
		{"fragment ok", false, OpText, 10, 65535, nil},
		{"continuation ok", false, OpContinuation, 10, 65535, nil},
		{"too big", true, OpText, 65536, 65535, ErrSendTooBig},
		{"too big before control rules", false, OpPing, 200, 100, ErrSendTooBig},
		{"ping 125 ok", true, OpPing, 125, 65535, nil},
		{"ping 126", true, OpPing, 126, 65535, ErrSendControlTooLong},
		{"close 126 before fin", false, OpClose, 126, 65535, ErrSendControlTooLong},
		{"fragmented pong", false, OpPong, 0, 65535, ErrFragmentedControl},
		{"reserved control opcode counts as control", true, 0xb, 126, 65535, ErrSendControlTooLong},
		{"2^31-1 ok", true, OpBinary, 0x7fffffff, 1 << 40, nil},
		{"2^31", true, OpBinary, 0x80000000, 1 << 40, ErrFrameTooBig},
	}
	for _, tc := range tests {
		if err := CheckSend(tc.fin, tc.op, tc.n, tc.max); err != tc.want {
			t.Errorf("%s: CheckSend returned %v, want %v", tc.name, err, tc.want)
		}
	}
	texts := map[error]string{
		ErrSendTooBig:         "payload too big",
		ErrSendControlTooLong: "too much payload for control frame",
		ErrFragmentedControl:  "fragmented control frame",
		ErrFrameTooBig:        "failed to build frame: payload too big",
	}
	for err, want := range texts {
		if err.Error() != want {
			t.Errorf("error text %q, want %q", err.Error(), want)
		}
	}
}

// chunkWriter accepts everything but records each Write separately.
type chunkWriter struct {
	buf    bytes.Buffer
	writes int
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.buf.Write(p)
}

func TestWriteFrame(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 125, 126, 4000, 4096 - 4, 4096, 16 << 10, 65535, 65536, 65550, 200000} {
		for _, masked := range []bool{false, true} {
			name := fmt.Sprintf("%d masked=%v", n, masked)
			p := payloadOf(n)
			orig := bytes.Clone(p)
			var w chunkWriter
			got, err := WriteFrame(&w, true, OpBinary, p, masked, key)
			want := AppendFrame(nil, true, OpBinary, p, masked, key)
			if err != nil || got != len(want) {
				t.Errorf("%s: WriteFrame = %d, %v; want %d", name, got, err, len(want))
			}
			if !bytes.Equal(w.buf.Bytes(), want) {
				t.Errorf("%s: WriteFrame wrote different bytes than AppendFrame", name)
			}
			if !bytes.Equal(p, orig) {
				t.Errorf("%s: WriteFrame changed its payload", name)
			}
			if len(want) <= copyLimit && w.writes != 1 {
				t.Errorf("%s: %d writes for a small frame", name, w.writes)
			}
		}
	}
}

func TestWriteFrameError(t *testing.T) {
	t.Parallel()
	for _, n := range []int{10, 10000, 200000} {
		for _, masked := range []bool{false, true} {
			w := &failWriter{limit: n / 2}
			got, err := WriteFrame(w, true, OpBinary, payloadOf(n), masked, key)
			if !errors.Is(err, errWriteFailed) || got != n/2 {
				t.Errorf("%d masked=%v: WriteFrame = %d, %v; want %d, %v", n, masked, got, err, n/2, errWriteFailed)
			}
		}
	}
}

func TestClosePayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       []byte
		code    int
		reason  string
		hasCode bool
		err     error
	}{
		{"empty", nil, 0, "", false, nil},
		{"one byte", []byte{3}, 0, "", false, ErrCloseBody},
		{"code", []byte{0x03, 0xe8}, 1000, "", true, nil},
		{"code and reason", []byte{0x03, 0xe9, 'b', 'y', 'e'}, 1001, "bye", true, nil},
		{"any code, any bytes", []byte{0, 0, 0xff}, 0, "\xff", true, nil},
	}
	for _, tc := range tests {
		code, reason, has, err := ParseClosePayload(tc.p)
		if code != tc.code || string(reason) != tc.reason || has != tc.hasCode || err != tc.err {
			t.Errorf("%s: ParseClosePayload = %d, %q, %v, %v; want %d, %q, %v, %v",
				tc.name, code, reason, has, err, tc.code, tc.reason, tc.hasCode, tc.err)
		}
		if tc.hasCode {
			if got := AppendClosePayload(nil, tc.code, []byte(tc.reason)); !bytes.Equal(got, tc.p) {
				t.Errorf("%s: AppendClosePayload = % x, want % x", tc.name, got, tc.p)
			}
		}
	}
}

func TestOpName(t *testing.T) {
	t.Parallel()
	want := map[byte]string{0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}
	for op := 0; op < 16; op++ {
		if got := OpName(byte(op)); got != want[byte(op)] {
			t.Errorf("OpName(%d) = %q, want %q", op, got, want[byte(op)])
		}
	}
}
