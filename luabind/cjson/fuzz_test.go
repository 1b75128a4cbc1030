package cjson

import "testing"

// FuzzDecode checks that decode never fails other than with a cjson error, and that
// encode∘decode reaches a fixpoint by its second round (the first may turn "-0" into the
// integer 0, as the fork does).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		doc1K, `[1,2,3]`, `{"a":[{}],"b":null}`, `"\u00e9\ud83d\ude00"`, `0x1p3`, `-Infinity`, `[1e400,-0.0,1.5]`,
		`{"a":1,"a":2}`, `[[[[[]]]]]`, `"\\\/\b\f\n\r\t"`, `[1,]`, `{"a" 1}`, "[1]\x00x", `NaN`, `01`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		L := newTestState(t)
		cfg := newConfig(getShared(L))
		cfg.encodeInvalidNums = 1
		v, err := cfg.decode(L, s)
		if err != nil {
			return
		}
		e0, err := cfg.encode(L, v, false)
		if err != nil {
			t.Fatalf("encode(decode(%q)): %s", s, err.msg)
		}
		v1, err := cfg.decode(L, e0)
		if err != nil {
			t.Fatalf("decode(%q) (from %q): %s", e0, s, err.msg)
		}
		e1, err := cfg.encode(L, v1, false)
		if err != nil {
			t.Fatalf("encode again: %s", err.msg)
		}
		v2, err := cfg.decode(L, e1)
		if err != nil {
			t.Fatalf("decode(%q) (from %q): %s", e1, s, err.msg)
		}
		e2, err := cfg.encode(L, v2, false)
		if err != nil {
			t.Fatalf("encode again: %s", err.msg)
		}
		if e1 != e2 {
			t.Fatalf("no fixpoint for %q:\n%s\n%s", s, e1, e2)
		}
	})
}
