package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/store"
)

// TestCluster runs every operation through a ClusterClient against a Cluster
// node, which rejects scripts and commands whose keys are not in one slot.
func TestCluster(t *testing.T) {
	t.Parallel() // slow to start or to fail over: overlap with the rest
	ctx := context.Background()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{redistest.StartCluster(t)}})
	t.Cleanup(func() { _ = rdb.Close() })
	s := store.New(rdb, prefix, zerolog.Nop())

	var batch []health.Transition
	for _, ws := range []string{"a", "b", "c", "op122-01"} {
		batch = append(batch, down(ws, 0, health.SourceARI), up(ws, time.Minute), down(ws, 2*time.Minute, health.SourceSIP))
	}
	apply(t, s, batch...)
	apply(t, s, batch...)
	rdb.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error { return c.ScriptFlush(ctx).Err() })
	apply(t, s, up("a", 3*time.Minute))

	if got := spans(t, s, store.SpanQuery{}); len(got) != 8 {
		t.Fatalf("spans = %v", ids(got))
	}
	if got := spans(t, s, store.SpanQuery{Workstations: []string{"a", "b"}, From: at(2 * time.Minute)}); len(got) != 2 {
		t.Fatalf("spans of a, b = %v", ids(got))
	}
	if open, err := s.OpenSpans(ctx); err != nil || len(open) != 3 {
		t.Fatalf("open spans = %v, %v", open, err)
	}
	if states, err := s.CurrentStates(ctx); err != nil || len(states) != 4 {
		t.Fatalf("states = %v, %v", states, err)
	}
	m, err := s.AddManual(ctx, health.Span{Workstation: "b", Start: at(time.Hour), End: at(2 * time.Hour)}, "sv", at(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetExclusion(ctx, m.ID, health.Exclusion{Category: "other", Reason: "test", By: "sv", At: at(4 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeExclusion(ctx, m.ID, "sv", at(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if audit, err := s.Audit(ctx); err != nil || len(audit) != 3 {
		t.Fatalf("audit = %v, %v", audit, err)
	}
	for _, err := range []error{
		s.OpenBlind(ctx, health.SourceARI, at(0)),
		s.CloseBlind(ctx, health.SourceARI, at(time.Minute)),
		s.OpenBlind(ctx, health.SourceSIP, at(0)),
		s.Heartbeat(ctx, at(0)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if blind, err := s.Blind(ctx, time.Time{}, time.Time{}); err != nil || len(blind) != 2 {
		t.Fatalf("blind = %v, %v", blind, err)
	}
}
