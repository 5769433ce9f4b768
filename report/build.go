package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"deskwatch/health"
)

// Inputs are everything a quarter's figures come from. The caller loads
// them once (the availability API computes from the same), so building a
// report does no I/O.
type Inputs struct {
	Desks []health.Workstation
	// Spans of every desk overlapping the period.
	Spans []health.Span
	// Blind holds the unmonitored intervals of every source; ProbeBlind
	// those of the monitor and the SIP probes alone, which are what counts
	// for the desks ProbeCovered says our probes watch (see health.Inputs;
	// nil ProbeCovered: none).
	Blind, ProbeBlind []health.Interval
	ProbeCovered      func(desk string) bool
	// Journal lists the journal entries overlapping the period, oldest
	// first; nil: the report carries no journal.
	Journal []JournalRow
	// JournalHead is the journal's chain head once the rest was read.
	JournalHead JournalHead
}

// Availability is the standard's indicator over period, counting time up
// to at.
func (in Inputs) Availability(period health.Interval, at time.Time) health.AvailabilityResult {
	return health.Availability(period, at, health.Inputs(in.Desks, in.Spans, in.Blind, in.ProbeBlind, in.ProbeCovered))
}

// Build computes the quarter's report as of at. The inputs hash covers
// everything the figures come from (desks, spans, blind time, journal), so
// two builds with the same hash show the same figures.
func Build(q health.Quarter, loc *time.Location, at time.Time, in Inputs) *Report {
	at = at.UTC()
	res := in.Availability(q.Range(loc), at)
	r := FromAvailability(q, loc, res, in.Desks)
	r.GeneratedAt = at
	r.Journal, r.JournalHead = in.Journal, in.JournalHead
	measured := res.Measured
	for _, s := range in.Spans {
		if s.Exclusion == nil {
			continue
		}
		counted := health.Union([]health.Interval{s.Interval()}, measured)
		var d time.Duration
		for _, iv := range counted {
			d += iv.End.Sub(iv.Start)
		}
		r.Exclusions = append(r.Exclusions, ExclusionRow{SpanID: s.ID, Workstation: s.Workstation, Start: s.Start, End: s.End, Counted: d,
			Category: s.Exclusion.Category, Reason: s.Exclusion.Reason, By: s.Exclusion.By, At: s.Exclusion.At})
	}
	slices.SortFunc(r.Exclusions, func(a, b ExclusionRow) int { return a.Start.Compare(b.Start) })
	// Coverage: the unmonitored time of the desks least covered.
	shown := in.Blind
	if in.ProbeCovered != nil && !slices.ContainsFunc(in.Desks, func(w health.Workstation) bool { return !in.ProbeCovered(w.ID) }) {
		shown = in.ProbeBlind
	}
	for _, iv := range health.Union(shown, measured) {
		r.Coverage.Unknown += iv.End.Sub(iv.Start)
	}
	r.Coverage.Intervals = shown
	r.InputsHash = inputsHash(q, in.Desks, in.Spans, shown, in.Journal, res.Measured)
	return r
}

// inputsHash is SHA-256 over a canonical JSON of the inputs, spans sorted by id.
func inputsHash(q health.Quarter, desks []health.Workstation, spans []health.Span, blind []health.Interval, journal []JournalRow, measured health.Interval) string {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b health.Span) int {
		if a.ID < b.ID {
			return -1
		} else if a.ID > b.ID {
			return 1
		}
		return 0
	})
	// A quarter still running changes with every second; once it is over
	// the measured end is fixed and only real changes move the hash.
	b, _ := json.Marshal(struct {
		Q        string
		Measured health.Interval
		Desks    []health.Workstation
		Spans    []health.Span
		Blind    []health.Interval
		Journal  []JournalRow
	}{q.String(), measured, desks, spans, blind, journal})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
