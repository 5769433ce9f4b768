package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/store"
)

// TestApplyManyDesksInOrder applies one batch of 1,200 interleaved
// transitions of 400 desks (ten script calls on two connections, each
// desk's transitions in order), then the same batch again.
func TestApplyManyDesksInOrder(t *testing.T) {
	s, _ := newStore(t)
	var batch []health.Transition
	for _, tr := range []func(ws string) health.Transition{
		func(ws string) health.Transition { return down(ws, 0, health.SourceARI) },
		func(ws string) health.Transition { return up(ws, time.Minute) },
		func(ws string) health.Transition { return down(ws, 2*time.Minute, health.SourceSIP) },
	} {
		for d := range 400 {
			batch = append(batch, tr(fmt.Sprintf("d%03d", d)))
		}
	}
	for range 2 {
		apply(t, s, batch...)
		got := spans(t, s, store.SpanQuery{})
		if len(got) != 800 {
			t.Fatalf("%d spans, want 800", len(got))
		}
		for _, sp := range got {
			closed := sp.Start.Equal(at(0)) && sp.End.Equal(at(time.Minute)) && sp.Sources[0] == health.SourceARI
			open := sp.Start.Equal(at(2*time.Minute)) && sp.Open() && sp.Sources[0] == health.SourceSIP
			if !closed && !open {
				t.Fatalf("span %+v", sp)
			}
		}
	}
}

// TestApplyFenceRefusesWholeCall: on a single master one script call takes
// several desks; a fence on one of them refuses the others too.
func TestApplyFenceRefusesWholeCall(t *testing.T) {
	s, rdb := newStore(t)
	old := store.New(rdb, prefix, zerolog.Nop())
	old.SetEpoch(1)
	apply(t, old, down("a", 0, health.SourceARI), down("b", 0, health.SourceARI))
	s.SetEpoch(2)
	apply(t, s, up("b", time.Minute)) // raises b's fence only
	err := old.Apply(context.Background(), []health.Transition{up("a", 2*time.Minute), up("b", 2*time.Minute)})
	if !errors.Is(err, store.ErrFenced) {
		t.Fatalf("late batch: %v, want fenced", err)
	}
	open := true
	if got := spans(t, s, store.SpanQuery{Workstations: []string{"a"}, Open: &open}); len(got) != 1 {
		t.Fatalf("a's spans = %v: the refused call closed it", ids(got))
	}
}

// TestApplyRecords: the records apply.lua writes as text are the JSON
// cjson would write, and records with other strings still go through cjson.
func TestApplyRecords(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	odd := health.Cause(`a/b "q" é\`)
	trs := []health.Transition{
		down("plain", 0, health.SourceARI), up("plain", time.Minute),
		{Workstation: "odd", At: at(0), From: health.StateUp, To: health.StateDown, Cause: odd, Source: health.SourceSIP},
		up("odd", time.Minute),
		// A second source joins (cjson), then the end is added as text.
		down("joined", 0, health.SourceARI), down("joined", time.Second, health.SourceSIP), up("joined", time.Minute),
		// An up before the start clamps the end to it.
		down("early", time.Minute, health.SourceARI), up("early", 0),
	}
	for _, tr := range trs {
		apply(t, s, tr) // one by one: "early"'s up comes after its down
	}
	want := map[string]health.Span{
		"plain":  {Start: at(0), End: at(time.Minute), Cause: health.CauseUnregistered, Sources: []health.Source{health.SourceARI}},
		"odd":    {Start: at(0), End: at(time.Minute), Cause: odd, Sources: []health.Source{health.SourceSIP}},
		"joined": {Start: at(0), End: at(time.Minute), Cause: health.CauseUnregistered, Sources: []health.Source{health.SourceARI, health.SourceSIP}},
		"early":  {Start: at(time.Minute), End: at(time.Minute), Cause: health.CauseUnregistered, Sources: []health.Source{health.SourceARI}},
	}
	for ws, w := range want {
		got := spans(t, s, store.SpanQuery{Workstations: []string{ws}})
		if len(got) != 1 || !got[0].Start.Equal(w.Start) || !got[0].End.Equal(w.End) || got[0].Cause != w.Cause ||
			fmt.Sprint(got[0].Sources) != fmt.Sprint(w.Sources) {
			t.Fatalf("%s: spans %+v, want %+v", ws, got, w)
		}
		raw := rdb.HGet(ctx, prefix+":{ws:"+ws+"}:spans", got[0].ID).Val()
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil || len(m) != 6 {
			t.Fatalf("%s: stored %s: %v, want JSON of 6 keys", ws, raw, err)
		}
	}
}

// TestApplyEmptiesLeftOutbox: an outbox entry left behind (a crash before
// the copy, an older version) is copied to the global index by the desk's
// next call on a single master.
func TestApplyEmptiesLeftOutbox(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	apply(t, s, down("d", 0, health.SourceARI), up("d", time.Minute))
	id := spans(t, s, store.SpanQuery{})[0].ID
	score := rdb.ZScore(ctx, prefix+":spans", id).Val()
	rdb.ZRem(ctx, prefix+":spans", id)
	rdb.HSet(ctx, prefix+":{ws:d}:outbox", id, fmt.Sprintf("%.0f", score))
	apply(t, s, down("d", 2*time.Minute, health.SourceARI))
	if got := rdb.ZScore(ctx, prefix+":spans", id).Val(); got != score {
		t.Fatalf("global index score of %s = %v, want %v", id, got, score)
	}
	if n := rdb.Exists(ctx, prefix+":{ws:d}:outbox").Val(); n != 0 {
		t.Fatal("outbox left")
	}
}
