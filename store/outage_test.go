package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/store"
)

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
