package luabind

import "testing"

// 067-req-socket TEST 5, 066-socket-receiveuntil: in size mode receiveuntil may return the
// bytes that cannot begin the pattern, however few are buffered.
func TestPartialMatch(t *testing.T) {
	tests := []struct {
		buf, pat string
		want     int
	}{
		{"$", "\r\n", 0},
		{"a\r", "\r\n", 1},
		{"abcab", "abcabd", 5},
		{"abcabc", "abcabd", 3},
		{"xx--ab", "--abc", 4},
		{"", "--abc", 0},
		{"aaaa", "aaaaad", 4},
	}
	for _, tt := range tests {
		if got := partialMatch([]byte(tt.buf), []byte(tt.pat)); got != tt.want {
			t.Errorf("partialMatch(%q, %q) = %d, want %d", tt.buf, tt.pat, got, tt.want)
		}
	}
}
