package journal_test

import (
	"errors"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

// Two instances share the chain. The former leader (epoch 1) is fenced once
// the new one (epoch 2) raised the fence: its append is refused, counted,
// and leaves the chain as it was; the new leader's append lands; a person's
// note through the former leader is not fenced.
func TestFencedAppendIsRefused(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	old, cur := newJournal(t, rdb, prefix), newJournal(t, rdb, prefix)
	old.SetEpoch(1)
	if err := old.RaiseFence(ctx, 1); err != nil {
		t.Fatal(err)
	}
	ingest(t, old, later, sp("op122-01", 0, health.CauseUnregistered))
	if err := cur.RaiseFence(ctx, 2); err != nil {
		t.Fatal(err)
	}
	cur.SetEpoch(2)
	if err := old.RaiseFence(ctx, 1); !errors.Is(err, journal.ErrFenced) {
		t.Fatalf("raising an older fence: %v, want fenced", err)
	}
	err := old.Ingest(ctx, []health.Span{sp("op122-02", time.Minute, health.CauseUnregistered)}, later)
	var fe *journal.FencedError
	if !errors.As(err, &fe) || fe.Epoch != 1 || fe.Held != 2 {
		t.Fatalf("former leader's append: %v, want fenced: epoch 1 by 2", err)
	}
	if n := old.FencedAppends(); n != 2 { // the raise and the append
		t.Errorf("fenced appends %d, want 2", n)
	}
	if n := count(cur); n != 1 {
		t.Fatalf("%d entries after the refused append, want 1", n)
	}
	ingest(t, cur, later, sp("op122-02", time.Minute, health.CauseUnregistered))
	if _, err := old.AddNote(ctx, t0.In(irkutsk).Year(), 1, journal.Note{Actions: ptr("замена блока питания"), By: "Иванова"}); err != nil {
		t.Fatalf("a note through the former leader: %v", err)
	}
	if n := count(cur); n != 2 {
		t.Fatalf("%d entries, want 2", n)
	}
	if res, err := cur.Verify(ctx); err != nil || !res.OK {
		t.Fatalf("verify: %+v, %v", res, err)
	}
}

// Epoch 0 appends unfenced, whatever the fence holds: a single instance.
func TestUnfencedAppend(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := newJournal(t, rdb, prefix)
	if err := newJournal(t, rdb, prefix).RaiseFence(ctx, 5); err != nil {
		t.Fatal(err)
	}
	ingest(t, j, later, sp("op122-01", 0, health.CauseUnregistered))
	if n := count(j); n != 1 || j.FencedAppends() != 0 {
		t.Fatalf("%d entries, %d fenced; want 1, 0", n, j.FencedAppends())
	}
}

// Follow stops with the fenced error: a later leader follows now.
func TestFollowStopsWhenFenced(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := newJournal(t, rdb, prefix)
	j.SetEpoch(1)
	if err := newJournal(t, rdb, prefix).RaiseFence(ctx, 2); err != nil {
		t.Fatal(err)
	}
	src := newSource(recent("op122-01", time.Hour, health.CauseUnregistered))
	done := make(chan error, 1)
	go func() { done <- j.Follow(ctx, journal.SpanSourceFunc(src.Spans), 10*time.Millisecond) }()
	select {
	case err := <-done:
		if !errors.Is(err, journal.ErrFenced) {
			t.Fatalf("Follow returned %v, want fenced", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not stop")
	}
	if n := count(j); n != 0 {
		t.Fatalf("%d entries, want none", n)
	}
}
