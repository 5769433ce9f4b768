package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/metrics"
	"deskwatch/store"
)

// haNode is this instance's part in ha (DESIGN.md, 27): it claims its ARI
// application, renews or tries to take the lease every third of it, and
// while it leads runs the leader's work (alerts, the journal) and lets the
// gate pass the monitor's writes.
type haNode struct {
	st       *store.Store
	chain    chainFence // the journal's appends, fenced as the store's writes
	gate     *gate
	log      zerolog.Logger
	instance string
	app      string
	lease    time.Duration
	desks    []string
	sources  []health.Source
	// leaderWork runs the leader's goroutines until ctx ends.
	leaderWork func(ctx context.Context)
	// monitorDone is closed when the monitor has written its last
	// decisions: a clean stop releases the lease only then.
	monitorDone <-chan struct{}
	// onRole, if set, hears every role change (tests wait on it).
	onRole func(leading bool, epoch int64)

	leading atomic.Bool
	epoch   atomic.Int64
	peers   atomic.Pointer[[]string]
	fenced  chan struct{} // the gate saw a write fenced: stand by

	// The handover (hahandover.go); ari is nil in tests without one.
	ari        func() (connected bool, since time.Time)
	handovers  handoverCounts
	sight      atomic.Pointer[peerSight] // ours and the live peers', as last published
	downSince  time.Time                 // of our ARI socket (Run's goroutine only, as below)
	yielded    bool                      // this blind episode already offered the lease to a peer that sees
	deferSince time.Time                 // since when this blind standby leaves a free lease to one that sees

	stopped    atomic.Bool // test hook: no renewal, no release (crash, pause)
	noHandover atomic.Bool // test hook: a blind leader keeps the lease
}

// chainFence is the journal's fence (DESIGN.md, 29).
type chainFence interface {
	SetEpoch(epoch int64)
	RaiseFence(ctx context.Context, epoch int64) error
	FencedAppends() uint64
}

func (n *haNode) init() { n.fenced = make(chan struct{}, 1) }

// claimApp refuses to start beside a live instance with our ari.app.
func (n *haNode) claimApp(ctx context.Context) error {
	return n.st.ClaimApp(ctx, n.app, n.instance, 2*n.lease)
}

// Run takes part until ctx ends; then a clean stop releases the lease so a
// standby takes over at once. It owns the leader's goroutines.
func (n *haNode) Run(ctx context.Context) {
	tick := time.NewTicker(n.lease / 3)
	defer tick.Stop()
	var work sync.WaitGroup
	var endWork context.CancelFunc
	stepDown := func(reason, why string) {
		if !n.leading.Load() {
			return
		}
		n.gate.demote()
		endWork()
		work.Wait()
		n.leading.Store(false)
		n.handovers.add(reason)
		n.log.Warn().Str("reason", reason).Str("why", why).Int64("epoch", n.epoch.Load()).Msg("standing by")
		n.notify()
	}
	startWork := func() {
		wctx, cancel := context.WithCancel(ctx)
		endWork = cancel
		work.Add(1)
		go func() { defer work.Done(); n.leaderWork(wctx) }()
	}
	lastRenew := time.Now()
	if n.leading.Load() { // led from the start (Daemon.start)
		startWork()
	}
	for {
		if !n.stopped.Load() {
			if n.leading.Load() {
				if n.renew(ctx, &lastRenew) != nil {
					stepDown(reasonLeaseLost, "lease lost")
				} else if to := n.handoverTo(); to != "" {
					n.yielded = true
					stepDown(reasonARIBlind, "ARI down for longer than the lease; "+to+" sees it: handing the lease over")
					rctx, cancel := context.WithTimeout(ctx, time.Second)
					_ = n.st.ReleaseLease(rctx, n.instance, n.epoch.Load())
					cancel()
				}
			} else if n.tryLead(ctx) {
				lastRenew = time.Now()
				startWork()
			}
		}
		select {
		case <-ctx.Done():
			if n.leading.Load() {
				endWork()
				work.Wait()
			}
			if n.stopped.Load() {
				return // crashed: nothing is released
			}
			// The monitor's last writes go out under our lease (or are
			// fenced, if it ran out meanwhile and a standby took over).
			select {
			case <-n.monitorDone:
			case <-time.After(5 * time.Second):
			}
			rctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if n.leading.Load() {
				_ = n.st.ReleaseLease(rctx, n.instance, n.epoch.Load())
			}
			_ = n.st.ReleaseApp(rctx, n.app, n.instance)
			return
		case <-n.fenced:
			stepDown(reasonFenced, "a write was fenced")
		case <-tick.C:
		}
	}
}

var errLeaseLost = errors.New("lease lost")

// renew extends our lease and our claims; an error means we must stop
// writing (the lease is someone else's, or unconfirmed for too long).
func (n *haNode) renew(ctx context.Context, last *time.Time) error {
	n.seePeers(ctx)
	ok, holder, err := n.st.RenewLease(ctx, n.instance, n.epoch.Load(), n.lease)
	switch {
	case err != nil && time.Since(*last) < n.lease*2/3:
		n.log.Warn().Err(err).Msg("lease renewal failed; retrying")
		return nil
	case err != nil:
		return err
	case !ok:
		n.log.Warn().Str("holder", holder).Msg("lease taken over")
		return errLeaseLost
	}
	*last = time.Now()
	return nil
}

// tryLead takes the lease if free: a new epoch, the fences raised, then
// the held decisions written.
func (n *haNode) tryLead(ctx context.Context) bool {
	n.seePeers(ctx)
	if !n.mayLead(time.Now()) {
		return false
	}
	epoch, _, err := n.st.AcquireLease(ctx, n.instance, n.lease)
	if err != nil {
		n.log.Warn().Err(err).Msg("lease: cannot ask")
		return false
	}
	if epoch == 0 {
		return false
	}
	n.st.SetEpoch(epoch)
	err = n.st.RaiseFences(ctx, n.desks, n.sources)
	if err == nil && n.chain != nil { // the follower starts only after
		n.chain.SetEpoch(epoch)
		err = n.chain.RaiseFence(ctx, epoch)
	}
	if err == nil {
		err = n.gate.promote(ctx)
	}
	if err != nil {
		n.log.Error().Err(err).Int64("epoch", epoch).Msg("promotion failed; releasing the lease")
		_ = n.st.ReleaseLease(ctx, n.instance, epoch)
		return false
	}
	n.epoch.Store(epoch)
	n.leading.Store(true)
	n.log.Info().Int64("epoch", epoch).Msg("leading")
	n.notify()
	return true
}

func (n *haNode) seePeers(ctx context.Context) {
	if err := n.claimApp(ctx); err != nil {
		n.log.Error().Err(err).Msg("ari.app claim")
	}
	now := time.Now()
	ari := n.ariHealth(now)
	_ = n.st.SeePeer(ctx, n.instance, now, 2*n.lease, store.PeerState{Leading: n.leading.Load(), ARI: ari})
	if ps, err := n.st.PeerStates(ctx, now); err == nil {
		p := slices.Sorted(maps.Keys(ps))
		n.peers.Store(&p)
		n.sight.Store(&peerSight{ari: ari, peers: ps})
	}
}

func (n *haNode) notify() {
	if n.onRole != nil {
		n.onRole(n.leading.Load(), n.epoch.Load())
	}
}

// onFenced is the gate's hook: it must not block the monitor.
func (n *haNode) onFenced() {
	select {
	case n.fenced <- struct{}{}:
	default:
	}
}

func (n *haNode) role() string {
	if n.leading.Load() {
		return "leader"
	}
	return "standby"
}

// status is /healthz's "ha"; the spool depth is the monitor's spool's
// (not built yet: null).
func (n *haNode) status() map[string]any {
	var peers []string
	if p := n.peers.Load(); p != nil {
		peers = *p
	}
	var ari string
	if sg := n.sight.Load(); sg != nil {
		ari = sg.ari
	}
	return map[string]any{"instance": n.instance, "role": n.role(), "epoch": n.epoch.Load(),
		"peers": peers, "ari": ari}
}

// Metrics are the ha gauges and the fenced writes.
func (n *haNode) Metrics() []metrics.Metric {
	var peers int
	if p := n.peers.Load(); p != nil {
		peers = len(*p)
	}
	lab := func(m metrics.Metric) metrics.Metric {
		m.Labels = map[string]string{"ha_instance": n.instance}
		return m
	}
	return append([]metrics.Metric{
		lab(metrics.Gauge("deskwatch_ha_leader", "1 while this instance holds the lease and writes.", metrics.Bool(n.leading.Load()))),
		lab(metrics.Gauge("deskwatch_ha_epoch", "Epoch (fencing token) of this instance's last lease.", float64(n.epoch.Load()))),
		lab(metrics.Gauge("deskwatch_ha_peers", "Instances seen alive, this one included.", float64(peers))),
		lab(metrics.Gauge("deskwatch_ha_ari_seeing", "1 while this instance's ARI socket counts as seeing (connected for a lease at least): the lease goes to one that sees.", metrics.Bool(n.seeing()))),
		lab(metrics.Counter("deskwatch_ha_fenced_writes_total", "Writes of this instance (spans, blind intervals, heartbeats, journal appends) refused because a later leader had written.", float64(n.fencedWrites()))),
	}, n.handovers.metrics(n.instance)...)
}

// fencedWrites counts this instance's writes refused by a fence: the
// store's and the journal's.
func (n *haNode) fencedWrites() uint64 {
	f := n.st.FencedWrites()
	if n.chain != nil {
		f += n.chain.FencedAppends()
	}
	return f
}

// buildHA makes the monitor write through a gate and claims ari.app: a
// live instance holding it stops this one here, named in the error.
func (d *Daemon) buildHA(wss []health.Workstation) (*gate, error) {
	cfg := d.cfg.HA
	g := &gate{st: d.st, log: d.logger("ha"), lag: cfg.Lease, views: func() []health.DeskView { return d.mon.Views() }}
	n := &haNode{st: d.st, gate: g, log: d.logger("ha").With().Str("instance", cfg.Instance).Logger(),
		instance: cfg.Instance, app: d.cfg.ARI.App, lease: cfg.Lease, ari: d.ari.Connected,
		sources: []health.Source{health.SourceARI, health.SourceSIP, health.SourceMonitor}}
	for _, w := range wss {
		n.desks = append(n.desks, w.ID)
	}
	n.init()
	g.fenced = n.onFenced
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.claimApp(ctx); err != nil {
		return nil, fmt.Errorf("ha: %w", err)
	}
	d.ha = n
	return g, nil
}
