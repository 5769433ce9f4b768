package ari

import (
	"reflect"
	"testing"
	"time"

	"deskwatch/health"
)

// Endpoints configured by a reload get a snapshot of their own and their
// AORs read on the open socket: no reconnect, nothing else re-emitted.
func TestSetEndpointsSnapshotsFreshOnesOnTheOpenSocket(t *testing.T) {
	f := newFakeARI(t)
	f.aorContacts = map[string]string{"op122-02": "sip:op122-02@10.0.0.2:5060"}
	h := startClient(t, f, nil)
	conn := f.accept(t)
	h.expectSnapshot(t, t0)

	t1 := t0.Add(time.Hour)
	h.clock.Set(t1)
	h.c.SetEndpoints([]string{"op122-01", "op117-01", "op122-02", "op998-01"}, []string{"op122-02", "op998-01", "op555-01"})
	snap := func(ep string, k health.Kind, detail string) health.Observation {
		return health.Observation{Endpoint: ep, Source: health.SourceARI, Kind: k, At: t1, Detail: detail, Snapshot: true}
	}
	want := []health.Observation{
		snap("PJSIP/op122-02", health.KindOnline, "snapshot online"),
		snap("PJSIP/op998-01", health.KindMissing, "absent from GET /endpoints/PJSIP"),
		{Endpoint: "PJSIP/op122-02", Source: health.SourceARI, Kind: health.KindAORContact, At: t1, Contact: "sip:op122-02@10.0.0.2:5060", Detail: "AOR contact"},
	}
	h.expectAll(t, want)
	// Events still flow on the same socket.
	line := fixtureLines(t, "run2-tech-subscription.jsonl")[0]
	conn.send(t, line)
	evs := translateAll(t, [][]byte{line})
	for i := range evs {
		evs[i].Received = t1 // read after the clock moved
	}
	h.expectAll(t, evs)
	if _, events, _, snapshots := f.counts(); events != 1 || snapshots != 2 {
		t.Errorf("%d connections and %d snapshots, want 1 and 2", events, snapshots)
	}
	if s := h.c.Stats(); s.Reconnects != 0 || !s.Connected {
		t.Errorf("the reload reconnected: %+v", s)
	}
	// The next connect snapshots the new set, op999-01 no longer among it.
	conn.drop()
	h.expectBlind(t, t1, "")
	f.accept(t)
	for o := h.next(t); o.Kind != health.KindSighted; o = h.next(t) {
		if o.Endpoint == "PJSIP/op999-01" {
			t.Fatalf("a removed endpoint is still configured: %+v", o)
		}
	}
}

// expectAll reads len(want) observations and compares them in order.
func (h *harness) expectAll(t *testing.T, want []health.Observation) {
	t.Helper()
	for i, w := range want {
		if got := h.next(t); !reflect.DeepEqual(got, w) {
			t.Fatalf("observation %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
}
