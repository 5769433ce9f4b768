package journal_test

import (
	"fmt"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/redistest"
)

// farEnd ends in the year 5000: longer than 1 min * 4^15, beyond every
// level a query reads unless lengths are capped at level 14.
var farEnd = time.Date(5000, 1, 1, 0, 0, 0, 0, time.UTC)

// TestIndexScores pins the scores of the entries' time index,
// level*2^42 + start (ms): entries journaled years ago are keyed so, and
// Entries must keep finding them.
func TestIndexScores(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := newJournal(t, rdb, prefix)
	span := func(desk string, d, length time.Duration) health.Span {
		s := sp(desk, d, health.CauseUnregistered)
		s.End = s.Start.Add(length)
		return s
	}
	h := time.Hour
	long := sp("op122-06", 5*h, health.CauseUnregistered)
	long.End = long.Start.AddDate(600, 0, 0) // over 1 min * 4^14
	far := sp("op122-07", 6*h, health.CauseUnregistered)
	far.End = farEnd
	tests := []struct {
		span  health.Span
		level int64
	}{
		{span("op122-01", 0, 0), 0},
		{span("op122-02", h, time.Minute), 0},
		{span("op122-03", 2*h, time.Minute+time.Millisecond), 1},
		{span("op122-04", 3*h, 72*h), 7},
		{open(sp("op122-05", 4*h, health.CauseUnregistered)), 15},
		{long, 14},
		{far, 14},
	}
	for _, tt := range tests {
		ingest(t, j, later, tt.span)
	}
	for i, tt := range tests {
		id := fmt.Sprintf("2026-%04d", i+1)
		got, err := rdb.ZScore(ctx, "dw:{journal}:entries", id).Result()
		if want := tt.level<<42 + tt.span.Start.UnixMilli(); err != nil || int64(got) != want {
			t.Errorf("ZSCORE of %s = %.0f, %v; want level %d: %d", id, got, err, tt.level, want)
		}
	}
}

// TestEntriesFarEnd reads an entry longer than 1 min * 4^15: an index
// level function without the cap at level 14 puts it on level 16, which
// no query reads, and the entry vanishes from every list.
func TestEntriesFarEnd(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	far := sp("op122-01", 0, health.CauseUnregistered)
	far.End = farEnd
	ingest(t, j, later, far)
	fifty := t0.AddDate(50, 0, 0)
	for _, q := range [][2]time.Time{{t0, t0.Add(time.Hour)}, {fifty, fifty.Add(time.Hour)}, {}} {
		es, err := j.Entries(ctx, q[0], q[1])
		if err != nil || len(es) != 1 || !es[0].End.Equal(farEnd) {
			t.Errorf("Entries [%v, %v) = %v, %v; want the entry ending %v", q[0], q[1], labels(es), err, farEnd)
		}
	}
}
