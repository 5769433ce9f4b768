package store_test

import (
	"context"
	"errors"
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
	global := []string{"dw:desks", "dw:spans", "dw:heartbeat", "dw:blind:sources", "dw:{blind:ari}:closed", "dw:{blind:ari}:applied"}
	for _, k := range rdb.Keys(ctx, "*").Val() {
		if !slices.Contains(global, k) && !strings.HasPrefix(k, "dw:{ws:op122-01}:") {
			t.Errorf("unexpected key %s", k)
		}
	}
}
