// Package varexpand replaces nginx variables ($name, ${name}) in a directive argument.
package varexpand

import "strings"

// Expand replaces each $name and ${name} in s (names of letters, digits and underscores,
// case-insensitive: lookup gets the lower-case name) with lookup's value; a "$" not
// followed by a name stays, and an unclosed "${" leaves the rest of s as it is.
func Expand(s string, lookup func(name string) string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		var name string
		if s[j] == '{' {
			k := strings.IndexByte(s[j:], '}')
			if k < 0 {
				b.WriteString(s[i:])
				break
			}
			name, i = s[j+1:j+k], j+k
		} else {
			k := j
			for k < len(s) && isNameByte(s[k]) {
				k++
			}
			if k == j {
				b.WriteByte('$')
				continue
			}
			name, i = s[j:k], k-1
		}
		b.WriteString(lookup(strings.ToLower(name)))
	}
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
