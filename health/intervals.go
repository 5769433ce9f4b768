package health

import (
	"slices"
	"time"
)

// Interval arithmetic on [Start, End) ranges. Functions take and return
// sorted, disjoint ("normal") lists unless they say otherwise.

// clipNormalize clips each interval to win (open ends run to win.End), drops
// the empty ones and merges the rest into a sorted disjoint list. It reuses
// buf's storage.
func clipNormalize(buf []Interval, in []Interval, win Interval) []Interval {
	out := buf[:0]
	for _, iv := range in {
		s, e := iv.Start, iv.End
		if e.IsZero() || e.After(win.End) {
			e = win.End
		}
		if s.Before(win.Start) {
			s = win.Start
		}
		if e.After(s) {
			out = append(out, Interval{s, e})
		}
	}
	return mergeSorted(sortIntervals(out))
}

func sortIntervals(ivs []Interval) []Interval {
	slices.SortFunc(ivs, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	return ivs
}

// mergeSorted merges overlapping or touching intervals of a start-sorted list in place.
func mergeSorted(ivs []Interval) []Interval {
	if len(ivs) == 0 {
		return ivs
	}
	w := 0
	for _, iv := range ivs[1:] {
		if !iv.Start.After(ivs[w].End) {
			if iv.End.After(ivs[w].End) {
				ivs[w].End = iv.End
			}
			continue
		}
		w++
		ivs[w] = iv
	}
	return ivs[:w+1]
}

// measure is the total length of a normal list.
func measure(ivs []Interval) time.Duration {
	var d time.Duration
	for _, iv := range ivs {
		d += iv.End.Sub(iv.Start)
	}
	return d
}

// subtract returns a \ b for normal lists, appended to buf.
func subtract(buf, a, b []Interval) []Interval {
	out := buf[:0]
	j := 0
	for _, iv := range a {
		s := iv.Start
		for j < len(b) && !b[j].End.After(s) {
			j++
		}
		k := j
		for k < len(b) && b[k].Start.Before(iv.End) {
			if b[k].Start.After(s) {
				out = append(out, Interval{s, b[k].Start})
			}
			if b[k].End.After(s) {
				s = b[k].End
			}
			k++
		}
		if iv.End.After(s) {
			out = append(out, Interval{s, iv.End})
		}
	}
	return out
}

// Union returns the sorted disjoint union of intervals clipped to win
// (open intervals run to win.End).
func Union(in []Interval, win Interval) []Interval {
	return clipNormalize(make([]Interval, 0, len(in)), in, win)
}

// Normalize sorts ivs and merges the ones that overlap or touch, in place.
func Normalize(ivs []Interval) []Interval { return mergeSorted(sortIntervals(ivs)) }

// intersect returns a ∩ b for normal lists, appended to buf.
func intersect(buf, a, b []Interval) []Interval {
	out := buf[:0]
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		s, e := a[i].Start, a[i].End
		if b[j].Start.After(s) {
			s = b[j].Start
		}
		if b[j].End.Before(e) {
			e = b[j].End
		}
		if e.After(s) {
			out = append(out, Interval{s, e})
		}
		if a[i].End.Before(b[j].End) {
			i++
		} else {
			j++
		}
	}
	return out
}
