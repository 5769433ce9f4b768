package health

import (
	"slices"
	"time"
)

// DeskInput is what the availability of one workstation is computed from.
type DeskInput struct {
	ID       string
	Hotlines []string
	// Service is the desk's service window; a zero Start or End is unbounded.
	Service Interval
	// Spans are the desk's failure spans in any order, excluded ones included;
	// spans outside the period are ignored.
	Spans []Span
	// Unknown are intervals with no monitoring (blind); they may be shared
	// between desks and are not modified.
	Unknown []Interval
	// Schedule, if not nil, holds the only times the desk is provided (its
	// shifts, sorted and disjoint, e.g. from package schedule): t_provided is
	// the service window ∩ the schedule, and failures and blind time count
	// only inside it. Nil is around the clock. Shared, not modified.
	Schedule []Interval
}

// DeskAvailability is one desk's share of the standard's formula.
type DeskAvailability struct {
	ID          string
	Provided    time.Duration // t_provided: in service within the period (up to now)
	Unavailable time.Duration // t_unavailable: recorded failure, not excluded, not blind
	Excluded    time.Duration // failure not the institution's fault (footnote *), not counted
	Unknown     time.Duration // in service but not monitored; not a failure, reported apart
	Di          float64       // percent; meaningful only when Provided > 0
}

// GroupAvailability is D over a group of desks.
type GroupAvailability struct {
	N int
	D float64 // percent; 0 when N == 0
}

// AvailabilityResult is the standard's indicator 2 for a period.
type AvailabilityResult struct {
	Period   Interval // as asked
	Measured Interval // the part of the period up to now
	GroupAvailability
	Desks    []DeskAvailability // desks in service during the period, input order
	Hotlines map[string]GroupAvailability
}

// Availability computes D = ΣDi/N and Di = (t_provided − t_unavailable)/t_provided
// for the period, counting time only up to now. A desk is among the N when
// its service window (∩ its schedule) overlaps the measured period. Overlapping failure spans
// count once; excluded spans leave the formula; unknown (blind) time is not a
// failure and is reported apart.
func Availability(period Interval, now time.Time, desks []DeskInput) AvailabilityResult {
	measured := period
	if now.Before(measured.End) {
		measured.End = now
	}
	res := AvailabilityResult{Period: period, Measured: measured, Hotlines: map[string]GroupAvailability{}}
	if !measured.End.After(measured.Start) {
		return res
	}
	var fail, excl, unk, tmp, tmp2, shifts []Interval
	// Desks on one schedule share its windows (report.Inputs): clip them
	// to a window once, not once per desk.
	type shiftKey struct {
		first *Interval
		n     int
		win   Interval
	}
	clipped := map[shiftKey][]Interval{}
	sums := map[string]float64{}
	var total float64
	for _, d := range desks {
		win := measured
		if !d.Service.Start.IsZero() && d.Service.Start.After(win.Start) {
			win.Start = d.Service.Start
		}
		if !d.Service.End.IsZero() && d.Service.End.Before(win.End) {
			win.End = d.Service.End
		}
		if !win.End.After(win.Start) {
			continue
		}
		fail, excl = fail[:0], excl[:0]
		for _, s := range d.Spans {
			if s.Exclusion != nil {
				excl = append(excl, s.Interval())
			} else {
				fail = append(fail, s.Interval())
			}
		}
		fail = clipNormalize(fail, fail, win)
		excl = clipNormalize(excl, excl, win)
		unk = clipNormalize(unk, append(unk[:0], d.Unknown...), win)
		provided := win.End.Sub(win.Start)
		if d.Schedule != nil {
			shifts = nil
			if len(d.Schedule) > 0 {
				k := shiftKey{&d.Schedule[0], len(d.Schedule), win}
				var ok bool
				if shifts, ok = clipped[k]; !ok {
					shifts = clipNormalize(nil, append([]Interval(nil), d.Schedule...), win)
					clipped[k] = shifts
				}
			}
			if provided = measure(shifts); provided <= 0 {
				continue // no shift in the period: not among the N
			}
			fail, tmp = intersect(tmp, fail, shifts), fail
			excl, tmp = intersect(tmp, excl, shifts), excl
			unk, tmp = intersect(tmp, unk, shifts), unk
		}

		a := DeskAvailability{ID: d.ID, Provided: provided, Unknown: measure(unk)}
		tmp = subtract(tmp, fail, unk)
		a.Unavailable = measure(tmp)
		// Excluded time that no counted failure or blind interval already covers.
		tmp = subtract(tmp, excl, unk)
		tmp2 = subtract(tmp2, tmp, fail)
		a.Excluded = measure(tmp2)
		a.Di = 100 * float64(a.Provided-a.Unavailable) / float64(a.Provided)
		res.Desks = append(res.Desks, a)
		total += a.Di
		for _, h := range uniq(d.Hotlines) {
			g := res.Hotlines[h]
			g.N++
			res.Hotlines[h] = g
			sums[h] += a.Di
		}
	}
	res.N = len(res.Desks)
	if res.N > 0 {
		res.D = total / float64(res.N)
	}
	for h, g := range res.Hotlines {
		g.D = sums[h] / float64(g.N)
		res.Hotlines[h] = g
	}
	return res
}

func uniq(ss []string) []string {
	if len(ss) < 2 {
		return ss
	}
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// Inputs builds the availability inputs of desks from the spans of a period
// (any desk, any order) and its blind intervals. A desk that covered(id)
// says our SIP probes watch is unmonitored only when no probe could run
// either (probeBlind: the daemon down); the others whenever any source was
// blind. covered may be nil: no desk is covered.
func Inputs(desks []Workstation, spans []Span, blind, probeBlind []Interval, covered func(id string) bool) []DeskInput {
	by := make(map[string][]Span, len(desks))
	for _, sp := range spans {
		by[sp.Workstation] = append(by[sp.Workstation], sp)
	}
	in := make([]DeskInput, 0, len(desks))
	for _, w := range desks {
		unknown := blind
		if covered != nil && covered(w.ID) {
			unknown = probeBlind
		}
		in = append(in, DeskInput{ID: w.ID, Hotlines: w.Hotlines, Service: Interval{Start: w.InServiceFrom, End: w.InServiceUntil}, Spans: by[w.ID], Unknown: unknown})
	}
	return in
}
