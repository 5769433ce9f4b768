package journal

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"deskwatch/health"
)

const (
	batchRecords = 500 // records per append script call
	maxAttempts  = 20  // plans per call when other writers keep appending
)

// Ingest brings spans into the journal. It is idempotent: ingesting the
// same spans again appends nothing. A span it has not seen joins the entry
// of its cause anchored less than Window away, or opens one (a manual span
// always opens one); a detected span younger than Settle waits for a later
// call. For spans it has seen it records what changed: a span that ended
// (and the entry, when its last span ended) and exclusions set, replaced or
// revoked. Spans are taken in order of (start, cause, ID), so their order in
// the slice does not matter. now is the time the records carry.
//
// Spans must have an ID, a workstation, a start, an end not before the
// start (or none) and a cause (empty is taken as "manual" for manual spans);
// otherwise Ingest returns a *ValidationError and writes nothing.
//
// Ingest is the system's (the follower's): with SetEpoch its appends are
// fenced; a refused one returns a *FencedError.
func (j *Journal) Ingest(ctx context.Context, spans []health.Span, now time.Time) error {
	_, err := j.ingest(ctx, spans, now, "", "", j.epoch.Load())
	return err
}

// IngestBy is Ingest for a change a person just made (an exclusion set or
// revoked): the records it causes name them, by as they wrote and actor as
// authenticated, instead of the system.
func (j *Journal) IngestBy(ctx context.Context, spans []health.Span, by, actor string, now time.Time) error {
	if err := checkActor(actor); err != nil {
		return err
	}
	_, err := j.ingest(ctx, spans, now, by, actor, 0)
	return err
}

// RecordManual journals a span entered by hand (as store.AddManual returned
// it) at once, naming who entered it (by as they wrote, actor as
// authenticated), and returns its entry. Recording it again returns the
// same entry. Follow would journal the span too, but as entered by the
// system.
func (j *Journal) RecordManual(ctx context.Context, sp health.Span, by, actor string, now time.Time) (Entry, error) {
	if !sp.Manual {
		return Entry{}, &ValidationError{"span.Manual", "false: RecordManual takes spans entered by hand"}
	}
	if err := checkText("by", by, MaxBy); err != nil {
		return Entry{}, err
	}
	if err := checkActor(actor); err != nil {
		return Entry{}, err
	}
	p, err := j.ingest(ctx, []health.Span{sp}, now, strings.TrimSpace(by), actor, 0)
	if err != nil {
		return Entry{}, err
	}
	year, number := p.entryOf(sp.ID)
	return j.Entry(ctx, year, number)
}

// ingest appends as a writer of epoch (0: unfenced): the system's own
// records are the leader's; a person's change is recorded by whichever
// instance took it, the chain head keeping the order.
func (j *Journal) ingest(ctx context.Context, spans []health.Span, now time.Time, by, actor string, epoch int64) (*planner, error) {
	in, err := prepare(spans)
	if err != nil {
		return nil, err
	}
	if now.IsZero() {
		return nil, &ValidationError{"now", "zero time"}
	}
	now = truncMs(now)
	j.mu.Lock()
	defer j.mu.Unlock()
	for attempt := range maxAttempts {
		p, err := j.plan(ctx, in, now, by, actor)
		if err != nil {
			return nil, fmt.Errorf("journal: ingest %d spans: %w", len(in), err)
		}
		switch err := j.commit(ctx, p.batches, epoch); {
		case errors.Is(err, errHeadMoved):
			j.log.Debug().Msg("journal: the chain moved during ingest; planning again")
			if err := conflictPause(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		case errors.Is(err, ErrFenced):
			return nil, err
		case err != nil:
			return nil, fmt.Errorf("journal: ingest %d spans: %w", len(in), err)
		}
		if p.deferred > 0 {
			j.log.Debug().Int("spans", p.deferred).Dur("settle", j.settle).Msg("journal: new spans wait to settle")
		}
		return p, nil
	}
	return nil, ErrConflict
}

// prepare validates spans, keeps their times to the millisecond, drops
// duplicate IDs (keeping the most advanced copy) and sorts them by start,
// cause and ID.
func prepare(spans []health.Span) ([]health.Span, error) {
	byID := make(map[string]health.Span, len(spans))
	for i, sp := range spans {
		sp = normalize(sp)
		if err := checkSpan(sp); err != nil {
			err.Field = fmt.Sprintf("spans[%d].%s", i, err.Field)
			return nil, err
		}
		if old, ok := byID[sp.ID]; !ok || moreAdvanced(sp, old) {
			byID[sp.ID] = sp
		}
	}
	out := slices.Collect(maps.Values(byID))
	slices.SortFunc(out, compareSpans)
	return out, nil
}

// normalize keeps a span's times to the millisecond, in UTC, and gives a
// manual span without a cause the manual cause.
func normalize(sp health.Span) health.Span {
	sp.Start, sp.End = truncMs(sp.Start), truncMs(sp.End)
	if sp.Exclusion != nil {
		ex := *sp.Exclusion
		ex.At = truncMs(ex.At)
		sp.Exclusion = &ex
	}
	if sp.Cause == "" && sp.Manual {
		sp.Cause = health.CauseManual
	}
	return sp
}

func checkSpan(sp health.Span) *ValidationError {
	switch {
	case sp.ID == "" || len(sp.ID) > 512:
		return &ValidationError{"ID", fmt.Sprintf("%q: want 1-512 bytes", sp.ID)}
	case sp.Workstation == "":
		return &ValidationError{"Workstation", "empty"}
	case sp.Start.IsZero() || sp.Start.Unix() < 0:
		return &ValidationError{"Start", "zero or before 1970"}
	case !sp.End.IsZero() && sp.End.Before(sp.Start):
		return &ValidationError{"End", "before Start"}
	case sp.Cause == "":
		return &ValidationError{"Cause", "empty"}
	case sp.Exclusion != nil && sp.Exclusion.Category == "":
		return &ValidationError{"Exclusion.Category", "empty"}
	}
	return nil
}

// moreAdvanced picks between two copies of a span: closed over open, a
// later end, a later exclusion.
func moreAdvanced(a, b health.Span) bool {
	if a.Open() != b.Open() {
		return !a.Open()
	}
	if c := a.End.Compare(b.End); c != 0 {
		return c > 0
	}
	switch {
	case a.Exclusion == nil:
		return false
	case b.Exclusion == nil:
		return true
	}
	return a.Exclusion.At.After(b.Exclusion.At)
}

// conflictPause waits a random while before planning again after another
// process appended first, so that two writers do not keep colliding (the
// wait grows with the attempt, up to about 100 ms).
func conflictPause(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 7)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
