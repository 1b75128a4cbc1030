package ngxre

import "strings"

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

// templateError is a replacement string that does not compile: sub/gsub return
// "failed to compile the replacement template" and the error log gets Detail, worded as
// lua-nginx-module's template compiler words it.
type templateError struct{ Detail string }

func (e *templateError) Error() string { return "failed to compile the replacement template" }

// compileTemplate parses s as lua-nginx-module does: "$$" is a "$", "$N" and "${N}" are
// captures; any other name is refused (named captures are not supported there).
func compileTemplate(s string) (*template, error) {
	t := &template{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, tmplPart{lit: lit.String(), cap: -1})
			lit.Reset()
		}
	}
	invalid := func() error {
		return &templateError{Detail: `lua script: invalid capturing variable name found in "` + s + `"`}
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
			return nil, invalid()
		}
		if s[i] == '$' {
			lit.WriteByte('$')
			i++
			continue
		}
		bracket := s[i] == '{'
		if bracket {
			i++
			if i == len(s) {
				return nil, invalid()
			}
		}
		numeric := s[i] >= '0' && s[i] <= '9'
		start, n := i, 0
		for ; i < len(s); i++ {
			ch := s[i]
			if numeric && ch >= '0' && ch <= '9' {
				if n = n*10 + int(ch-'0'); n > 1<<20 {
					n = 1 << 20
				}
				continue
			}
			if !numeric && (ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
				continue
			}
			break
		}
		name := s[start:i]
		if bracket {
			if i == len(s) || s[i] != '}' {
				return nil, &templateError{Detail: `the closing bracket in "` + name + `" variable is missing`}
			}
			i++
		}
		if name == "" {
			return nil, invalid()
		}
		if !numeric {
			return nil, &templateError{Detail: `attempt to use named capturing variable "` + name + `" (named captures not supported yet)`}
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
