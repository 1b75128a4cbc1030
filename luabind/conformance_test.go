package luabind_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// A conformance suite in the spirit of the Autobahn TestSuite's case families (framing,
// ping/pong, reserved bits, opcodes, fragmentation, UTF-8, close handling): raw client bytes
// against the extEcho handler, once in lua-resty-websocket's default mode and once with
// server:new{ strict = true }. Each case says what RFC 6455 requires of the server; the
// default mode is lua-resty-websocket's behaviour, which leaves UTF-8, close-code and
// fragmentation-order checks to the script, so it is expected to miss exactly the cases
// marked strictOnly.
//
//	go test ./luabind -run TestConformance -v     # prints the pass counts per family

type confMsg struct {
	op      byte
	payload string
}

type confCase struct {
	family, name string
	send         []byte
	// echoes are the messages (reassembled) and pongs the server must send back, in order,
	// before it answers our closing handshake.
	echoes []confMsg
	// fail: the server must fail the connection (RFC 6455 section 7.1.7): drop it, with at
	// most a close frame carrying one of codes, and echo nothing of the offending frame.
	fail  bool
	codes []int
	// closeCode: for a close the client starts itself (no closing handshake added by the
	// runner), the server must answer with a close frame; 0 = any code or none.
	closing    bool
	strictOnly bool // lua-resty-websocket's default mode does not check this
}

func confCases() []confCase {
	long := func(n int) string { return strings.Repeat("*", n) }
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	txt := func(s string) confMsg { return confMsg{0x1, s} }
	bin := func(s string) confMsg { return confMsg{0x2, s} }
	pong := func(s string) confMsg { return confMsg{0xa, s} }
	var cs []confCase
	add := func(c confCase) { cs = append(cs, c) }

	// framing (Autobahn 1.*)
	for _, n := range []int{0, 125, 126, 127, 128, 65535} {
		add(confCase{family: "framing", name: fmt.Sprintf("text %d bytes", n),
			send: frame(true, 0x1, []byte(long(n))), echoes: []confMsg{txt(long(n))}})
		add(confCase{family: "framing", name: fmt.Sprintf("binary %d bytes", n),
			send: frame(true, 0x2, []byte(long(n))), echoes: []confMsg{bin(long(n))}})
	}
	add(confCase{family: "framing", name: "over the handler's max_payload_len", send: frame(true, 0x1, []byte(long(65536))), fail: true, codes: []int{1009}})
	// ping/pong (2.*)
	add(confCase{family: "ping/pong", name: "ping without payload", send: frame(true, 0x9, nil), echoes: []confMsg{pong("")}})
	add(confCase{family: "ping/pong", name: "ping with payload", send: frame(true, 0x9, []byte("hello")), echoes: []confMsg{pong("hello")}})
	add(confCase{family: "ping/pong", name: "ping with 125 bytes", send: frame(true, 0x9, []byte(long(125))), echoes: []confMsg{pong(long(125))}})
	add(confCase{family: "ping/pong", name: "ping with 126 bytes", send: frame(true, 0x9, []byte(long(126))), fail: true, codes: []int{1002}})
	add(confCase{family: "ping/pong", name: "unsolicited pong, then text", send: cat(frame(true, 0xa, []byte("x")), frame(true, 0x1, []byte("t"))), echoes: []confMsg{txt("t")}})
	add(confCase{family: "ping/pong", name: "ten pings", send: bytes.Repeat(frame(true, 0x9, []byte("p")), 10), echoes: repeatMsg(pong("p"), 10)})
	add(confCase{family: "ping/pong", name: "fragmented ping", send: frame(false, 0x9, []byte("p")), fail: true, codes: []int{1002}})
	// reserved bits (3.*)
	for _, rsv := range []byte{0x40, 0x20, 0x10, 0x70} {
		f := frame(true, 0x1, []byte("r"))
		f[0] |= rsv
		add(confCase{family: "reserved bits", name: fmt.Sprintf("RSV 0x%02x on text", rsv), send: f, fail: true, codes: []int{1002}})
	}
	// opcodes (4.*)
	for _, op := range []byte{3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf} {
		add(confCase{family: "opcodes", name: fmt.Sprintf("reserved opcode %d", op), send: frame(true, op, []byte("o")), fail: true, codes: []int{1002}})
	}
	// fragmentation (5.*)
	add(confCase{family: "fragmentation", name: "text in 3 fragments", send: cat(frame(false, 0x1, []byte("ab")), frame(false, 0x0, []byte("cd")), frame(true, 0x0, []byte("ef"))), echoes: []confMsg{txt("abcdef")}})
	add(confCase{family: "fragmentation", name: "binary with an empty last fragment", send: cat(frame(false, 0x2, []byte("ab")), frame(true, 0x0, nil)), echoes: []confMsg{bin("ab")}})
	add(confCase{family: "fragmentation", name: "ping between fragments", send: cat(frame(false, 0x1, []byte("ab")), frame(true, 0x9, []byte("p")), frame(true, 0x0, []byte("cd"))), echoes: []confMsg{txt("abcd"), pong("p")}}) // a message counts where it starts
	add(confCase{family: "fragmentation", name: "continuation without a start", send: frame(true, 0x0, []byte("x")), fail: true, codes: []int{1002}, strictOnly: true})
	add(confCase{family: "fragmentation", name: "new text inside a fragmented text", send: cat(frame(false, 0x1, []byte("a")), frame(true, 0x1, []byte("b"))), fail: true, codes: []int{1002}, strictOnly: true})
	// UTF-8 (6.*)
	for _, s := range []string{"κόσμε", "\u0080", "\u07ff", "\u0800", "\uffff", "\U00010000", "\U0010ffff", "\xef\xbf\xbd"} {
		add(confCase{family: "utf-8", name: fmt.Sprintf("valid %x", s), send: frame(true, 0x1, []byte(s)), echoes: []confMsg{txt(s)}})
	}
	add(confCase{family: "utf-8", name: "valid, split inside a code point", send: cat(frame(false, 0x1, []byte("\xce")), frame(true, 0x0, []byte("\xba"))), echoes: []confMsg{txt("κ")}})
	for _, s := range []string{"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xce\xba\xe1", "a\x80b", "\xf8\x88\x80\x80\x80"} {
		add(confCase{family: "utf-8", name: fmt.Sprintf("invalid %x", s), send: frame(true, 0x1, []byte(s)), fail: true, codes: []int{1007}, strictOnly: true})
	}
	add(confCase{family: "utf-8", name: "invalid across fragments", send: cat(frame(false, 0x1, []byte("\xce\xba\xe1")), frame(true, 0x0, []byte("\x80"))), fail: true, codes: []int{1007}, strictOnly: true})
	// close handling (7.*)
	add(confCase{family: "close", name: "close without payload", send: frame(true, 0x8, nil), closing: true})
	add(confCase{family: "close", name: "close 1000 with reason", send: frame(true, 0x8, closePayload(1000, "bye")), closing: true})
	add(confCase{family: "close", name: "text after close is ignored", send: cat(frame(true, 0x8, closePayload(1000, "")), frame(true, 0x1, []byte("late"))), closing: true})
	add(confCase{family: "close", name: "close with a 1-byte payload", send: frame(true, 0x8, []byte{0x03}), fail: true, codes: []int{1002}})
	for _, code := range []int{1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		add(confCase{family: "close", name: fmt.Sprintf("valid code %d", code), send: frame(true, 0x8, closePayload(code, "")), closing: true})
	}
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535} {
		add(confCase{family: "close", name: fmt.Sprintf("invalid code %d", code), send: frame(true, 0x8, closePayload(code, "")), fail: true, codes: []int{1002}, strictOnly: true})
	}
	add(confCase{family: "close", name: "close reason not UTF-8", send: frame(true, 0x8, closePayload(1000, "\xce\xba\xe1")), fail: true, codes: []int{1007}, strictOnly: true})
	add(confCase{family: "close", name: "close with a 123-byte reason", send: frame(true, 0x8, closePayload(1000, long(123))), closing: true})
	return cs
}

func repeatMsg(m confMsg, n int) []confMsg {
	out := make([]confMsg, n)
	for i := range out {
		out[i] = m
	}
	return out
}

// parseServerFrames splits unmasked server frames; rest is an incomplete tail.
func parseServerFrames(b []byte) (frames []confMsg, fins []bool, rest []byte) {
	for len(b) >= 2 {
		n := int(b[1] & 0x7f)
		hdr := 2
		switch n {
		case 126:
			if len(b) < 4 {
				return frames, fins, b
			}
			n, hdr = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return frames, fins, b
			}
			n, hdr = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if len(b) < hdr+n {
			return frames, fins, b
		}
		frames = append(frames, confMsg{b[0] & 0x0f, string(b[hdr : hdr+n])})
		fins = append(fins, b[0]&0x80 != 0)
		b = b[hdr+n:]
	}
	return frames, fins, b
}

// judge checks what the server sent against the case; "" means it passed.
func (c confCase) judge(got []byte) string {
	frames, fins, rest := parseServerFrames(got)
	if len(rest) > 0 {
		return fmt.Sprintf("%d trailing bytes that are no frame", len(rest))
	}
	// reassemble data messages; a message counts where it starts, and only once whole
	var msgs []confMsg
	var whole []bool
	cur := -1
	for i, f := range frames {
		switch {
		case f.op == 0x0 && cur >= 0:
			msgs[cur].payload += f.payload
		case f.op == 0x1 || f.op == 0x2:
			msgs = append(msgs, f)
			whole = append(whole, false)
			cur = len(msgs) - 1
		default:
			msgs = append(msgs, f)
			whole = append(whole, true)
			continue
		}
		if fins[i] {
			whole[cur] = true
			cur = -1
		}
	}
	for i := len(msgs) - 1; i >= 0; i-- { // a fragmented echo the server never finished
		if !whole[i] {
			msgs = append(msgs[:i], msgs[i+1:]...)
		}
	}
	var closes []confMsg
	for len(msgs) > 0 && msgs[len(msgs)-1].op == 0x8 {
		closes = append([]confMsg{msgs[len(msgs)-1]}, closes...)
		msgs = msgs[:len(msgs)-1]
	}
	if len(closes) > 1 {
		return "more than one close frame"
	}
	switch {
	case c.fail:
		if len(msgs) > 0 {
			return fmt.Sprintf("echoed %d messages of a frame it must reject", len(msgs))
		}
		if len(closes) == 1 {
			code := closeCodeOf(closes[0].payload)
			for _, want := range c.codes {
				if code == want {
					return ""
				}
			}
			return fmt.Sprintf("closed with %d, want %v or a dropped connection", code, c.codes)
		}
		return ""
	case c.closing:
		if len(msgs) > 0 {
			return fmt.Sprintf("sent %d messages, want only a close frame", len(msgs))
		}
		if len(closes) != 1 {
			return "no close frame in answer to ours"
		}
		return ""
	default:
		if len(closes) != 1 {
			return "no close frame in answer to ours"
		}
		if len(msgs) != len(c.echoes) {
			return fmt.Sprintf("%d messages back, want %d", len(msgs), len(c.echoes))
		}
		for i, m := range msgs {
			if m != c.echoes[i] {
				return fmt.Sprintf("message %d: opcode %d, %d bytes; want opcode %d, %d bytes", i, m.op, len(m.payload), c.echoes[i].op, len(c.echoes[i].payload))
			}
		}
		return ""
	}
}

func closeCodeOf(p string) int {
	if len(p) < 2 {
		return 1005
	}
	return int(p[0])<<8 | int(p[1])
}

func TestConformance(t *testing.T) {
	t.Parallel()
	ts := serveScript(t, "ext.lua", extEcho)
	cases := confCases()
	for _, strict := range []bool{false, true} {
		mode, query := "default", "/s"
		if strict {
			mode, query = "strict", "/s?strict=1"
		}
		passed := map[string]int{}
		total := map[string]int{}
		var missed []string
		for _, c := range cases {
			send := c.send
			if !c.closing { // after a frame it must reject, the server never reads this
				send = append(append([]byte{}, send...), frame(true, 0x8, closePayload(1000, ""))...)
			}
			conn := ts.upgrade(t, query)
			conn.write(t, send)
			verdict := c.judge(conn.readAll(t))
			total[c.family]++
			switch {
			case verdict == "":
				passed[c.family]++
			case !strict && c.strictOnly:
				missed = append(missed, c.name)
			default:
				t.Errorf("%s mode, %s / %s: %s", mode, c.family, c.name, verdict)
			}
			if verdict == "" && !strict && c.strictOnly {
				t.Errorf("default mode, %s / %s: passed a check only strict mode makes", c.family, c.name)
			}
		}
		var fams []string
		sum, n := 0, 0
		for f := range total {
			fams = append(fams, f)
			sum += passed[f]
			n += total[f]
		}
		sort.Strings(fams)
		var b strings.Builder
		for _, f := range fams {
			fmt.Fprintf(&b, " %s %d/%d;", f, passed[f], total[f])
		}
		t.Logf("conformance, %s mode: %d of %d cases pass:%s", mode, sum, n, b.String())
		if len(missed) > 0 {
			t.Logf("  left to the script in default mode (as lua-resty-websocket): %d cases", len(missed))
		}
	}
}
