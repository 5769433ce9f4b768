package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"deskwatch/health"
)

// Schedule gives the times a desk is provided within [from, to)
// (*schedule.Schedule; report depends on health alone).
type Schedule interface {
	Windows(from, to time.Time) []health.Interval
}

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
	// Schedules by name, for the desks that name one (health.Workstation.
	// Schedule): t_provided is their service window ∩ the schedule.
	Schedules map[string]Schedule
	// Maintenance are the planned windows overlapping the period: outages
	// inside one that does not count are excluded with its category and
	// reason (health.Uncounted).
	Maintenance []health.Maintenance
	// Journal lists the journal entries overlapping the period, oldest
	// first; nil: the report carries no journal.
	Journal []JournalRow
	// JournalHead is the journal's chain head once the rest was read.
	JournalHead JournalHead
}

// Availability is the standard's indicator over period, counting time up
// to at.
func (in Inputs) Availability(period health.Interval, at time.Time) health.AvailabilityResult {
	desks := health.Inputs(in.Desks, in.Spans, in.Blind, in.ProbeBlind, in.ProbeCovered)
	shifts := in.shifts(period)
	for i, w := range in.Desks { // health.Inputs keeps the desks' order
		if win, ok := shifts[w.Schedule]; ok {
			desks[i].Schedule = win
		}
		desks[i].Spans = health.Uncounted(w, desks[i].Spans, in.Maintenance)
	}
	return health.Availability(period, at, desks)
}

// shifts are the windows of every schedule a desk names, over period, by
// name: computed once per schedule, shared by its desks.
func (in Inputs) shifts(period health.Interval) map[string][]health.Interval {
	out := map[string][]health.Interval{}
	for _, w := range in.Desks {
		if _, done := out[w.Schedule]; done || w.Schedule == "" {
			continue
		}
		if s, ok := in.Schedules[w.Schedule]; ok && s != nil {
			win := s.Windows(period.Start, period.End)
			if win == nil {
				win = []health.Interval{} // no shift at all: not among the N
			}
			out[w.Schedule] = win
		}
	}
	return out
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
	r.Exclusions = append(r.Exclusions, in.plannedExclusions(measured)...)
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
	r.InputsHash = inputsHash(q, in.Desks, in.Spans, shown, in.Journal, res.Measured, in.shifts(res.Measured), in.Maintenance)
	return r
}

// inputsHash is SHA-256 over a canonical JSON of the inputs, spans sorted by id.
func inputsHash(q health.Quarter, desks []health.Workstation, spans []health.Span, blind []health.Interval, journal []JournalRow, measured health.Interval, shifts map[string][]health.Interval, maint []health.Maintenance) string {
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
	// the measured end is fixed and only real changes move the hash. A
	// changed schedule changes the figures, so its windows are hashed too
	// (left out when no desk has one, so older hashes stay).
	b, _ := json.Marshal(struct {
		Q        string
		Measured health.Interval
		Desks    []health.Workstation
		Spans    []health.Span
		Blind    []health.Interval
		Journal  []JournalRow
		Shifts   map[string][]health.Interval `json:",omitempty"`
		Maint    []health.Maintenance         `json:",omitempty"`
	}{q.String(), measured, desks, spans, blind, journal, shifts, maint})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
