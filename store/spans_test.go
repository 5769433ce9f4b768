package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/store"
)

func TestSpanLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)

	apply(t, s, down("op122-01", 0, health.SourceARI))
	open, err := s.OpenSpans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sp, ok := open["op122-01"]
	if !ok || len(open) != 1 {
		t.Fatalf("open spans = %v", open)
	}
	if sp.ID != "op122-01-20261127T160500.212Z" || !sp.Start.Equal(t0) || !sp.Open() ||
		sp.Cause != health.CauseUnregistered || !slices.Equal(sp.Sources, []health.Source{health.SourceARI}) || sp.Manual {
		t.Fatalf("open span = %+v", sp)
	}
	states, err := s.CurrentStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := store.CurrentState{State: health.StateDown, Since: t0, Cause: health.CauseUnregistered, Source: health.SourceARI, Span: sp.ID}
	if states["op122-01"] != want {
		t.Fatalf("state = %+v, want %+v", states["op122-01"], want)
	}

	// A second down (the tracker restarted) joins the open span.
	apply(t, s, health.Transition{Workstation: "op122-01", At: at(time.Minute), From: health.StateUnknown, To: health.StateDown, Cause: health.CauseUnreachable, Source: health.SourceSIP})
	apply(t, s, up("op122-01", 2*time.Minute))

	all := spans(t, s, store.SpanQuery{})
	if len(all) != 1 {
		t.Fatalf("spans = %+v", all)
	}
	got := all[0]
	if got.ID != sp.ID || !got.End.Equal(at(2*time.Minute)) || got.Cause != health.CauseUnregistered ||
		!slices.Equal(got.Sources, []health.Source{health.SourceARI, health.SourceSIP}) {
		t.Fatalf("closed span = %+v", got)
	}
	byID, err := s.Span(ctx, sp.ID)
	if err != nil || byID.ID != sp.ID || !byID.End.Equal(got.End) {
		t.Fatalf("Span(%s) = %+v, %v", sp.ID, byID, err)
	}
	if open, _ := s.OpenSpans(ctx); len(open) != 0 {
		t.Fatalf("open spans after close = %v", open)
	}
	states, _ = s.CurrentStates(ctx)
	if st := states["op122-01"]; st.State != health.StateUp || !st.Since.Equal(at(2*time.Minute)) || st.Span != "" {
		t.Fatalf("state after close = %+v", st)
	}
	// Closing again (no open span) and going unknown change no span.
	apply(t, s, health.Transition{Workstation: "op122-01", At: at(3 * time.Minute), From: health.StateUp, To: health.StateUnknown})
	if all := spans(t, s, store.SpanQuery{}); len(all) != 1 || !all[0].End.Equal(got.End) {
		t.Fatalf("spans after unknown = %+v", all)
	}
	if _, err := s.Span(ctx, "op122-01-20300101T000000.000Z"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing span: err = %v", err)
	}
	if _, err := s.Span(ctx, "nonsense"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bad ID: err = %v", err)
	}
}

func TestCloseBeforeStartClamps(t *testing.T) {
	s, _ := newStore(t)
	apply(t, s, down("d1", time.Minute, health.SourceARI), up("d1", 0))
	got := spans(t, s, store.SpanQuery{})
	if len(got) != 1 || !got[0].End.Equal(got[0].Start) || !got[0].Start.Equal(at(time.Minute)) {
		t.Fatalf("spans = %+v", got)
	}
}

// dump returns every key's serialized value.
func dump(t *testing.T, rdb *redis.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = rdb.Dump(ctx, k).Val()
	}
	return out
}

func TestApplyIdempotent(t *testing.T) {
	s, rdb := newStore(t)
	batch := []health.Transition{
		down("d1", 0, health.SourceARI), up("d1", time.Minute), down("d1", 2*time.Minute, health.SourceSIP),
		down("d2", 0, health.SourceARI), up("d2", time.Second),
	}
	apply(t, s, batch...)
	// Let the store finish its bookkeeping (outboxes of the global index).
	if _, err := s.OpenSpans(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := dump(t, rdb)
	wantSpans := spans(t, s, store.SpanQuery{})

	// Again, whole and in parts, as a monitor replays after a crash.
	apply(t, s, batch...)
	for _, tr := range batch {
		apply(t, s, tr)
	}
	apply(t, s, batch[1:3]...)
	after := dump(t, rdb)
	if len(after) != len(before) {
		t.Fatalf("keys: %d before, %d after", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("key %s changed by a replay", k)
		}
	}
	got := spans(t, s, store.SpanQuery{})
	if len(got) != 3 || !slices.Equal(ids(got), ids(wantSpans)) {
		t.Fatalf("spans = %v, want %v", ids(got), ids(wantSpans))
	}
	if !got[0].Open() || got[0].ID != "d1-20261127T160700.212Z" {
		t.Fatalf("newest span = %+v", got[0])
	}
}

func TestRestartSeesOpenSpan(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t)
	s1 := store.New(newClient(t, addr), prefix, zerolog.Nop())
	apply(t, s1, down("d1", 0, health.SourceARI))

	s2 := store.New(newClient(t, addr), prefix, zerolog.Nop())
	open, err := s2.OpenSpans(ctx)
	if err != nil || len(open) != 1 || !open["d1"].Open() {
		t.Fatalf("open spans = %v, %v", open, err)
	}
	// After a restart the tracker starts unknown and decides again.
	apply(t, s2, health.Transition{Workstation: "d1", At: at(time.Minute), From: health.StateUnknown, To: health.StateDown, Source: health.SourceARI})
	apply(t, s2, up("d1", 5*time.Minute))
	got := spans(t, s2, store.SpanQuery{})
	if len(got) != 1 || got[0].ID != open["d1"].ID || !got[0].End.Equal(at(5*time.Minute)) {
		t.Fatalf("spans = %+v", got)
	}
}

func TestSpansRange(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	m := time.Minute
	apply(t, s,
		down("a", 10*m, health.SourceARI), up("a", 20*m),
		down("a", 30*m, health.SourceARI), up("a", 40*m),
		down("a", 50*m, health.SourceARI), // open
		down("b", 15*m, health.SourceSIP), up("b", 25*m),
		down("c", -72*time.Hour, health.SourceARI), up("c", 72*time.Hour), // 6 days
	)
	if _, err := s.AddManual(ctx, health.Span{Workstation: "b", Start: at(0), End: at(5 * m), Note: "phone broken"}, "sv1", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a1, a2, a3 := "a-20261127T161500.212Z", "a-20261127T163500.212Z", "a-20261127T165500.212Z"
	b1, bm, c := "b-20261127T162000.212Z", "b-m20261127T160500.212Z", "c-20261124T160500.212Z"
	tru, fls := true, false
	for _, tc := range []struct {
		name string
		q    store.SpanQuery
		want []string
	}{
		{"all", store.SpanQuery{}, []string{a3, a2, b1, a1, bm, c}},
		{"end is exclusive", store.SpanQuery{From: at(20 * m), To: at(30 * m)}, []string{b1, c}},
		{"start is inclusive", store.SpanQuery{From: at(19 * m), To: at(30 * m)}, []string{b1, a1, c}},
		{"to is exclusive", store.SpanQuery{From: at(40 * m), To: at(50 * m)}, []string{c}},
		{"open span", store.SpanQuery{From: at(40 * m), To: at(51 * m)}, []string{a3, c}},
		{"open span later", store.SpanQuery{From: at(10 * time.Hour), To: at(11 * time.Hour)}, []string{a3, c}},
		{"long span from inside", store.SpanQuery{From: at(48 * time.Hour), To: at(49 * time.Hour)}, []string{a3, c}},
		{"after everything closed", store.SpanQuery{From: at(100 * time.Hour)}, []string{a3}},
		{"before everything", store.SpanQuery{To: at(-72 * time.Hour)}, nil},
		{"workstation", store.SpanQuery{Workstations: []string{"a"}}, []string{a3, a2, a1}},
		{"workstations in range", store.SpanQuery{From: at(0), To: at(16 * m), Workstations: []string{"b", "a", "b"}}, []string{b1, a1, bm}},
		{"open only", store.SpanQuery{Open: &tru}, []string{a3}},
		{"closed only", store.SpanQuery{Open: &fls, Workstations: []string{"a"}}, []string{a2, a1}},
		{"empty range", store.SpanQuery{From: at(12 * m), To: at(12 * m)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(spans(t, s, tc.q)); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	var ve *store.ValidationError
	if _, err := s.Spans(ctx, store.SpanQuery{From: at(m), To: at(0)}); !errors.As(err, &ve) {
		t.Fatalf("to before from: err = %v", err)
	}
	if _, err := s.Spans(ctx, store.SpanQuery{Workstations: []string{"{x}"}}); !errors.As(err, &ve) {
		t.Fatalf("bad workstation: err = %v", err)
	}
}

func TestDedupWindowBounded(t *testing.T) {
	s, rdb := newStore(t)
	var ts []health.Transition
	for i := range 100 {
		ts = append(ts, down("d1", time.Duration(2*i)*time.Second, health.SourceARI), up("d1", time.Duration(2*i+1)*time.Second))
	}
	apply(t, s, ts...)
	if n := rdb.ZCard(context.Background(), "dw:{ws:d1}:applied").Val(); n != 64 {
		t.Fatalf("applied window holds %d", n)
	}
	apply(t, s, ts[len(ts)-64:]...) // within the window: no change
	if got := spans(t, s, store.SpanQuery{}); len(got) != 100 || got[0].Open() {
		t.Fatalf("%d spans, newest %+v", len(got), got[0])
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	errs := make(chan error, 8)
	for w := range 4 {
		ws := fmt.Sprintf("d%d", w)
		go func() {
			var err error
			for i := 0; i < 20 && err == nil; i++ {
				err = s.Apply(ctx, []health.Transition{down(ws, time.Duration(2*i)*time.Second, health.SourceARI), up(ws, time.Duration(2*i+1)*time.Second)})
			}
			errs <- err
		}()
		go func() {
			var err error
			for i := 0; i < 20 && err == nil; i++ {
				if _, err = s.Spans(ctx, store.SpanQuery{}); err == nil {
					_, err = s.OpenSpans(ctx)
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := spans(t, s, store.SpanQuery{}); len(got) != 80 {
		t.Fatalf("%d spans", len(got))
	}
}
