package schedule

import (
	"math/rand/v2"
	"testing"
	"time"

	"deskwatch/health"
)

// Availability with schedules equals a second-by-second oracle, on random
// schedules (night and split shifts, holidays, swapped days), over a whole
// quarter and over random from/to ranges.
func TestAvailabilityWithSchedulesEqualsOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	q4 := health.Interval{Start: time.Date(2026, 10, 1, 0, 0, 0, 0, irk), End: time.Date(2027, 1, 1, 0, 0, 0, 0, irk)}
	cases := []health.Interval{q4}
	for range 30 {
		from := q4.Start.Add(time.Duration(r.IntN(80*24*3600)) * time.Second)
		cases = append(cases, health.Interval{Start: from, End: from.Add(time.Duration(1+r.IntN(36*3600)) * time.Second)})
	}
	for ci, period := range cases {
		nd := 1 + r.IntN(3)
		var desks []health.DeskInput
		var scheds []*Schedule
		for i := range nd {
			var s *Schedule
			if i > 0 || r.IntN(4) > 0 { // some desks work around the clock
				s = randomSchedule(r, irk)
			}
			scheds = append(scheds, s)
			d := health.DeskInput{ID: string(rune('a' + i)), Hotlines: []string{"122"}}
			if s != nil {
				d.Schedule = s.Windows(period.Start, period.End)
				if d.Schedule == nil {
					d.Schedule = []health.Interval{}
				}
			}
			span := period.End.Sub(period.Start)
			for range r.IntN(12) {
				st := period.Start.Add(time.Duration(r.Int64N(int64(span/unit(ci)))) * unit(ci))
				sp := health.Span{Workstation: d.ID, Start: st, End: st.Add(time.Duration(r.IntN(36*3600)) * unit(ci))}
				if r.IntN(4) == 0 {
					sp.Exclusion = &health.Exclusion{Category: "power"}
				}
				d.Spans = append(d.Spans, sp)
			}
			desks = append(desks, d)
		}
		res := health.Availability(period, period.End, desks)
		k := 0
		for i, d := range desks {
			prov, unav := oracleSeconds(scheds[i], d.Spans, period, unit(ci))
			if prov == 0 {
				continue
			}
			if k >= len(res.Desks) || res.Desks[k].ID != d.ID {
				t.Fatalf("case %d: desk %s missing from %+v", ci, d.ID, res.Desks)
			}
			got := res.Desks[k]
			k++
			if got.Provided != time.Duration(prov)*time.Second || got.Unavailable != time.Duration(unav)*time.Second {
				t.Fatalf("case %d desk %s (%v): provided %v unavailable %v, oracle %ds %ds", ci, d.ID, period, got.Provided, got.Unavailable, prov, unav)
			}
		}
		if k != len(res.Desks) {
			t.Fatalf("case %d: %d desks in the result, oracle %d", ci, len(res.Desks), k)
		}
	}
}

// unit is the oracle's step: the whole quarter (case 0) is counted minute by
// minute, with its spans on whole minutes (a second-by-second count of a
// quarter takes minutes under the race detector); the short ranges second
// by second.
func unit(ci int) time.Duration {
	if ci == 0 {
		return time.Minute
	}
	return time.Second
}

// oracleSeconds counts the provided seconds of [period) and the ones of them
// under a failure that is not excluded, stepping by step.
func oracleSeconds(s *Schedule, spans []health.Span, p health.Interval, step time.Duration) (prov, unav int) {
	defer func() { prov, unav = prov*int(step/time.Second), unav*int(step/time.Second) }()
	var minute time.Time
	in := false
	for x := p.Start; x.Before(p.End); x = x.Add(step) {
		if m := x.Truncate(time.Minute); !m.Equal(minute) { // shifts are whole minutes
			minute, in = m, s == nil || oracle(s, m)
		}
		if !in {
			continue
		}
		prov++
		for _, sp := range spans {
			if sp.Exclusion == nil && !x.Before(sp.Start) && x.Before(sp.End) {
				unav++
				break
			}
		}
	}
	return prov, unav
}
