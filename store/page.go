package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"deskwatch/health"
)

// SpanCursor is a place in Spans' order (newest start first, then ID
// descending): a page goes on after the span with this start and ID.
type SpanCursor struct {
	Start time.Time
	ID    string
}

// pageChunk is the fewest records fetched at once while filling a page:
// candidates from the index's margins or an Open filter are skipped.
const pageChunk = 256

// SpansPage returns up to limit spans of q after the cursor (nil: from the
// newest) in Spans' order, and whether more follow. It sorts the candidate
// IDs (each holds its span's start) and fetches only the records the page
// needs, so a page costs about its own records, whatever the range holds.
func (s *Store) SpansPage(ctx context.Context, q SpanQuery, after *SpanCursor, limit int) ([]health.Span, bool, error) {
	if limit < 1 {
		return nil, false, &ValidationError{"limit", "must be at least 1"}
	}
	lo, hi, err := bounds(q.From, q.To)
	if err != nil {
		return nil, false, err
	}
	for i, ws := range q.Workstations {
		if err := checkWorkstation(fmt.Sprintf("Workstations[%d]", i), ws); err != nil {
			return nil, false, err
		}
	}
	// After a cursor only spans starting no later than it are wanted: those
	// overlapping [lo, hi) overlap [lo, cursor] too, a shorter read.
	qhi := hi
	if after != nil {
		qhi = max(min(hi, after.Start.UnixMilli()+1), lo+1)
	}
	ids, err := s.candidates(ctx, q.Workstations, lo, qhi)
	if err != nil {
		return nil, false, fmt.Errorf("store: spans page: %w", err)
	}
	type cand struct {
		start int64
		id    string
		desk  int32
	}
	cands := make([]cand, 0, ids.count)
	for d, list := range ids.ids {
		for _, id := range list {
			start, ok := idStart(id)
			if !ok {
				continue
			}
			if after != nil {
				if at := after.Start.UnixMilli(); start > at || start == at && id >= after.ID {
					continue
				}
			}
			cands = append(cands, cand{start, id, int32(d)})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(b.start, a.start), strings.Compare(b.id, a.id))
	})
	out := make([]health.Span, 0, min(limit+1, len(cands)))
	var pool sourcePool
	for len(cands) > 0 && len(out) <= limit {
		chunk := cands[:min(len(cands), max(limit+1-len(out), pageChunk))]
		cands = cands[len(chunk):]
		var b idGrouper
		b.grow(len(chunk))
		for _, c := range chunk {
			b.add(ids.desks[c.desk], c.id)
		}
		got := make(map[string]health.Span, len(chunk))
		err := s.fetchRecords(ctx, b.group(), func(r *record) error {
			end := r.End
			if r.open() {
				end = -1
			}
			if overlaps(r.Start, end, lo, hi) && (q.Open == nil || *q.Open == r.open()) {
				var sp health.Span
				r.fill(&sp, &pool)
				got[sp.ID] = sp
			}
			return nil
		})
		if err != nil {
			return nil, false, fmt.Errorf("store: spans page: %w", err)
		}
		for _, c := range chunk {
			if sp, ok := got[c.id]; ok && len(out) <= limit {
				out = append(out, sp)
			}
		}
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// idStart reads a span's start (UTC ms) from the end of its ID.
func idStart(id string) (int64, bool) {
	if len(id) < len(idTime) {
		return 0, false
	}
	t, err := time.Parse(idTime, id[len(id)-len(idTime):])
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}
