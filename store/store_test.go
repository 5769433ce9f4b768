package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/store"
)

const prefix = "dw"

var t0 = time.Date(2026, 11, 27, 16, 5, 0, 212_000_000, time.UTC)

func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{
		Addr: addr, MaxRetries: 1, DialTimeout: time.Second,
		DialerRetries: 1, DialerRetryTimeout: 10 * time.Millisecond, // fail fast in TestOutage
	})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func newStore(t testing.TB) (*store.Store, *redis.Client) {
	t.Helper()
	rdb := newClient(t, redistest.Start(t))
	return store.New(rdb, prefix, zerolog.Nop()), rdb
}

func at(d time.Duration) time.Time { return t0.Add(d) }

func down(ws string, d time.Duration, src health.Source) health.Transition {
	return health.Transition{Workstation: ws, At: at(d), From: health.StateUp, To: health.StateDown, Cause: health.CauseUnregistered, Source: src}
}

func up(ws string, d time.Duration) health.Transition {
	return health.Transition{Workstation: ws, At: at(d), From: health.StateDown, To: health.StateUp, Source: health.SourceARI}
}

func apply(t *testing.T, s *store.Store, ts ...health.Transition) {
	t.Helper()
	if err := s.Apply(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
}

func spans(t *testing.T, s *store.Store, q store.SpanQuery) []health.Span {
	t.Helper()
	got, err := s.Spans(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func ids(sp []health.Span) []string {
	out := make([]string, len(sp))
	for i, s := range sp {
		out[i] = s.ID
	}
	return out
}

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

func TestManualExclusionAudit(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	apply(t, s, down("d1", 0, health.SourceARI), up("d1", time.Hour))
	detected := "d1-20261127T160500.212Z"

	manual := health.Span{Workstation: "d1", Start: at(2 * time.Hour), End: at(3 * time.Hour), Note: "headset dead"}
	m, err := s.AddManual(ctx, manual, "supervisor", at(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "d1-m20261127T180500.212Z" || !m.Manual || m.Cause != health.CauseManual ||
		!slices.Equal(m.Sources, []health.Source{health.SourceManual}) || m.Note != "headset dead" {
		t.Fatalf("manual span = %+v", m)
	}
	// Same again: idempotent; different: conflict.
	if again, err := s.AddManual(ctx, manual, "supervisor", at(5*time.Hour)); err != nil || again.ID != m.ID {
		t.Fatalf("same manual span again = %+v, %v", again, err)
	}
	manual.Note = "other"
	if _, err := s.AddManual(ctx, manual, "supervisor", at(5*time.Hour)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("conflicting manual span: err = %v", err)
	}
	if got := ids(spans(t, s, store.SpanQuery{})); !slices.Equal(got, []string{m.ID, detected}) {
		t.Fatalf("spans = %v", got)
	}

	power := health.Exclusion{Category: "power", Reason: "blackout", By: "head", At: at(6 * time.Hour)}
	sp, err := s.SetExclusion(ctx, detected, power)
	if err != nil || sp.Exclusion == nil || *sp.Exclusion != power {
		t.Fatalf("SetExclusion = %+v, %v", sp, err)
	}
	carrier := health.Exclusion{Category: "carrier", Reason: "трасса оборвана", By: "head2", At: at(7 * time.Hour)}
	if sp, err = s.SetExclusion(ctx, detected, carrier); err != nil || *sp.Exclusion != carrier {
		t.Fatalf("replace exclusion = %+v, %v", sp, err)
	}
	if got, _ := s.Span(ctx, detected); got.Exclusion == nil || *got.Exclusion != carrier || !got.End.Equal(at(time.Hour)) {
		t.Fatalf("stored span = %+v", got)
	}
	if sp, err = s.RevokeExclusion(ctx, detected, "auditor", at(8*time.Hour)); err != nil || sp.Exclusion != nil {
		t.Fatalf("RevokeExclusion = %+v, %v", sp, err)
	}
	if _, err = s.RevokeExclusion(ctx, detected, "auditor", at(9*time.Hour)); err != nil {
		t.Fatalf("revoke again: %v", err)
	}

	var ve *store.ValidationError
	if _, err := s.SetExclusion(ctx, detected, health.Exclusion{Category: "weather", By: "x", At: at(0)}); !errors.As(err, &ve) || ve.Field != "Category" {
		t.Fatalf("bad category: err = %v", err)
	}
	if _, err := s.SetExclusion(ctx, detected, health.Exclusion{Category: "power", At: at(0)}); !errors.As(err, &ve) {
		t.Fatalf("no by: err = %v", err)
	}
	if _, err := s.SetExclusion(ctx, "d1-20300101T000000.000Z", power); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing span: err = %v", err)
	}
	if _, err := s.RevokeExclusion(ctx, "x", "a", at(0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke bad ID: err = %v", err)
	}

	audit, err := s.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ action, by, span string }
	var got []row
	for _, r := range audit {
		got = append(got, row{r.Action, r.By, r.SpanID})
		if !json.Valid(r.Detail) || !strings.HasPrefix(r.ID, "d1/") {
			t.Errorf("record %+v", r)
		}
	}
	want := []row{
		{store.ActionManual, "supervisor", m.ID},
		{store.ActionExclude, "head", detected},
		{store.ActionExclude, "head2", detected},
		{store.ActionRevoke, "auditor", detected},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit = %v, want %v", got, want)
	}
	if !audit[0].At.Equal(at(4*time.Hour)) || !audit[3].At.Equal(at(8*time.Hour)) {
		t.Fatalf("audit times = %v, %v", audit[0].At, audit[3].At)
	}
	var replaced struct{ Exclusion, Previous *health.Exclusion }
	if err := json.Unmarshal(audit[2].Detail, &replaced); err != nil || *replaced.Exclusion != carrier || *replaced.Previous != power {
		t.Fatalf("replace detail = %s (%v)", audit[2].Detail, err)
	}
	var revoked struct{ Revoked *health.Exclusion }
	if err := json.Unmarshal(audit[3].Detail, &revoked); err != nil || *revoked.Revoked != carrier {
		t.Fatalf("revoke detail = %s (%v)", audit[3].Detail, err)
	}
}

func TestBlind(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	m := time.Minute
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.OpenBlind(ctx, health.SourceARI, at(0)))
	must(s.OpenBlind(ctx, health.SourceARI, at(m))) // kept: already open
	must(s.CloseBlind(ctx, health.SourceARI, at(10*m)))
	must(s.CloseBlind(ctx, health.SourceARI, at(11*m))) // nothing open
	must(s.OpenBlind(ctx, health.SourceSIP, at(5*m)))
	must(s.CloseBlind(ctx, health.SourceSIP, at(4*m))) // clamps to start
	must(s.OpenBlind(ctx, health.SourceSIP, at(20*m)))
	must(s.OpenBlind(ctx, health.SourceMonitor, at(-30*24*time.Hour)))
	must(s.CloseBlind(ctx, health.SourceMonitor, at(-m)))

	iv := func(a, b time.Duration) health.Interval { return health.Interval{Start: at(a), End: at(b)} }
	openAt := func(a time.Duration) health.Interval { return health.Interval{Start: at(a)} }
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []health.Interval
	}{
		{"all", time.Time{}, time.Time{}, []health.Interval{iv(-30*24*time.Hour, -m), iv(0, 10*m), iv(5*m, 5*m), openAt(20 * m)}},
		{"edges", at(-m), at(5 * m), []health.Interval{iv(0, 10*m)}},
		{"instant at from", at(5 * m), at(6 * m), []health.Interval{iv(0, 10*m), iv(5*m, 5*m)}},
		{"between", at(10 * m), at(20 * m), nil},
		{"open", at(time.Hour), at(2 * time.Hour), []health.Interval{openAt(20 * m)}},
		{"inside a long one", at(-10 * 24 * time.Hour), at(-9 * 24 * time.Hour), []health.Interval{iv(-30*24*time.Hour, -m)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Blind(ctx, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tc.want, func(a, b health.Interval) bool { return a.Start.Equal(b.Start) && a.End.Equal(b.End) }) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	// One source, or several, only.
	if got, err := s.BlindOf(ctx, time.Time{}, time.Time{}, health.SourceMonitor, health.SourceSIP); err != nil ||
		len(got) != 3 || !got[0].Start.Equal(at(-30*24*time.Hour)) || !got[1].Start.Equal(at(5*m)) || !got[2].Start.Equal(at(20*m)) {
		t.Fatalf("BlindOf(monitor, sip) = %v, %v", got, err)
	}
	if got, err := s.BlindOf(ctx, time.Time{}, time.Time{}, health.SourceARI); err != nil || len(got) != 1 || !got[0].End.Equal(at(10*m)) {
		t.Fatalf("BlindOf(ari) = %v, %v", got, err)
	}
	var ve *store.ValidationError
	if err := s.OpenBlind(ctx, "a{b}", at(0)); !errors.As(err, &ve) {
		t.Fatalf("bad source: err = %v", err)
	}
}

func TestHeartbeat(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if hb, err := s.LastHeartbeat(ctx); err != nil || !hb.IsZero() {
		t.Fatalf("LastHeartbeat before any = %v, %v", hb, err)
	}
	if err := s.Heartbeat(ctx, at(0)); err != nil {
		t.Fatal(err)
	}
	if hb, err := s.LastHeartbeat(ctx); err != nil || !hb.Equal(t0) || hb.Location() != time.UTC {
		t.Fatalf("LastHeartbeat = %v, %v", hb, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestValidation(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	ok := down("d1", 0, health.SourceARI)
	bad := func(f func(*health.Transition)) health.Transition { tr := ok; f(&tr); return tr }
	for name, tr := range map[string]health.Transition{
		"empty workstation": bad(func(t *health.Transition) { t.Workstation = "" }),
		"hash tag":          bad(func(t *health.Transition) { t.Workstation = "a}b" }),
		"space":             bad(func(t *health.Transition) { t.Workstation = "op 1" }),
		"zero at":           bad(func(t *health.Transition) { t.At = time.Time{} }),
		"before 1970":       bad(func(t *health.Transition) { t.At = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC) }),
		"bad state":         bad(func(t *health.Transition) { t.To = "sideways" }),
		"from equals to":    bad(func(t *health.Transition) { t.From = health.StateDown }),
		"source comma":      bad(func(t *health.Transition) { t.Source = "ari,sip" }),
	} {
		var ve *store.ValidationError
		if err := s.Apply(ctx, []health.Transition{ok, tr}); !errors.As(err, &ve) || !strings.HasPrefix(ve.Field, "transitions[1].") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	for name, sp := range map[string]health.Span{
		"end before start": {Workstation: "d1", Start: at(time.Hour), End: at(0)},
		"open":             {Workstation: "d1", Start: at(0)},
		"with exclusion":   {Workstation: "d1", Start: at(0), End: at(time.Hour), Exclusion: &health.Exclusion{Category: "power"}},
	} {
		var ve *store.ValidationError
		if _, err := s.AddManual(ctx, sp, "sv", at(0)); !errors.As(err, &ve) {
			t.Errorf("manual %s: err = %v", name, err)
		}
	}
	var ve *store.ValidationError
	if _, err := s.AddManual(ctx, health.Span{Workstation: "d1", Start: at(0), End: at(time.Hour)}, " ", at(0)); !errors.As(err, &ve) {
		t.Errorf("manual without by: err = %v", err)
	}
	if err := s.Heartbeat(ctx, time.Time{}); !errors.As(err, &ve) {
		t.Errorf("zero heartbeat: err = %v", err)
	}
	if n := rdb.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("invalid calls wrote %d keys", n)
	}
}

// TestKeySchema checks the prefix and that every per-workstation key
// carries the workstation's hash tag.
func TestKeySchema(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	apply(t, s, down("op122-01", 0, health.SourceARI), up("op122-01", time.Minute))
	if _, err := s.AddManual(ctx, health.Span{Workstation: "op122-01", Start: at(time.Hour), End: at(2 * time.Hour)}, "sv", at(0)); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.OpenBlind(ctx, health.SourceARI, at(0)))
	must(s.CloseBlind(ctx, health.SourceARI, at(time.Minute)))
	must(s.Heartbeat(ctx, at(0)))
	global := []string{"dw:desks", "dw:spans", "dw:heartbeat", "dw:blind:sources", "dw:{blind:ari}:closed"}
	for _, k := range rdb.Keys(ctx, "*").Val() {
		if !slices.Contains(global, k) && !strings.HasPrefix(k, "dw:{ws:op122-01}:") {
			t.Errorf("unexpected key %s", k)
		}
	}
}

// TestGlobalIndexRetry makes the global index update fail after the
// per-desk scripts ran, and checks that a retry, or OpenSpans, completes it.
func TestGlobalIndexRetry(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	batch := []health.Transition{down("d1", 0, health.SourceARI), up("d1", time.Minute), down("d2", 0, health.SourceARI)}

	// Replace the global index by a string, so that ZADD fails.
	breakIndex := func() {
		rdb.Rename(ctx, "dw:spans", "saved") // fails harmlessly if there is none yet
		rdb.Set(ctx, "dw:spans", "not a zset", 0)
	}
	mendIndex := func() {
		rdb.Del(ctx, "dw:spans")
		rdb.Rename(ctx, "saved", "dw:spans")
	}
	breakIndex()
	if err := s.Apply(ctx, batch); err == nil || !strings.Contains(err.Error(), "global span index") {
		t.Fatalf("Apply with broken global index: err = %v", err)
	}
	mendIndex()
	apply(t, s, batch...) // the retry: all duplicates, the outboxes are copied
	if got := spans(t, s, store.SpanQuery{}); len(got) != 2 {
		t.Fatalf("spans after retry = %v", ids(got))
	}

	breakIndex()
	if err := s.Apply(ctx, []health.Transition{up("d2", time.Minute)}); err == nil {
		t.Fatal("Apply with broken global index succeeded")
	}
	mendIndex()
	if _, err := s.OpenSpans(ctx); err != nil { // as at startup after a crash
		t.Fatal(err)
	}
	tru := true
	if got := spans(t, s, store.SpanQuery{}); len(got) != 2 || len(spans(t, s, store.SpanQuery{Open: &tru})) != 0 {
		t.Fatalf("spans after OpenSpans = %+v", got)
	}
	for _, k := range rdb.Keys(ctx, "*outbox").Val() {
		t.Errorf("outbox %s not emptied", k)
	}
}

func TestScriptCacheFlushed(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	apply(t, s, down("d1", 0, health.SourceARI))
	rdb.ScriptFlush(ctx)
	apply(t, s, up("d1", time.Minute))
	rdb.ScriptFlush(ctx)
	if got := spans(t, s, store.SpanQuery{}); len(got) != 1 || got[0].Open() {
		t.Fatalf("spans = %+v", got)
	}
}

func TestOutage(t *testing.T) {
	t.Parallel() // slow to start or to fail over: overlap with the rest
	ctx := context.Background()
	srv := redistest.StartServer(t)
	s := store.New(newClient(t, srv.Addr()), prefix, zerolog.Nop())
	apply(t, s, down("d1", 0, health.SourceARI))
	id := "d1-20261127T160500.212Z"

	srv.Stop()
	ex := health.Exclusion{Category: "power", By: "x", At: at(0)}
	for name, call := range map[string]func() error{
		"Ping":           func() error { return s.Ping(ctx) },
		"Apply":          func() error { return s.Apply(ctx, []health.Transition{up("d1", time.Minute)}) },
		"CurrentStates":  func() error { _, err := s.CurrentStates(ctx); return err },
		"OpenSpans":      func() error { _, err := s.OpenSpans(ctx); return err },
		"Spans":          func() error { _, err := s.Spans(ctx, store.SpanQuery{}); return err },
		"Spans of desks": func() error { _, err := s.Spans(ctx, store.SpanQuery{Workstations: []string{"d1"}}); return err },
		"Span":           func() error { _, err := s.Span(ctx, id); return err },
		"AddManual": func() error {
			_, err := s.AddManual(ctx, health.Span{Workstation: "d1", Start: at(0), End: at(1)}, "sv", at(0))
			return err
		},
		"SetExclusion":    func() error { _, err := s.SetExclusion(ctx, id, ex); return err },
		"RevokeExclusion": func() error { _, err := s.RevokeExclusion(ctx, id, "x", at(0)); return err },
		"Audit":           func() error { _, err := s.Audit(ctx); return err },
		"OpenBlind":       func() error { return s.OpenBlind(ctx, health.SourceARI, at(0)) },
		"CloseBlind":      func() error { return s.CloseBlind(ctx, health.SourceARI, at(0)) },
		"Blind":           func() error { _, err := s.Blind(ctx, time.Time{}, time.Time{}); return err },
		"Heartbeat":       func() error { return s.Heartbeat(ctx, at(0)) },
		"LastHeartbeat":   func() error { _, err := s.LastHeartbeat(ctx); return err },
	} {
		err := call()
		if err == nil || !strings.HasPrefix(err.Error(), "store: ") || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s during outage: err = %v", name, err)
		}
	}

	// The server comes back empty (nothing is persisted) and without
	// scripts: the store works again.
	srv.Restart()
	// The client may need a moment to dial again; the monitor retries.
	batch := []health.Transition{down("d1", 0, health.SourceARI), up("d1", time.Minute)}
	deadline := time.Now().Add(5 * time.Second)
	for err := s.Apply(ctx, batch); err != nil; err = s.Apply(ctx, batch) {
		if time.Now().After(deadline) {
			t.Fatalf("Apply after restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := spans(t, s, store.SpanQuery{Workstations: []string{"d1"}}); len(got) != 1 || got[0].Open() {
		t.Fatalf("spans after restart = %+v", got)
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
