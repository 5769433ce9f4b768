package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/store"
)

func TestLease(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	ttl := time.Minute
	e1, holder, err := s.AcquireLease(ctx, "a", ttl)
	if err != nil || e1 == 0 || holder != "a" {
		t.Fatalf("a acquires: %d %q %v", e1, holder, err)
	}
	if e, holder, err := s.AcquireLease(ctx, "b", ttl); err != nil || e != 0 || holder != "a" {
		t.Fatalf("b acquires a held lease: %d %q %v", e, holder, err)
	}
	if ok, _, err := s.RenewLease(ctx, "a", e1, ttl); err != nil || !ok {
		t.Fatalf("a renews: %v %v", ok, err)
	}
	if ok, holder, err := s.RenewLease(ctx, "b", e1, ttl); err != nil || ok || holder != "a" {
		t.Fatalf("b renews a's lease: %v %q %v", ok, holder, err)
	}
	if err := s.ReleaseLease(ctx, "b", e1); err != nil { // not b's: kept
		t.Fatal(err)
	}
	if ok, _, _ := s.RenewLease(ctx, "a", e1, ttl); !ok {
		t.Fatal("b released a's lease")
	}
	if err := s.ReleaseLease(ctx, "a", e1); err != nil {
		t.Fatal(err)
	}
	e2, holder, err := s.AcquireLease(ctx, "b", ttl)
	if err != nil || e2 <= e1 || holder != "b" {
		t.Fatalf("b acquires the released lease: %d %q %v, want an epoch above %d", e2, holder, err, e1)
	}
	if ok, holder, _ := s.RenewLease(ctx, "a", e1, ttl); ok || holder != "b" {
		t.Fatalf("a renews after losing the lease: %v %q", ok, holder)
	}
	// An expired lease is free; the epoch still grows.
	if err := s.ReleaseLease(ctx, "b", e2); err != nil {
		t.Fatal(err)
	}
	if e, _, err := s.AcquireLease(ctx, "x", time.Millisecond); err != nil || e <= e2 {
		t.Fatalf("x acquires: %d %v", e, err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		e, _, err := s.AcquireLease(ctx, "y", ttl)
		if err != nil {
			t.Fatal(err)
		}
		if e > e2+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("x's lease of 1 ms never expired")
		}
	}
}

// TestFence: a former leader's writes are refused everywhere once the new
// leader has raised the fences, and nothing of them is stored.
func TestFence(t *testing.T) {
	t.Run("single", func(t *testing.T) {
		s, rdb := newStore(t)
		testFence(t, s, store.New(rdb, prefix, zerolog.Nop()), store.New(rdb, prefix, zerolog.Nop()))
	})
	t.Run("cluster", func(t *testing.T) {
		t.Parallel()
		rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{redistest.StartCluster(t)}})
		t.Cleanup(func() { _ = rdb.Close() })
		mk := func() *store.Store { return store.New(rdb, prefix, zerolog.Nop()) }
		testFence(t, mk(), mk(), mk())
	})
}

func testFence(t *testing.T, plain, old, leader *store.Store) {
	ctx := context.Background()
	old.SetEpoch(1)
	apply(t, old, down("x", 0, health.SourceARI))
	if err := old.OpenBlind(ctx, health.SourceARI, at(0)); err != nil {
		t.Fatal(err)
	}

	leader.SetEpoch(2)
	if err := leader.RaiseFences(ctx, []string{"y"}, []health.Source{health.SourceSIP}); err != nil {
		t.Fatal(err)
	}
	late := []func() error{
		func() error { return old.Apply(ctx, []health.Transition{up("x", time.Minute)}) },
		func() error { return old.Apply(ctx, []health.Transition{down("y", time.Minute, health.SourceSIP)}) },
		func() error { return old.CloseBlind(ctx, health.SourceARI, at(time.Minute)) },
		func() error { return old.OpenBlind(ctx, health.SourceSIP, at(time.Minute)) },
		func() error { return old.Heartbeat(ctx, at(time.Minute)) },
	}
	for i, f := range late {
		err := f()
		var fe *store.FencedError
		if !errors.Is(err, store.ErrFenced) || !errors.As(err, &fe) || fe.Epoch != 1 || fe.Held != 2 {
			t.Fatalf("late write %d: %v, want fenced by epoch 2", i, err)
		}
	}
	if n := old.FencedWrites(); n != uint64(len(late)) {
		t.Fatalf("fenced writes = %d, want %d", n, len(late))
	}
	// Nothing of the late writes is stored.
	if got := spans(t, leader, store.SpanQuery{}); len(got) != 1 || !got[0].Open() || got[0].Workstation != "x" {
		t.Fatalf("spans = %v, want x's open span only", ids(got))
	}
	if bl, err := leader.Blind(ctx, time.Time{}, time.Time{}); err != nil || len(bl) != 1 || !bl[0].End.IsZero() {
		t.Fatalf("blind = %v, %v, want ari's open interval only", bl, err)
	}
	if hb, err := leader.LastHeartbeat(ctx); err != nil || !hb.IsZero() {
		t.Fatalf("heartbeat = %v, %v, want none", hb, err)
	}
	// The leader writes; a later epoch than the fence raises it.
	apply(t, leader, up("x", 2*time.Minute), down("z", 2*time.Minute, health.SourceSIP))
	if err := leader.Heartbeat(ctx, at(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// An unfenced store (a single instance, epoch 0) is not checked.
	apply(t, plain, up("z", 3*time.Minute))
	if got := spans(t, leader, store.SpanQuery{Open: new(bool)}); len(got) != 2 {
		t.Fatalf("closed spans = %v, want x's and z's", ids(got))
	}
	// Raising fences below the current epoch is refused too.
	if err := old.RaiseFences(ctx, nil, nil); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("old raises fences: %v", err)
	}
}

func TestClaimAppAndPeers(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if err := s.ClaimApp(ctx, "deskwatch", "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimApp(ctx, "deskwatch", "a", time.Minute); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	var held *store.AppHeldError
	if err := s.ClaimApp(ctx, "deskwatch", "b", time.Minute); !errors.As(err, &held) || held.Holder != "a" {
		t.Fatalf("b claims a's app: %v", err)
	}
	if err := s.ClaimApp(ctx, "deskwatch-b", "b", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseApp(ctx, "deskwatch", "b"); err != nil { // not b's: kept
		t.Fatal(err)
	}
	if err := s.ClaimApp(ctx, "deskwatch", "b", time.Minute); err == nil {
		t.Fatal("b released a's claim")
	}
	if err := s.ReleaseApp(ctx, "deskwatch", "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimApp(ctx, "deskwatch", "b", time.Minute); err != nil {
		t.Fatalf("b claims a released app: %v", err)
	}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SeePeer(ctx, "a", at(0), 10*time.Second, store.PeerState{Leading: true}))
	must(s.SeePeer(ctx, "b", at(0), 20*time.Second, store.PeerState{ARI: "seeing"}))
	if p, err := s.Peers(ctx, at(5*time.Second)); err != nil || !slices.Equal(p, []string{"a", "b"}) {
		t.Fatalf("peers = %v, %v", p, err)
	}
	if p, err := s.Peers(ctx, at(15*time.Second)); err != nil || !slices.Equal(p, []string{"b"}) {
		t.Fatalf("peers later = %v, %v", p, err)
	}
	want := map[string]store.PeerState{"a": {Leading: true}, "b": {ARI: "seeing"}}
	if ps, err := s.PeerStates(ctx, at(5*time.Second)); err != nil || !maps.Equal(ps, want) {
		t.Fatalf("peer states = %v, %v; want %v", ps, err, want)
	}
	delete(want, "a")
	if ps, err := s.PeerStates(ctx, at(15*time.Second)); err != nil || !maps.Equal(ps, want) {
		t.Fatalf("peer states later = %v, %v; want %v", ps, err, want)
	}
}
