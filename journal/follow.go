package journal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"deskwatch/health"
)

// SpanSource gives the spans overlapping [from, to), open ones included.
// The store satisfies it through SpanSourceFunc:
//
//	journal.SpanSourceFunc(func(ctx context.Context, from, to time.Time) ([]health.Span, error) {
//		return st.Spans(ctx, store.SpanQuery{From: from, To: to})
//	})
type SpanSource interface {
	Spans(ctx context.Context, from, to time.Time) ([]health.Span, error)
}

// SpanSourceFunc adapts a function to SpanSource.
type SpanSourceFunc func(ctx context.Context, from, to time.Time) ([]health.Span, error)

// Spans calls f.
func (f SpanSourceFunc) Spans(ctx context.Context, from, to time.Time) ([]health.Span, error) {
	return f(ctx, from, to)
}

// Follow keeps the journal up with src until ctx ends, then returns nil.
// At once and every `every` (DefaultEvery if not positive) it reads the
// spans overlapping [checkpoint - Margin, now) and ingests them; every
// RescanEvery, and when there is no checkpoint yet (the first start), it
// reads [now - Lookback, now) instead, which also catches exclusions and
// manual entries set far back. The checkpoint is kept in Redis. Errors of
// src or Redis are logged and the pass is tried again at the next tick:
// Follow never stops on them. It stops, returning a *FencedError, when an
// append is fenced (SetEpoch): a later leader follows now.
func (j *Journal) Follow(ctx context.Context, src SpanSource, every time.Duration) error {
	if every <= 0 {
		every = DefaultEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var failingSince, lastLog time.Time
	invalid := map[string]bool{} // spans already reported invalid
	for {
		err := j.followOnce(ctx, src, invalid)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrFenced):
			j.log.Warn().Err(err).Msg("journal: follow: a later leader has appended; stopping")
			return err
		case err != nil:
			now := time.Now()
			if failingSince.IsZero() {
				failingSince = now
			}
			if now.Sub(lastLog) >= time.Minute { // once a minute while it lasts
				j.log.Warn().Err(err).Time("since", failingSince).Msg("journal: follow: pass failed; retrying")
				lastLog = now
			}
		case !failingSince.IsZero():
			j.log.Info().Time("since", failingSince).Msg("journal: follow: recovered")
			failingSince, lastLog = time.Time{}, time.Time{}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// followOnce runs one pass of Follow.
func (j *Journal) followOnce(ctx context.Context, src SpanSource, invalid map[string]bool) error {
	if err := j.markKeyed(ctx); err != nil {
		return err
	}
	now := j.now()
	vals, err := j.rdb.HMGet(ctx, j.followKey(), "checkpoint", "rescan").Result()
	if err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	checkpoint, lastRescan := msField(vals[0]), msField(vals[1])
	from, rescan := checkpoint.Add(-j.margin), false
	if checkpoint.IsZero() || j.rescanEvery > 0 && now.Sub(lastRescan) >= j.rescanEvery {
		from, rescan = now.Add(-max(j.lookback, j.margin)), true
	}
	spans, err := src.Spans(ctx, from, now)
	if err != nil {
		return fmt.Errorf("read spans [%s, %s): %w", fmtTime(from), fmtTime(now), err)
	}
	// A span the journal refuses is left out, so that one bad span does not
	// stop the journal, and logged once.
	spans = slices.DeleteFunc(spans, func(sp health.Span) bool {
		err := checkSpan(normalize(sp))
		if err != nil && !invalid[sp.ID] {
			if len(invalid) >= 10_000 {
				clear(invalid)
			}
			invalid[sp.ID] = true
			j.log.Error().Err(err).Str("span", sp.ID).Msg("journal: follow: invalid span left out")
		}
		return err != nil
	})
	if err := j.Ingest(ctx, spans, now); err != nil {
		return err
	}
	fields := []any{"checkpoint", ms(now)}
	if rescan {
		fields = append(fields, "rescan", ms(now))
	}
	if err := j.rdb.HSet(ctx, j.followKey(), fields...).Err(); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	j.log.Debug().Int("spans", len(spans)).Bool("rescan", rescan).Time("from", from).Msg("journal: follow: pass done")
	return nil
}

func msField(v any) time.Time {
	s, _ := v.(string)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return fromMs(n)
}
