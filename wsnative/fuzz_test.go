package wsnative

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func FuzzReadFrame(f *testing.F) {
	// Seeds stay small: the fuzzer minimises every input that finds new
	// coverage, and a long one stalls it for minutes.
	var wire []byte
	wire = AppendFrame(wire, true, OpText, []byte("hi"), true, key)
	wire = AppendFrame(wire, false, OpBinary, payloadOf(300), true, key)
	wire = AppendFrame(wire, true, OpContinuation, payloadOf(700), true, key)
	wire = AppendFrame(wire, true, OpPing, nil, true, key)
	wire = append(wire, 0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 'a', 'b', 'c')
	wire = AppendFrame(wire, true, OpClose, AppendClosePayload(nil, 1000, []byte("done")), true, key)
	f.Add(wire, uint32(1<<20), true, uint8(0))
	f.Add(AppendFrame(nil, true, OpText, []byte("hello"), false, key), uint32(100), false, uint8(1))
	f.Add(AppendFrame(nil, false, OpBinary, payloadOf(600), true, key), uint32(1000), true, uint8(7))
	f.Add(AppendFrame(nil, true, OpClose, AppendClosePayload(nil, 1000, []byte("x")), true, key), uint32(125), true, uint8(0))
	f.Add([]byte{0x88, 0x81, 1, 2, 3, 4, 5}, uint32(100), true, uint8(0))
	f.Add([]byte{0x82, 127, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}, uint32(1<<31-1), false, uint8(3))
	f.Add([]byte{0xc1, 0}, uint32(10), false, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, max uint32, forceMask bool, chunk uint8) {
		if len(data) > 1<<16 {
			return
		}
		src := newStepReader(data, int(chunk), -1, nil)
		r := NewReader(src)
		consumed := 0
		for i := 0; i < 64; i++ {
			fr, err := r.ReadFrame(int64(max)&(1<<17-1), forceMask)
			if err != nil {
				return
			}
			// The frame's length, decoded independently of the Reader.
			rest := data[consumed:]
			n := int(rest[1] & 0x7f)
			hdr := 2
			switch n {
			case 126:
				n, hdr = int(binary.BigEndian.Uint16(rest[2:])), 4
			case 127:
				n, hdr = int(binary.BigEndian.Uint64(rest[2:])), 10
			}
			masked := rest[1]&0x80 != 0
			if masked {
				hdr += 4
			}
			consumed += hdr + n
			if src.pos-r.Buffered() != consumed {
				t.Fatalf("frame %d: Reader consumed %d bytes, the frame ends at %d", i, src.pos-r.Buffered(), consumed)
			}
			body := fr.Payload
			if fr.HasCode {
				body = AppendClosePayload(nil, fr.CloseCode, fr.Payload)
			}
			if len(body) != n || forceMask && !masked || !fr.Fin && isControl(fr.Opcode) || OpName(fr.Opcode) == "" {
				t.Fatalf("frame %d: invalid frame accepted: %s from % x", i, fmtFrame(fr), rest[:hdr])
			}
			if masked {
				m := bytes.Clone(rest[hdr : hdr+n])
				Mask([4]byte(rest[hdr-4:hdr]), 0, m)
				if !bytes.Equal(m, body) {
					t.Fatalf("frame %d: payload differs from the unmasked input", i)
				}
			} else if !bytes.Equal(rest[hdr:hdr+n], body) {
				t.Fatalf("frame %d: payload differs from the input", i)
			}
			// Round trip: write it again, masked or not, and read it back.
			again := AppendFrame(nil, fr.Fin, fr.Opcode, body, masked, NewMaskKey())
			fr2, err := NewReader(bytes.NewReader(again)).ReadFrame(int64(n), forceMask)
			if err != nil || !frameEqual(fr, fr2) {
				t.Fatalf("frame %d: round trip: %s, %v; want %s", i, fmtFrame(fr2), err, fmtFrame(fr))
			}
		}
	})
}

func FuzzParseRequestHead(f *testing.F) {
	f.Add([]byte("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	f.Add([]byte("\nGET / HTTP/1.0\nA_B: c\nD\n\nrest"))
	f.Add([]byte("GET / HTTP/1.1\r\n: x\r\n\r\n"))
	f.Add(AppendClientRequest(nil, ClientRequest{Path: "/", Host: "h", Key: "k", Protocols: []string{"a"}, Headers: []string{"X: y"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseRequestHead(b)
		if err != nil {
			if h != nil {
				t.Fatalf("ParseRequestHead returned a head and %v", err)
			}
			if !errors.Is(err, ErrHeadIncomplete) && !errors.Is(err, ErrHeadTooLarge) &&
				!errors.Is(err, ErrBadRequestLine) && !errors.Is(err, ErrBadHeaderLine) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if h.Size <= 0 || h.Size > len(b) || h.Size > MaxRequestHeadSize {
			t.Fatalf("Size %d for %d bytes", h.Size, len(b))
		}
		kept := 0
		for _, vs := range h.Header {
			kept += len(vs)
		}
		if kept > MaxRequestHeaders {
			t.Fatalf("%d headers kept", kept)
		}
		// The head alone parses the same.
		h2, err := ParseRequestHead(b[:h.Size])
		if err != nil || h2.Size != h.Size || h2.Method != h.Method || h2.Target != h.Target || !headerEqual(h.Header, h2.Header) {
			t.Fatalf("reparse of the head alone: %+v, %v", h2, err)
		}
		CheckServerRequest(h.ProtoMajor, h.ProtoMinor, h.Header)
	})
}

func FuzzCheckClientResponse(f *testing.F) {
	const k = "dGhlIHNhbXBsZSBub25jZQ=="
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"), k)
	f.Add([]byte("HTTP/1.0 200 OK\r\n\r\n"), k)
	f.Add([]byte(" \v\fHTTP/1.1\n404\r\n\r\n"), "")
	f.Add([]byte("HTTP/1.1 101\r\nsec-websocket-accept:\r\n\r\n"), "x")
	f.Fuzz(func(t *testing.T, head []byte, key string) {
		err := CheckClientResponse(head, key)
		_, ok := matchStatusPrefix(bytes.TrimSuffix(head, []byte("\r\n\r\n")))
		var se *StrictError
		switch {
		case err == nil:
			if !ok {
				t.Fatalf("accepted a head without HTTP/1.1: %q", head)
			}
			if !bytes.Contains(head, []byte(AcceptKey(key))) {
				t.Fatalf("accepted a head without the accept key: %q", head)
			}
		case errors.As(err, &se):
			if !ok {
				t.Fatalf("strict error %v for a head upstream rejects", err)
			}
		default:
			if ok || err.Error() != "bad HTTP response status line: "+string(bytes.TrimSuffix(head, []byte("\r\n\r\n"))) {
				t.Fatalf("error %v for %q", err, head)
			}
		}
	})
}
