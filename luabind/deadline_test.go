package luabind

import (
	"testing"
	"time"
)

// coarseDeadline never fires early, is at most a granule late, and gives every deadline
// within one granule the same instant (so that their timers fire together).
func TestCoarseDeadline(t *testing.T) {
	base := time.Hour // offsets from monoStart
	for _, tc := range []struct {
		d, granule time.Duration
	}{
		{5 * time.Second, 250 * time.Millisecond},
		{time.Second, time.Second / 16},
		{100 * time.Millisecond, 100 * time.Millisecond / 16},
		{time.Minute, 250 * time.Millisecond},
		{10 * time.Nanosecond, 0}, // too short to round
	} {
		for _, off := range []time.Duration{0, 1, 7 * time.Millisecond, 249 * time.Millisecond, 3*time.Second + 1} {
			want := base + off + tc.d
			got := coarseDeadline(want, tc.d)
			if got < want {
				t.Errorf("d=%v off=%v: %v is before %v", tc.d, off, got, want)
			}
			if tc.granule == 0 {
				if got != want {
					t.Errorf("d=%v: rounded to %v, want %v unchanged", tc.d, got, want)
				}
				continue
			}
			if late := got - want; late >= tc.granule {
				t.Errorf("d=%v off=%v: %v late, granule %v", tc.d, off, late, tc.granule)
			}
			if r := got % tc.granule; r != 0 {
				t.Errorf("d=%v off=%v: not on a granule boundary (%v past one)", tc.d, off, r)
			}
			if again := coarseDeadline(got-1, tc.d); again != got {
				t.Errorf("d=%v off=%v: a deadline 1ns earlier in the same granule rounds to %v, not %v", tc.d, off, again, got)
			}
		}
	}
}
