package health

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func irkutsk(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Irkutsk")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestQuarters(t *testing.T) {
	loc := irkutsk(t)
	q, err := ParseQuarter("2026Q3")
	if err != nil {
		t.Fatal(err)
	}
	r := q.Range(loc)
	if r.Start != time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC) || r.End != time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC) {
		t.Fatalf("range %v", r)
	}
	if d := q.Due(loc); d != time.Date(2026, 10, 15, 16, 0, 0, 0, time.UTC) {
		t.Fatalf("due %v", d)
	}
	q4, _ := ParseQuarter("2026q4")
	if q4.Next() != (Quarter{2027, 1}) || q4.Next().Prev() != q4 || (Quarter{2026, 1}).Prev() != (Quarter{2025, 4}) || q4.Due(loc) != time.Date(2027, 1, 15, 16, 0, 0, 0, time.UTC) {
		t.Fatalf("q4 next/due %v %v", q4.Next(), q4.Due(loc))
	}
	// 2026-06-30T17:00Z is already 1 July 01:00 in Irkutsk.
	if got := QuarterOf(time.Date(2026, 6, 30, 17, 0, 0, 0, time.UTC), loc); got.String() != "2026Q3" {
		t.Fatalf("QuarterOf %v", got)
	}
	for _, bad := range []string{"", "2026", "2026Q5", "2026Q0", "26Q1", "2026-Q1", "abcdQ1", "2026Q1x"} {
		if _, err := ParseQuarter(bad); err == nil {
			t.Errorf("ParseQuarter(%q) accepted", bad)
		}
	}
}

// TestAvailabilityHandComputed: a quarter with overlaps, an exclusion, a desk
// commissioned mid-quarter and an outage crossing the quarter's edge.
func TestAvailabilityHandComputed(t *testing.T) {
	loc := irkutsk(t)
	q, _ := ParseQuarter("2026Q3")
	p := q.Range(loc)
	h := func(hours float64) time.Time { return p.Start.Add(time.Duration(hours * float64(time.Hour))) }
	total := p.End.Sub(p.Start) // 92 days
	desks := []DeskInput{
		{ID: "a", Hotlines: []string{"122"}, Spans: []Span{
			{Start: h(10), End: h(12)}, // 2 h
			{Start: h(11), End: h(13)}, // overlaps: union 10..13 = 3 h
			{Start: h(-5), End: h(1)},  // crosses the quarter's start: 1 h inside
			{Start: h(20), End: h(24), Exclusion: &Exclusion{Category: "power"}}, // 4 h excluded
		}},
		{ID: "b", Hotlines: []string{"117"}, Service: Interval{Start: h(24 * 46)}, Spans: []Span{
			{Start: h(24 * 45), End: h(24*46 + 2)}, // 2 h inside its service window
			{Start: p.End.Add(-time.Hour)},         // open span crossing the end: 1 h
		}},
		{ID: "c", Hotlines: []string{"117"}, Service: Interval{End: h(-1)}}, // retired before: not counted
	}
	res := Availability(p, p.End.Add(24*time.Hour), desks)
	if res.N != 2 || len(res.Desks) != 2 {
		t.Fatalf("N=%d desks=%d", res.N, len(res.Desks))
	}
	a, b := res.Desks[0], res.Desks[1]
	if a.Provided != total || a.Unavailable != 4*time.Hour || a.Excluded != 4*time.Hour {
		t.Fatalf("a: %+v", a)
	}
	bProv := total - 46*24*time.Hour
	if b.Provided != bProv || b.Unavailable != 3*time.Hour {
		t.Fatalf("b: %+v", b)
	}
	da := 100 * float64(total-4*time.Hour) / float64(total)
	db := 100 * float64(bProv-3*time.Hour) / float64(bProv)
	if !near(a.Di, da) || !near(b.Di, db) || !near(res.D, (da+db)/2) {
		t.Fatalf("Di %v %v D %v; want %v %v %v", a.Di, b.Di, res.D, da, db, (da+db)/2)
	}
	if g := res.Hotlines["117"]; g.N != 1 || !near(g.D, db) {
		t.Fatalf("117: %+v", g)
	}
}

func TestAvailabilityUnknownAndNow(t *testing.T) {
	p := Interval{at(0), at(1000)}
	d := []DeskInput{{ID: "a", Spans: []Span{{Start: at(100)}}, Unknown: []Interval{{at(150), at(250)}, {at(900), time.Time{}}}}}
	res := Availability(p, at(400), d) // quarter in progress: measured up to now
	a := res.Desks[0]
	if a.Provided != 400*time.Second || a.Unavailable != 200*time.Second || a.Unknown != 100*time.Second {
		t.Fatalf("%+v", a)
	}
	if res.Measured.End != at(400) {
		t.Fatalf("measured %v", res.Measured)
	}
	if r := Availability(p, at(-5), d); r.N != 0 || r.D != 0 {
		t.Fatalf("future period: %+v", r)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestAvailabilityOracle checks the arithmetic against a second-by-second
// count on random spans, service windows, schedules, exclusions and blind
// intervals.
func TestAvailabilityOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 2000; iter++ {
		const horizon = 120
		p := Interval{at(float64(rng.IntN(20))), at(float64(60 + rng.IntN(60)))}
		now := at(float64(rng.IntN(140)))
		var desks []DeskInput
		var unknown []Interval
		for i := rng.IntN(4); i > 0; i-- {
			unknown = append(unknown, randIv(rng, horizon, true))
		}
		nd := 1 + rng.IntN(4)
		for i := 0; i < nd; i++ {
			d := DeskInput{ID: string(rune('a' + i)), Hotlines: []string{[]string{"122", "117"}[i%2]}, Unknown: unknown}
			if rng.IntN(3) == 0 {
				d.Service.Start = at(float64(rng.IntN(horizon)))
			}
			if rng.IntN(3) == 0 {
				d.Service.End = at(float64(rng.IntN(horizon)))
			}
			if rng.IntN(2) == 0 { // shifts: some desks work only part of the time
				d.Schedule = []Interval{}
				for j := rng.IntN(5); j > 0; j-- {
					d.Schedule = append(d.Schedule, randIv(rng, horizon, false))
				}
				d.Schedule = Normalize(d.Schedule)
			}
			for j := rng.IntN(8); j > 0; j-- {
				iv := randIv(rng, horizon, true)
				s := Span{Start: iv.Start, End: iv.End}
				if rng.IntN(4) == 0 {
					s.Exclusion = &Exclusion{Category: "other"}
				}
				d.Spans = append(d.Spans, s)
			}
			desks = append(desks, d)
		}
		res := Availability(p, now, desks)
		// Oracle.
		var n int
		var sum float64
		k := 0
		for _, d := range desks {
			var prov, unav, excl, unk int
			for s := -10; s < horizon+10; s++ {
				x := at(float64(s))
				if x.Before(p.Start) || !x.Before(p.End) || !x.Before(now) {
					continue
				}
				if !d.Service.Start.IsZero() && x.Before(d.Service.Start) || !d.Service.End.IsZero() && !x.Before(d.Service.End) {
					continue
				}
				if d.Schedule != nil && !covers(d.Schedule, x) {
					continue
				}
				prov++
				if covers(d.Unknown, x) {
					unk++
					continue
				}
				var f, e bool
				for _, sp := range d.Spans {
					if covers([]Interval{sp.Interval()}, x) {
						if sp.Exclusion != nil {
							e = true
						} else {
							f = true
						}
					}
				}
				if f {
					unav++
				} else if e {
					excl++
				}
			}
			if prov == 0 {
				continue
			}
			if k >= len(res.Desks) || res.Desks[k].ID != d.ID {
				t.Fatalf("iter %d: desk %s missing from result", iter, d.ID)
			}
			got := res.Desks[k]
			k++
			if got.Provided != time.Duration(prov)*time.Second || got.Unavailable != time.Duration(unav)*time.Second ||
				got.Excluded != time.Duration(excl)*time.Second || got.Unknown != time.Duration(unk)*time.Second {
				t.Fatalf("iter %d desk %s: got %+v, oracle prov=%d unav=%d excl=%d unk=%d", iter, d.ID, got, prov, unav, excl, unk)
			}
			n++
			sum += 100 * float64(prov-unav) / float64(prov)
		}
		if res.N != n || k != len(res.Desks) {
			t.Fatalf("iter %d: N=%d oracle %d", iter, res.N, n)
		}
		if n > 0 && !near(res.D, sum/float64(n)) {
			t.Fatalf("iter %d: D=%v oracle %v", iter, res.D, sum/float64(n))
		}
	}
}

func randIv(rng *rand.Rand, horizon int, allowOpen bool) Interval {
	s := rng.IntN(horizon) - 5
	iv := Interval{Start: at(float64(s))}
	if !allowOpen || rng.IntN(6) != 0 {
		iv.End = at(float64(s + rng.IntN(40)))
	}
	return iv
}

func covers(ivs []Interval, x time.Time) bool {
	for _, iv := range ivs {
		if !x.Before(iv.Start) && (iv.End.IsZero() || x.Before(iv.End)) {
			return true
		}
	}
	return false
}

func TestUnion(t *testing.T) {
	got := Union([]Interval{{at(5), at(10)}, {at(0), at(3)}, {at(3), at(4)}, {at(8), time.Time{}}}, Interval{at(1), at(20)})
	if len(got) != 2 || got[0] != (Interval{at(1), at(4)}) || got[1] != (Interval{at(5), at(20)}) {
		t.Fatalf("%v", got)
	}
}

// A desk our SIP probes cover is not unmonitored while ARI alone is blind:
// a PBX outage seen only by the probes counts as a failure.
func TestInputsCoverage(t *testing.T) {
	desks := []Workstation{{ID: "probed"}, {ID: "ari-only"}}
	spans := []Span{{Workstation: "probed", Start: at(10), End: at(40)}, {Workstation: "ari-only", Start: at(10), End: at(40)}}
	ariBlind := []Interval{{at(0), at(50)}}
	in := Inputs(desks, spans, ariBlind, nil, func(id string) bool { return id == "probed" })
	res := Availability(Interval{at(0), at(100)}, at(100), in)
	p, a := res.Desks[0], res.Desks[1]
	if p.Unavailable != 30*time.Second || p.Unknown != 0 || a.Unavailable != 0 || a.Unknown != 50*time.Second {
		t.Fatalf("probed %+v, ari-only %+v", p, a)
	}
	if in := Inputs(desks, spans, ariBlind, nil, nil); len(in[0].Unknown) != 1 {
		t.Fatal("nil covered must cover nobody")
	}
}
