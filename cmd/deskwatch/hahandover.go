package main

import (
	"slices"
	"sync/atomic"
	"time"

	"deskwatch/metrics"
	"deskwatch/store"
)

// The lease goes to an instance that sees (DESIGN.md, 29). Each instance
// publishes the health of its ARI socket with its peer heartbeat; a leader
// blind on ARI for longer than the lease hands the lease to a live standby
// that sees, and a standby that does not see leaves a free lease to one
// that does, for a while.

// ARI health as published; "" is neither, for long enough to count.
const (
	ariSeeing = "seeing" // connected for a lease at least
	ariBlind  = "blind"  // down for longer than the lease
)

// Why a leader stood by, for deskwatch_ha_handovers_total.
const (
	reasonARIBlind  = "ari_blind"  // handed over to a standby that sees
	reasonLeaseLost = "lease_lost" // the lease ran out or another took it
	reasonFenced    = "fenced"     // a write was refused: a later leader writes
)

var handoverReasons = []string{reasonARIBlind, reasonLeaseLost, reasonFenced}

type handoverCounts struct{ ariBlind, leaseLost, fenced atomic.Uint64 }

func (h *handoverCounts) of(reason string) *atomic.Uint64 {
	switch reason {
	case reasonARIBlind:
		return &h.ariBlind
	case reasonLeaseLost:
		return &h.leaseLost
	}
	return &h.fenced
}

func (h *handoverCounts) add(reason string) { h.of(reason).Add(1) }

func (h *handoverCounts) metrics(instance string) []metrics.Metric {
	out := make([]metrics.Metric, 0, len(handoverReasons))
	for _, r := range handoverReasons {
		m := metrics.Counter("deskwatch_ha_handovers_total", "Times this instance stopped leading, by reason: ari_blind (handed the lease to a standby that sees ARI), lease_lost, fenced.", float64(h.of(r).Load()))
		m.Labels = map[string]string{"ha_instance": instance, "reason": r}
		out = append(out, m)
	}
	return out
}

// peerSight is what seePeers last read: our ARI health and the live
// instances' states (ours included).
type peerSight struct {
	ari   string
	peers map[string]store.PeerState
}

// ariHealth reads our ARI socket with hysteresis: blind once down for
// longer than the lease (from start, if it never connected: a wrong
// password), seeing once up for a lease; a socket that flaps is neither.
// Run's goroutine only.
func (n *haNode) ariHealth(now time.Time) string {
	if n.ari == nil {
		return ""
	}
	up, since := n.ari()
	if up {
		n.downSince = time.Time{}
		if now.Sub(since) >= n.lease {
			n.yielded = false // a new blind episode may hand over again
			return ariSeeing
		}
		return ""
	}
	switch {
	case !since.IsZero():
		n.downSince = since // the client's last disconnect
	case n.downSince.IsZero():
		n.downSince = now // never connected (a reload's new client too)
	}
	if now.Sub(n.downSince) > n.lease {
		return ariBlind
	}
	return ""
}

func (n *haNode) seeing() bool {
	sg := n.sight.Load()
	return sg != nil && sg.ari == ariSeeing
}

// seeingStandby names a live instance other than us that sees ARI and
// stands by, or "".
func (n *haNode) seeingStandby() string {
	sg := n.sight.Load()
	if sg == nil {
		return ""
	}
	for _, name := range sortedPeers(sg) {
		if st := sg.peers[name]; name != n.instance && st.ARI == ariSeeing && !st.Leading {
			return name
		}
	}
	return ""
}

// otherLeads reports whether a live instance other than us says it leads
// (or did, until it stopped saying anything: a dead leader's word lasts two
// leases).
func (n *haNode) otherLeads() bool {
	sg := n.sight.Load()
	if sg == nil {
		return false
	}
	for name, st := range sg.peers {
		if name != n.instance && st.Leading {
			return true
		}
	}
	return false
}

func sortedPeers(sg *peerSight) []string {
	names := make([]string, 0, len(sg.peers))
	for name := range sg.peers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// handoverTo names the standby a leader blind on ARI for longer than the
// lease hands the lease to: one that sees, once per blind episode (so a
// leader that took the lease back because nobody else would keeps it);
// "" to keep it.
func (n *haNode) handoverTo() string {
	if sg := n.sight.Load(); sg == nil || sg.ari != ariBlind || n.yielded || n.noHandover.Load() {
		return ""
	}
	return n.seeingStandby()
}

// mayLead tells a standby whether to try for the lease. One that does not
// see ARI leaves it to a live standby that does while another leads (so
// that the one that sees takes over if the leader dies), and for two leases
// once nobody leads; after that it takes it: a blind leader beats none.
func (n *haNode) mayLead(now time.Time) bool {
	peer := ""
	if !n.seeing() {
		peer = n.seeingStandby()
	}
	switch {
	case peer == "":
		n.deferSince = time.Time{}
		return true
	case n.otherLeads():
		n.deferSince = time.Time{}
		return false
	case n.deferSince.IsZero():
		n.deferSince = now
		n.log.Info().Str("peer", peer).Msg("ARI unseen here: leaving the lease to an instance that sees it")
		return false
	case now.Sub(n.deferSince) < 2*n.lease:
		return false
	}
	n.log.Warn().Str("peer", peer).Dur("waited", now.Sub(n.deferSince)).
		Msg("the instance that sees ARI has not taken the lease: leading blind rather than nobody leading")
	n.deferSince, n.yielded = time.Time{}, true
	return true
}
