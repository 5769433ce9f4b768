package journal

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"deskwatch/health"
)

// The index answers as health.Maintenance.Overlaps over every window does,
// on random windows (cancelled, ended early, of any length and scope) and
// spans.
func TestWindowIndexMatchesOverlaps(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 31))
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	at := func(maxMin int) time.Time { return base.Add(time.Duration(r.IntN(maxMin)) * time.Minute) }
	desks := []health.Workstation{{ID: "a", Hotlines: []string{"122"}}, {ID: "b", Hotlines: []string{"117"}}, {ID: "c", Hotlines: []string{"122", "117"}}}
	for round := range 200 {
		var all []health.Maintenance
		for k := range r.IntN(30) {
			m := health.Maintenance{ID: fmt.Sprintf("mw-%d", k+1), From: at(3000)}
			m.To = m.From.Add(time.Duration(1+r.IntN(600)) * time.Minute)
			switch r.IntN(4) {
			case 0:
				m.All = true
			case 1:
				m.Hotlines = []string{[]string{"122", "117"}[r.IntN(2)]}
			default:
				m.Workstations = []string{desks[r.IntN(3)].ID}
			}
			switch r.IntN(6) {
			case 0:
				m.CancelledAt = m.From.Add(-time.Minute)
			case 1:
				m.EndedAt = m.From.Add(time.Duration(r.IntN(700)) * time.Minute)
			}
			all = append(all, m)
		}
		x := newWindowIndex(all)
		for range 50 {
			w := desks[r.IntN(3)]
			iv := health.Interval{Start: at(3600)}
			iv.End = iv.Start.Add(time.Duration(r.IntN(900)) * time.Minute)
			var want []string
			for _, m := range all {
				if m.Overlaps(w, iv) {
					want = append(want, m.ID)
				}
			}
			slices.SortFunc(want, health.CompareMaintenanceIDs)
			if got := x.overlapping(w, iv); !slices.Equal(got, want) {
				t.Fatalf("round %d: %s in %v: %v, want %v (windows %+v)", round, w.ID, iv, got, want, all)
			}
		}
	}
}
