package shdict

import (
	"fmt"
	"math"
	"strconv"
)

// ParseSize parses an nginx size such as "10m", "512k", "1g" or "4096" (bytes) and returns
// the number of bytes. The suffixes are case-insensitive, as in nginx's ngx_parse_size; the
// number must be a plain decimal integer (no sign, no fraction, no spaces).
func ParseSize(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	scale := int64(1)
	digits := s
	switch s[len(s)-1] {
	case 'k', 'K':
		scale, digits = 1<<10, s[:len(s)-1]
	case 'm', 'M':
		scale, digits = 1<<20, s[:len(s)-1]
	case 'g', 'G':
		scale, digits = 1<<30, s[:len(s)-1]
	}
	if digits == "" {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, fmt.Errorf("invalid size %q", s)
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/scale {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return n * scale, nil
}
