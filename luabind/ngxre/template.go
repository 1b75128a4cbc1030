package ngxre

import (
	"errors"
	"strings"
)

// template is a compiled sub/gsub replacement string: literal text with $N, ${N} and $$.
// Named references (${name}) are not part of lua-nginx-module's template language and fail
// to compile, as there.
type template struct {
	parts []tmplPart
}

type tmplPart struct {
	lit string
	cap int // -1 for a literal
}

var errTemplate = errors.New("failed to compile the replacement template")

func compileTemplate(s string) (*template, error) {
	t := &template{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, tmplPart{lit: lit.String(), cap: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' {
			lit.WriteByte(c)
			i++
			continue
		}
		i++
		if i == len(s) {
			return nil, errTemplate
		}
		if s[i] == '$' {
			lit.WriteByte('$')
			i++
			continue
		}
		bracket := false
		if s[i] == '{' {
			bracket = true
			i++
			if i == len(s) {
				return nil, errTemplate
			}
		}
		if s[i] < '0' || s[i] > '9' {
			return nil, errTemplate
		}
		n := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			n = n*10 + int(s[i]-'0')
			if n > 1<<20 {
				n = 1 << 20
			}
		}
		if bracket {
			if i == len(s) || s[i] != '}' {
				return nil, errTemplate
			}
			i++
		}
		flush()
		t.parts = append(t.parts, tmplPart{cap: n})
	}
	flush()
	return t, nil
}

// expand appends the replacement for one match (caps are byte offsets) to b.
func (t *template) expand(b *strings.Builder, subj string, caps []int) {
	for _, p := range t.parts {
		if p.cap < 0 {
			b.WriteString(p.lit)
			continue
		}
		if 2*p.cap+1 < len(caps) && caps[2*p.cap] >= 0 {
			b.WriteString(subj[caps[2*p.cap]:caps[2*p.cap+1]])
		}
	}
}
