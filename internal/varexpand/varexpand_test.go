package varexpand

import "testing"

func TestExpand(t *testing.T) {
	vars := map[string]string{"a": "1", "res": `[{"a":32}]`, "host": "h"}
	lookup := func(n string) string { return vars[n] }
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"$a", "1"},
		{"x$a-y", "x1-y"},
		{"${a}b", "1b"},
		{"$RES", `[{"a":32}]`},
		{"$missing.", "."},
		{"cost $", "cost $"},
		{"$ x", "$ x"},
		{"${a", "${a"},
		{"$host$a", "h1"},
	} {
		if got := Expand(tc.in, lookup); got != tc.want {
			t.Errorf("Expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
