package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
	"deskwatch/store"
)

// write is one of the monitor's writes, as its spool replays them.
type write func(ctx context.Context, s *store.Store) error

func tr(t health.Transition) write {
	return func(ctx context.Context, s *store.Store) error { return s.Apply(ctx, []health.Transition{t}) }
}

func openBlind(src health.Source, d time.Duration) write {
	return func(ctx context.Context, s *store.Store) error { return s.OpenBlind(ctx, src, at(d)) }
}

func closeBlind(src health.Source, d time.Duration) write {
	return func(ctx context.Context, s *store.Store) error { return s.CloseBlind(ctx, src, at(d)) }
}

func heartbeat(d time.Duration) write {
	return func(ctx context.Context, s *store.Store) error { return s.Heartbeat(ctx, at(d)) }
}

// contents is every key but the outboxes (bookkeeping of the global index that
// any later call empties) with its content, for comparison.
func contents(t *testing.T, rdb *redis.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, k := range rdb.Keys(ctx, "*").Val() {
		if strings.HasSuffix(k, ":outbox") {
			continue
		}
		var v any
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "string":
			v = rdb.Get(ctx, k).Val()
		case "hash":
			v = rdb.HGetAll(ctx, k).Val()
		case "zset":
			v = rdb.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "set":
			m := rdb.SMembers(ctx, k).Val()
			slices.Sort(m)
			v = m
		case "stream":
			v = rdb.XRange(ctx, k, "-", "+").Val()
		default:
			t.Fatalf("key %s of type %s", k, typ)
		}
		out[k] = fmt.Sprint(v)
	}
	return out
}

// Replaying any tail of what the monitor wrote (its spool after a crash:
// the writes from some point to the end, some already applied) changes
// nothing in Redis.
func TestReplayIsNoOp(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	m := time.Minute
	writes := []write{
		heartbeat(0), openBlind(health.SourceARI, 0), openBlind(health.SourceMonitor, -m), closeBlind(health.SourceMonitor, 0),
		tr(down("d1", m, health.SourceARI)), tr(down("d2", m, health.SourceARI)), heartbeat(m),
		closeBlind(health.SourceARI, 2*m), tr(up("d1", 3*m)), openBlind(health.SourceSIP, 3*m),
		tr(down("d1", 4*m, health.SourceSIP)), heartbeat(5 * m), closeBlind(health.SourceSIP, 5*m),
		openBlind(health.SourceARI, 6*m), tr(up("d2", 6*m)), heartbeat(7 * m),
	}
	for _, w := range writes {
		if err := w(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	want := contents(t, rdb)
	for from := range writes {
		for _, w := range writes[from:] {
			if err := w(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if got := contents(t, rdb); !maps.Equal(got, want) {
			for k := range maps.Keys(want) {
				if got[k] != want[k] {
					t.Errorf("replay from write %d changed %s:\n got %s\nwant %s", from, k, got[k], want[k])
				}
			}
			t.Fatalf("replay from write %d changed Redis (keys %d, want %d)", from, len(got), len(want))
		}
	}
	// What the replays left is what the writes meant.
	if hb, _ := s.LastHeartbeat(ctx); !hb.Equal(at(7 * m)) {
		t.Errorf("heartbeat %v", hb)
	}
	blind, _ := s.Blind(ctx, time.Time{}, time.Time{})
	if len(blind) != 4 || !blind[3].Open() || !blind[3].Start.Equal(at(6*m)) {
		t.Errorf("blind %v", blind)
	}
	if open, _ := s.OpenSpans(ctx); len(open) != 1 || !open["d1"].Start.Equal(at(4*m)) {
		t.Errorf("open spans %v", open)
	}
}

// An older heartbeat never moves the recorded one back.
func TestHeartbeatNeverMovesBack(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	for _, d := range []time.Duration{time.Minute, 0, time.Minute, 2 * time.Minute, time.Second} {
		if err := s.Heartbeat(ctx, at(d)); err != nil {
			t.Fatal(err)
		}
	}
	if hb, err := s.LastHeartbeat(ctx); err != nil || !hb.Equal(at(2*time.Minute)) {
		t.Fatalf("LastHeartbeat = %v, %v", hb, err)
	}
}

// Dead letters keep the refused write in full, in order, once each.
func TestDeadLetters(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	a := store.DeadLetter{At: at(0), Kind: "transition", Content: `{"ws":"d1","at":"2110-01-01T00:00:00Z"}`, Reason: "store: invalid At: outside 1970..2109"}
	b := store.DeadLetter{At: at(time.Second), Kind: "heartbeat", Content: `{"at":"1960-01-01T00:00:00Z"}`, Reason: "store: invalid at"}
	for _, d := range []store.DeadLetter{a, b, a} { // a again: a replay
		if err := s.AddDeadLetter(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.DeadLetters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("dead letters %+v", got)
	}
	for i, w := range []store.DeadLetter{a, b} {
		g := got[i]
		if g.ID == "" || !g.At.Equal(w.At) || g.Kind != w.Kind || g.Content != w.Content || g.Reason != w.Reason {
			t.Errorf("dead letter %d = %+v, want %+v", i, g, w)
		}
	}
}
