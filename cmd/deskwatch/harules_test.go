package main

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/store"
)

// The ARI health an instance publishes has hysteresis: blind only after
// more than a lease down, seeing only after a lease up; a socket that
// never connected (a refused password) is blind a lease after the first
// look.
func TestARIHealthHysteresis(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var up bool
	var since time.Time
	n := &haNode{lease: time.Second, log: zerolog.Nop(), ari: func() (bool, time.Time) { return up, since }}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	for _, step := range []struct {
		what  string
		up    bool
		since time.Duration // -1: never connected
		now   time.Duration
		want  string
	}{
		{"never connected, first look", false, -1, 0, ""},
		{"never connected, a lease later", false, -1, 1001 * time.Millisecond, ariBlind},
		{"just connected", true, 1500 * time.Millisecond, 1600 * time.Millisecond, ""},
		{"connected a lease", true, 1500 * time.Millisecond, 2500 * time.Millisecond, ariSeeing},
		{"dropped, briefly", false, 3 * time.Second, 3500 * time.Millisecond, ""},
		{"dropped, exactly a lease", false, 3 * time.Second, 4 * time.Second, ""},
		{"dropped, longer than a lease", false, 3 * time.Second, 4001 * time.Millisecond, ariBlind},
		{"back, briefly", true, 5 * time.Second, 5200 * time.Millisecond, ""},
		{"flapped between looks: down again", false, 5300 * time.Millisecond, 5400 * time.Millisecond, ""},
	} {
		up = step.up
		since = time.Time{}
		if step.since >= 0 {
			since = at(step.since)
		}
		if got := n.ariHealth(at(step.now)); got != step.want {
			t.Fatalf("%s: %q, want %q", step.what, got, step.want)
		}
	}
}

// A standby that does not see leaves the lease to a live standby that
// does while another leads, and for two leases once nobody does; then it
// leads blind, and keeps the lease (no second handover this episode).
func TestBlindStandbyDefers(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	n := &haNode{instance: "b", lease: time.Second, log: zerolog.Nop()}
	sight := func(own string, peers map[string]store.PeerState) {
		n.sight.Store(&peerSight{ari: own, peers: peers})
	}
	seeing := store.PeerState{ARI: ariSeeing}
	sight(ariSeeing, map[string]store.PeerState{"a": {Leading: true}, "b": {ARI: ariSeeing}, "c": seeing})
	if !n.mayLead(t0) {
		t.Fatal("a standby that sees must try")
	}
	sight(ariBlind, map[string]store.PeerState{"a": {Leading: true}, "b": {ARI: ariBlind}, "c": seeing})
	if n.mayLead(t0) {
		t.Fatal("a blind standby tried while another leads and c sees")
	}
	sight(ariBlind, map[string]store.PeerState{"b": {ARI: ariBlind}, "c": seeing})
	for _, d := range []time.Duration{0, time.Second, 1999 * time.Millisecond} {
		if n.mayLead(t0.Add(time.Second + d)) {
			t.Fatalf("a blind standby tried %s after nobody led while c sees", d)
		}
	}
	if !n.mayLead(t0.Add(3 * time.Second)) {
		t.Fatal("after two leases a blind leader beats none")
	}
	n.leading.Store(true)
	if to := n.handoverTo(); to != "" {
		t.Fatalf("a leader that took the lease blind hands it to %s again", to)
	}
	n.yielded = false
	if to := n.handoverTo(); to != "c" {
		t.Fatalf("a blind leader hands over to %q, want c", to)
	}
	sight(ariBlind, map[string]store.PeerState{"b": {ARI: ariBlind}, "c": {ARI: ""}})
	if to := n.handoverTo(); to != "" {
		t.Fatalf("handed over to %s, which does not count as seeing", to)
	}
	sight(ariBlind, map[string]store.PeerState{"b": {ARI: ariBlind}})
	if !n.mayLead(t0) {
		t.Fatal("a blind standby alone must try")
	}
}
