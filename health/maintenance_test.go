package health

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestMaintenanceScopeAndWindow(t *testing.T) {
	a := Workstation{ID: "a", Hotlines: []string{"122"}}
	b := Workstation{ID: "b", Hotlines: []string{"117"}}
	m := Maintenance{Hotlines: []string{"122"}, From: at(10), To: at(20), Counts: true}
	if !m.Covers(a) || m.Covers(b) || !(Maintenance{All: true}).Covers(b) || !(Maintenance{Workstations: []string{"b"}}).Covers(b) {
		t.Error("Covers")
	}
	if !m.Active(a, at(10)) || m.Active(a, at(20)) || m.Active(b, at(15)) || m.Active(a, at(9)) {
		t.Error("Active")
	}
	ended := m
	ended.EndedAt = at(12)
	if ended.Active(a, at(12)) || !ended.Active(a, at(11)) {
		t.Error("ended early")
	}
	cancelled := m
	cancelled.CancelledAt = at(5)
	if _, ok := cancelled.Window(); ok || cancelled.Overlaps(a, Interval{Start: at(0)}) {
		t.Error("cancelled")
	}
	if !m.Overlaps(a, Interval{Start: at(19)}) || m.Overlaps(a, Interval{Start: at(0), End: at(10)}) || !m.Overlaps(a, Interval{Start: at(0), End: at(11)}) {
		t.Error("Overlaps")
	}
}

// Splitting spans at uncounted windows, then computing availability, gives
// the same unavailable time as a second-by-second oracle, and counted
// windows change nothing.
func TestUncountedEqualsOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	w := Workstation{ID: "d", Hotlines: []string{"122"}}
	period := Interval{Start: at(0), End: at(600)}
	for round := range 300 {
		var spans []Span
		for range r.IntN(5) {
			s := r.IntN(600)
			sp := Span{Workstation: "d", Start: at(float64(s))}
			if r.IntN(5) > 0 {
				sp.End = at(float64(s + 1 + r.IntN(200)))
			}
			if r.IntN(6) == 0 {
				sp.Exclusion = &Exclusion{Category: "power"}
			}
			spans = append(spans, sp)
		}
		var ms []Maintenance
		for range r.IntN(4) {
			s := r.IntN(600)
			m := Maintenance{All: r.IntN(2) == 0, Hotlines: []string{"122"}, From: at(float64(s)), To: at(float64(s + 1 + r.IntN(200))),
				Counts: r.IntN(3) == 0, Category: "other", Reason: "плановые работы"}
			if r.IntN(4) == 0 {
				m.EndedAt = at(float64(s + r.IntN(100)))
			}
			if r.IntN(8) == 0 {
				m.CancelledAt = at(0)
			}
			ms = append(ms, m)
		}
		got := Availability(period, period.End, []DeskInput{{ID: "d", Spans: Uncounted(w, spans, ms)}})
		var unav, excl int
		for x := 0; x < 600; x++ {
			t0 := at(float64(x))
			inSpan, inExcl := false, false
			for _, sp := range spans {
				if !t0.Before(sp.Start) && (sp.End.IsZero() || t0.Before(sp.End)) {
					if sp.Exclusion != nil {
						inExcl = true
					} else {
						inSpan = true
					}
				}
			}
			planned := false
			for _, m := range ms {
				if iv, ok := m.Window(); ok && !m.Counts && !t0.Before(iv.Start) && t0.Before(iv.End) {
					planned = true
				}
			}
			switch {
			case inSpan && !planned:
				unav++
			case inSpan || inExcl:
				excl++
			}
		}
		d := got.Desks[0]
		if d.Unavailable != time.Duration(unav)*time.Second || d.Excluded != time.Duration(excl)*time.Second {
			t.Fatalf("round %d: unavailable %v excluded %v, oracle %ds %ds\nspans %+v\nwindows %+v", round, d.Unavailable, d.Excluded, unav, excl, spans, ms)
		}
	}
}
