package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/store"
)

// With DurableWrites a transition counts as written only once a replica
// holds it; without a replica the write fails with ErrNotReplicated (the
// master keeps it, and a retry is harmless), and reads never wait.
func TestDurableWritesWaitForTheReplica(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	master := redistest.StartServer(t)
	replica := redistest.StartReplica(t, master)
	rdb := newClient(t, master.Addr())
	store.DurableWrites(rdb, 1, 300*time.Millisecond)
	s := store.New(rdb, prefix, zerolog.Nop())
	onReplica := store.New(newClient(t, replica.Addr()), prefix, zerolog.Nop())

	apply(t, s, down("a", 0, health.SourceARI))
	if err := s.OpenBlind(ctx, health.SourceARI, at(0)); err != nil {
		t.Fatal(err)
	}
	// Acknowledged means the replica has applied it: read it there.
	if got := spans(t, onReplica, store.SpanQuery{}); len(got) != 1 || !got[0].Open() {
		t.Fatalf("spans on the replica = %v", ids(got))
	}

	replica.Stop()
	if err := s.Apply(ctx, []health.Transition{up("a", time.Minute)}); !errors.Is(err, store.ErrNotReplicated) {
		t.Fatalf("Apply without a replica: %v, want ErrNotReplicated", err)
	}
	if err := s.CloseBlind(ctx, health.SourceARI, at(time.Minute)); !errors.Is(err, store.ErrNotReplicated) {
		t.Fatalf("CloseBlind without a replica: %v, want ErrNotReplicated", err)
	}
	if got := spans(t, s, store.SpanQuery{}); len(got) != 1 || got[0].Open() {
		t.Fatalf("spans on the master = %+v, want the closed span", got)
	}

	replica.Restart()
	deadline := time.Now().Add(30 * time.Second)
	for { // the retry the monitor would make, until the replica has synced
		err := s.Apply(ctx, []health.Transition{up("a", time.Minute)})
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrNotReplicated) || time.Now().After(deadline) {
			t.Fatalf("retry after the replica is back: %v", err)
		}
	}
	if got := spans(t, onReplica, store.SpanQuery{}); len(got) != 1 || got[0].Open() {
		t.Fatalf("spans on the replica after the retry = %+v", got)
	}
}
