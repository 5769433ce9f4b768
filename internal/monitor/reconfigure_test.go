package monitor_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/monitor"
)

// A reload keeps an unchanged desk's open span and state, adds a desk that
// continues the span the store still holds for it, and ignores a removed
// desk's endpoints from then on.
func TestReconfigureKeepsSpansAndRestoresReturningDesks(t *testing.T) {
	r := newRig(t)
	two := append(slices.Clone(wss), health.Workstation{ID: "d2", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d2"}})
	m := monitor.New(monitor.Options{Workstations: two, Store: r.st, Logger: zerolog.Nop(), Now: func() time.Time { return r.clock }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	down := func(ep string) health.Observation {
		return health.Observation{Endpoint: ep, Source: health.SourceARI, Kind: health.KindOffline, At: r.clock, Snapshot: true}
	}
	m.Input() <- down("PJSIP/d1")
	m.Input() <- down("PJSIP/d2")
	eventually(t, "two open spans", func() bool { return len(r.spans()) == 2 })

	if added := m.Reconfigure(ctx, wss); len(added) != 0 {
		t.Fatalf("added %q", added)
	}
	if _, ok := m.View("d2"); ok {
		t.Fatal("d2 still tracked")
	}
	if added := m.Reconfigure(ctx, two); !slices.Equal(added, []string{"d2"}) {
		t.Fatalf("added %q", added)
	}
	for _, id := range []string{"d1", "d2"} {
		if v, _ := m.View(id); v.Decided != health.StateDown || !v.Since.Equal(r.clock) {
			t.Fatalf("%s after the reloads: %+v", id, v)
		}
	}
	sp := r.spans()
	if len(sp) != 2 || !sp[0].End.IsZero() || !sp[1].End.IsZero() {
		t.Fatalf("spans cut by the reloads: %+v", sp)
	}
}
