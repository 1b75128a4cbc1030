package wsnative

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNegotiateDeflate(t *testing.T) {
	cases := []struct {
		offer string
		want  string // "" = declined
	}{
		{"permessage-deflate", "permessage-deflate"},
		{"permessage-deflate; client_max_window_bits", "permessage-deflate"},
		{"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"permessage-deflate; server_max_window_bits=10", ""},
		{"permessage-deflate; server_max_window_bits=10, permessage-deflate", "permessage-deflate"},
		{"permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15"},
		{`permessage-deflate; client_max_window_bits="12"`, "permessage-deflate"},
		{"permessage-deflate; client_max_window_bits=16", ""},
		{"permessage-deflate; foo", ""},
		{"permessage-deflate; server_no_context_takeover; server_no_context_takeover", ""},
		{"permessage-deflate; server_no_context_takeover=1", ""},
		{"x-webkit-deflate-frame", ""},
		{"", ""},
	}
	for _, tc := range cases {
		p, ok := NegotiateDeflate(ParseExtensions([]string{tc.offer}))
		got := ""
		if ok {
			got = p.String()
		}
		if got != tc.want {
			t.Errorf("offer %q: answer %q, want %q", tc.offer, got, tc.want)
		}
	}
}

func TestCheckDeflateResponse(t *testing.T) {
	cases := []struct {
		resp    []string
		ok, neg bool
	}{
		{nil, true, false},
		{[]string{"permessage-deflate"}, true, true},
		{[]string{"permessage-deflate; server_max_window_bits=9; server_no_context_takeover"}, true, true},
		{[]string{"permessage-deflate; client_max_window_bits=10"}, false, false},
		{[]string{"permessage-deflate; bogus"}, false, false},
		{[]string{"other"}, false, false},
	}
	for _, tc := range cases {
		_, neg, err := CheckDeflateResponse(tc.resp)
		if (err == nil) != tc.ok || neg != tc.neg {
			t.Errorf("%q: negotiated %v, err %v; want ok %v negotiated %v", tc.resp, neg, err, tc.ok, tc.neg)
		}
	}
}

func TestDeflateRoundTrip(t *testing.T) {
	msgs := [][]byte{[]byte("hello"), {}, bytes.Repeat([]byte("abc"), 50000), []byte("hello"), []byte("hello")}
	for _, noCtx := range []bool{false, true} {
		d, f := NewDeflater(noCtx), NewInflater(noCtx)
		var sizes []int
		for i, m := range msgs {
			c, err := d.Compress(nil, m, true)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(c))
			got, err := f.Inflate(c, 1<<20)
			if err != nil || !bytes.Equal(got, m) {
				t.Fatalf("noCtx=%v message %d: %d bytes, %v", noCtx, i, len(got), err)
			}
		}
		// With context takeover the repeated "hello" refers back to the window.
		if !noCtx && sizes[4] >= sizes[0] {
			t.Errorf("context takeover: repeated message %d bytes, first %d", sizes[4], sizes[0])
		}
	}
	// Fragments compressed one by one inflate as one message.
	d, f := NewDeflater(false), NewInflater(false)
	a, _ := d.Compress(nil, []byte("frag-one "), false)
	b, _ := d.Compress(nil, []byte("frag-two"), true)
	got, err := f.Inflate(append(a, b...), 100)
	if err != nil || string(got) != "frag-one frag-two" {
		t.Fatalf("fragments: %q, %v", got, err)
	}
	if _, err := f.Inflate(mustCompress(t, make([]byte, 1000)), 999); !errors.Is(err, ErrInflatedTooBig) {
		t.Fatalf("limit: %v", err)
	}
}

func mustCompress(t *testing.T, p []byte) []byte {
	c, err := NewDeflater(true).Compress(nil, p, true)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUTF8Validator(t *testing.T) {
	cases := []string{"", "abc", "héllo", "€", "𝄞", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"a\xe2\x82", "\xe2\x82\xac\xe2", "κόσμε", "\xf0\x9f\x98"}
	for _, s := range cases {
		want := utf8.ValidString(s)
		// every split into two pieces gives the same answer
		for i := 0; i <= len(s); i++ {
			var v UTF8Validator
			ok := v.Write([]byte(s[:i])) && v.Write([]byte(s[i:]))
			ok = ok && v.Done()
			if ok != want {
				t.Errorf("%q split at %d: %v, want %v", s, i, ok, want)
			}
		}
	}
}

func TestValidCloseCode(t *testing.T) {
	valid := []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999}
	invalid := []int{0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}
	for _, c := range valid {
		if !ValidCloseCode(c) {
			t.Errorf("%d invalid", c)
		}
	}
	for _, c := range invalid {
		if ValidCloseCode(c) {
			t.Errorf("%d valid", c)
		}
	}
	if !strings.HasPrefix(ClientDeflateOffer, ExtDeflate) {
		t.Fatal(ClientDeflateOffer)
	}
}

func BenchmarkDeflate(b *testing.B) {
	msg := bytes.Repeat([]byte(`{"user":"ana","text":"hello, room"} `), 2)
	d, f := NewDeflater(false), NewInflater(false)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	var c []byte
	for i := 0; i < b.N; i++ {
		c, _ = d.Compress(c[:0], msg, true)
		if _, err := f.Inflate(c, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}
