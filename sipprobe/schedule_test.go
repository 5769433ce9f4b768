package sipprobe

import (
	"fmt"
	"testing"
	"time"
)

func TestSlotAfter(t *testing.T) {
	iv, ph := 5*time.Second, 1300*time.Millisecond
	for _, now := range []time.Time{
		time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 27, 16, 0, 1, 300_000_000, time.UTC), // exactly on a slot: the next one
		time.Date(2026, 11, 27, 16, 0, 6, 299_999_999, time.UTC),
		time.Unix(0, -7), // before the epoch
	} {
		s := slotAfter(now, ph, iv)
		if !s.After(now) || s.Sub(now) > iv || (s.UnixNano()-int64(ph))%int64(iv) != 0 {
			t.Errorf("slotAfter(%s) = %s", now, s)
		}
	}
}

// Phases of the hotlines' endpoint names spread over the interval: no
// tenth of it holds more than twice its share.
func TestPhasesSpread(t *testing.T) {
	iv := 5 * time.Second
	var buckets [10]int
	n := 0
	for _, line := range []string{"122", "117"} {
		for i := 1; i <= 100; i++ {
			buckets[phaseOf(fmt.Sprintf("PJSIP/op%s-%02d", line, i), iv)*10/iv]++
			n++
		}
	}
	for i, b := range buckets {
		if b > 2*n/10 || b == 0 {
			t.Errorf("tenth %d of the interval holds %d of %d targets: %v", i, b, n, buckets)
		}
	}
	if phaseOf("PJSIP/op122-01", iv) != phaseOf("PJSIP/op122-01", iv) {
		t.Error("phase not stable")
	}
}

func TestHysteresisSteps(t *testing.T) {
	for _, tc := range []struct {
		misses, answers int
		results         string // a = answer, m = miss
		want            string // per result: + up, - down, . nothing
	}{
		{2, 1, "aamma", "+..-+"},
		{2, 2, "aammamaa", "+..-...+"},
		{1, 1, "mamam", "-+-+-"},
		{2, 1, "mmmaa", ".-.+."},     // unknown start: down after 2 misses
		{3, 2, "mmamm", "..+.."},     // unknown: the first answer is up; 2 misses are not 3
		{2, 3, "mmaaama", ".-..+.."}, // from down: 3 answers; then one miss is not enough
	} {
		var h hysteresis
		got := ""
		for _, r := range tc.results {
			switch h.step(r == 'a', tc.misses, tc.answers) {
			case 1:
				got += "+"
			case -1:
				got += "-"
			default:
				got += "."
			}
		}
		if got != tc.want {
			t.Errorf("misses=%d answers=%d %s: %s, want %s", tc.misses, tc.answers, tc.results, got, tc.want)
		}
	}
}
