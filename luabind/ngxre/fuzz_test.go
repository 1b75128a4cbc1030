package ngxre

import (
	"strings"
	"testing"
)

// FuzzCompile: translating and compiling any PCRE pattern with any ngx.re options either
// succeeds or fails with OpenResty's `pcre_compile() failed: ...` text (or a flag error),
// never a panic.
func FuzzCompile(f *testing.F) {
	for _, s := range [][2]string{
		{`^(\d+)-(?<name>\w+)$`, "jo"}, {`(?i)a|b*`, ""}, {`\x{263a}\p{L}+`, "u"}, {`a # comment
		b`, "x"}, {`(?<n>a)(?<n>b)`, "D"}, {`[[:alpha:]]+\Q.*\E`, "i"}, {`(`, ""}, {`a{2,1}`, ""},
		{`\K\R\h\v`, "s"}, {`(?>a+)b++`, "m"}, {`\1(a)`, "a"}, {`[\d-z]`, "d"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, opts string) {
		if len(pattern) > 256 {
			return
		}
		fl, err := ParseFlags(opts)
		if err != nil {
			return
		}
		if _, err := Compile(pattern, fl); err != nil && !strings.HasPrefix(err.Error(), "pcre_compile() failed: ") {
			t.Fatalf("Compile(%q, %q): %v", pattern, opts, err)
		}
	})
}
