package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
)

// Paging through any query with any limit gives exactly Spans' answer, in
// its order, whatever the ties of starts and the margins the index adds.
func TestSpansPageWalksSpansOrder(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	s := New(rdb, "dw", zerolog.Nop())
	seedDesks(t, s, 6, 15)
	// Ties: three desks down at one instant, two of them still open.
	tie := time.Date(2026, 7, 1, 5, 0, 0, 0, time.UTC)
	var ts []health.Transition
	for _, ws := range []string{"e1", "e2", "e3"} {
		ts = append(ts, health.Transition{Workstation: ws, At: tie, From: health.StateUp, To: health.StateDown, Source: health.SourceARI})
	}
	ts = append(ts, health.Transition{Workstation: "e2", At: tie.Add(time.Minute), From: health.StateDown, To: health.StateUp, Source: health.SourceARI},
		// Long, from before the ranges below: the last of their pages.
		health.Transition{Workstation: "e4", At: tie.Add(-10 * time.Hour), From: health.StateUp, To: health.StateDown, Source: health.SourceARI},
		health.Transition{Workstation: "e4", At: tie.Add(time.Hour), From: health.StateDown, To: health.StateUp, Source: health.SourceARI})
	if err := s.Apply(ctx, ts); err != nil {
		t.Fatal(err)
	}
	open, closed := true, false
	for _, q := range []SpanQuery{
		{},
		{From: tie.Add(-3 * time.Hour), To: tie.Add(2 * time.Hour)},
		{Workstations: []string{"d02", "e1", "e3"}},
		{Open: &open},
		{Open: &closed, From: tie},
	} {
		want, err := s.Spans(ctx, q)
		if err != nil || len(want) == 0 {
			t.Fatalf("%+v: %d spans, %v", q, len(want), err)
		}
		for _, limit := range []int{1, 2, 7, len(want), len(want) + 5} {
			var got []health.Span
			var after *SpanCursor
			for pages := 0; ; pages++ {
				page, more, err := s.SpansPage(ctx, q, after, limit)
				if err != nil || len(page) > limit || pages > len(want) {
					t.Fatalf("%+v limit %d: page of %d, %v", q, limit, len(page), err)
				}
				got = append(got, page...)
				if !more {
					break
				}
				last := page[len(page)-1]
				after = &SpanCursor{Start: last.Start, ID: last.ID}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%+v limit %d: paged %d spans, Spans %d", q, limit, len(got), len(want))
			}
		}
	}
	if _, _, err := s.SpansPage(ctx, SpanQuery{}, nil, 0); err == nil {
		t.Fatal("a limit of 0 was taken")
	}
}
