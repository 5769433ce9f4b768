package health

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// makeQuarter builds desks with spans spread over the quarter (and, with
// outside > 0, that many times more spans outside it).
func makeQuarter(nDesks, nSpans, outside int) (Interval, []DeskInput) {
	p := Interval{time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC), time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC)}
	rng := rand.New(rand.NewPCG(7, 9))
	length := p.End.Sub(p.Start)
	desks := make([]DeskInput, nDesks)
	for i := range desks {
		desks[i] = DeskInput{ID: fmt.Sprintf("op-%05d", i), Hotlines: []string{[]string{"122", "117"}[i%2]}}
	}
	add := func(n int, base time.Time, span time.Duration) {
		for j := 0; j < n; j++ {
			d := &desks[j%nDesks]
			s := base.Add(time.Duration(rng.Int64N(int64(span))))
			sp := Span{Start: s, End: s.Add(time.Duration(rng.Int64N(int64(2 * time.Hour))))}
			if j%50 == 0 {
				sp.Exclusion = &Exclusion{Category: "power"}
			}
			d.Spans = append(d.Spans, sp)
		}
	}
	add(nSpans, p.Start, length)
	add(nSpans*outside, p.Start.Add(-10*length), 10*length)
	return p, desks
}

func benchAvailability(b *testing.B, nDesks, nSpans, outside int) {
	p, desks := makeQuarter(nDesks, nSpans, outside)
	unknown := []Interval{{p.Start.Add(time.Hour), p.Start.Add(2 * time.Hour)}}
	for i := range desks {
		desks[i].Unknown = unknown
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := Availability(p, p.End, desks)
		if res.N != nDesks {
			b.Fatalf("N=%d", res.N)
		}
	}
}

func BenchmarkAvailability(b *testing.B) {
	b.Run("desks=100/spans=10k", func(b *testing.B) { benchAvailability(b, 100, 10_000, 0) })
	b.Run("desks=100/spans=1M", func(b *testing.B) { benchAvailability(b, 100, 1_000_000, 0) })
	b.Run("desks=10k/spans=1M", func(b *testing.B) { benchAvailability(b, 10_000, 1_000_000, 0) })
}

func BenchmarkTrackerObserve(b *testing.B) {
	const n = 10_000
	ws := make([]Workstation, n)
	obsv := make([]Observation, 2*n)
	for i := range ws {
		ep := fmt.Sprintf("PJSIP/op%05d", i)
		ws[i] = Workstation{ID: fmt.Sprint(i), Endpoints: []string{ep}}
		obsv[2*i] = Observation{Endpoint: ep, Kind: KindContactUnreachable, Contact: "sip:x"}
		obsv[2*i+1] = Observation{Endpoint: ep, Kind: KindContactAvailable, Contact: "sip:x"}
	}
	tr := NewTracker(ws)
	t := t0
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		o := obsv[i%len(obsv)]
		t = t.Add(time.Millisecond)
		o.At = t
		tr.Observe(o)
		i++
	}
}
