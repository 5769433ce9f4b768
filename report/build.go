package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"deskwatch/health"
)

// Sources are where a report's inputs come from (the store and the journal).
type Sources interface {
	// Spans returns the spans of every desk overlapping [from, to).
	Spans(ctx context.Context, from, to time.Time) ([]health.Span, error)
	// BlindOf returns the unmonitored intervals of the sources (none
	// given: all) overlapping [from, to).
	BlindOf(ctx context.Context, from, to time.Time, only ...health.Source) ([]health.Interval, error)
}

// JournalSource lists the journal entries overlapping [from, to); nil means
// the report carries no journal.
type JournalSource func(ctx context.Context, from, to time.Time) ([]JournalRow, error)

// Builder assembles a quarter's report from its inputs.
type Builder struct {
	Desks    []health.Workstation
	Location *time.Location
	Sources  Sources
	Journal  JournalSource
	Now      func() time.Time
	// ProbeCovered, if set, says which desks our SIP probes watch (see
	// health.Inputs).
	ProbeCovered func(desk string) bool
}

// Build computes the quarter's figures now. The inputs hash covers
// everything the figures come from (desks, spans, blind time, journal), so
// two builds with the same hash show the same figures.
func (b *Builder) Build(ctx context.Context, q health.Quarter) (*Report, error) {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	at := now().UTC()
	p := q.Range(b.Location)
	spans, err := b.Sources.Spans(ctx, p.Start, p.End)
	if err != nil {
		return nil, fmt.Errorf("report %s: spans: %w", q, err)
	}
	blind, err := b.Sources.BlindOf(ctx, p.Start, p.End)
	if err != nil {
		return nil, fmt.Errorf("report %s: blind intervals: %w", q, err)
	}
	var probeBlind []health.Interval
	if b.ProbeCovered != nil {
		if probeBlind, err = b.Sources.BlindOf(ctx, p.Start, p.End, health.SourceMonitor, health.SourceSIP); err != nil {
			return nil, fmt.Errorf("report %s: blind intervals: %w", q, err)
		}
	}
	var journal []JournalRow
	if b.Journal != nil {
		if journal, err = b.Journal(ctx, p.Start, p.End); err != nil {
			return nil, fmt.Errorf("report %s: journal: %w", q, err)
		}
	}
	res := health.Availability(p, at, health.Inputs(b.Desks, spans, blind, probeBlind, b.ProbeCovered))
	r := FromAvailability(q, b.Location, res, b.Desks)
	r.GeneratedAt = at
	r.Journal = journal
	measured := res.Measured
	for _, s := range spans {
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
	shown := blind
	if b.ProbeCovered != nil && !slices.ContainsFunc(b.Desks, func(w health.Workstation) bool { return !b.ProbeCovered(w.ID) }) {
		shown = probeBlind
	}
	for _, iv := range health.Union(shown, measured) {
		r.Coverage.Unknown += iv.End.Sub(iv.Start)
	}
	r.Coverage.Intervals = shown
	r.InputsHash = inputsHash(q, b.Desks, spans, shown, journal, res.Measured)
	return r, nil
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
