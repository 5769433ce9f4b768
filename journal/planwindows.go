package journal

import (
	"slices"
	"sort"
	"time"

	"deskwatch/health"
)

// windowIndex finds the maintenance windows that overlap a span without
// reading them all: the windows that hold (not cancelled, not empty) by
// start, and the longest one's length, so that a lookup reads only those
// that can reach the span.
type windowIndex struct {
	ws      []heldWindow
	longest time.Duration
}

type heldWindow struct {
	iv health.Interval
	m  health.Maintenance
}

func newWindowIndex(all []health.Maintenance) *windowIndex {
	x := &windowIndex{}
	for _, m := range all {
		if iv, ok := m.Window(); ok {
			x.ws = append(x.ws, heldWindow{iv, m})
			x.longest = max(x.longest, iv.End.Sub(iv.Start))
		}
	}
	slices.SortFunc(x.ws, func(a, b heldWindow) int { return a.iv.Start.Compare(b.iv.Start) })
	return x
}

// overlapping lists, by number, the windows that apply to w somewhere in
// iv (iv.End set), as health.Maintenance.Overlaps decides.
func (x *windowIndex) overlapping(w health.Workstation, iv health.Interval) []string {
	hi := sort.Search(len(x.ws), func(i int) bool { return !x.ws[i].iv.Start.Before(iv.End) })
	var ids []string
	for i := hi - 1; i >= 0; i-- {
		h := x.ws[i]
		if !h.iv.Start.Add(x.longest).After(iv.Start) {
			break // this one and every earlier one ended by iv.Start
		}
		if h.iv.End.After(iv.Start) && h.m.Covers(w) {
			ids = append(ids, h.m.ID)
		}
	}
	slices.SortFunc(ids, health.CompareMaintenanceIDs)
	return ids
}
