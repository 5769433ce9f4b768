package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/monitor"
	"deskwatch/store"
)

// gate stands between the monitor and the store with ha on: it passes the
// monitor's writes while this instance leads, and holds them while it
// stands by, answering success, so that the standby's monitor decides on
// its own evidence all the time. On promotion the held decisions the
// leader did not record are written with their own times (reconcile).
type gate struct {
	st    *store.Store
	log   zerolog.Logger
	views func() []health.DeskView // the monitor's, for reconcile
	lag   time.Duration            // how far the leader's record may trail its heartbeat

	mu      sync.Mutex // orders writes with promotion and demotion
	leading bool
	held    []heldOp
	sighted map[health.Source]time.Time // sources this instance watches now, since when (its own evidence)
	dropped time.Time                   // the latest held decision let go for memory (maxHeld)
	fenced  func()                      // called (in the writer's goroutine) when a write was fenced
	// handed is each desk's latest transition the monitor has handed to
	// the gate: a view decided later has its transition still on the way.
	handed map[string]time.Time

	paused  atomic.Pointer[chan struct{}] // test hook: writes wait while set
	crashed atomic.Bool                   // test hook: nothing is written any more
}

type heldOp struct {
	trs   []health.Transition
	blind health.Source
	open  bool
	at    time.Time
}

const maxHeld = 200_000 // a standby's memory bound; the oldest go first

var _ monitor.Store = (*gate)(nil)

func (g *gate) Apply(ctx context.Context, trs []health.Transition) error {
	return g.do(ctx, heldOp{trs: trs, at: trs[len(trs)-1].At}, func() error { return g.st.Apply(ctx, trs) })
}

func (g *gate) OpenBlind(ctx context.Context, src health.Source, at time.Time) error {
	return g.do(ctx, heldOp{blind: src, open: true, at: at}, func() error { return g.st.OpenBlind(ctx, src, at) })
}

func (g *gate) CloseBlind(ctx context.Context, src health.Source, at time.Time) error {
	return g.do(ctx, heldOp{blind: src, at: at}, func() error { return g.st.CloseBlind(ctx, src, at) })
}

// Heartbeat is the leader's alone; a standby uses its tick to forget what
// the leader has recorded since.
func (g *gate) Heartbeat(ctx context.Context, at time.Time) error {
	return g.do(ctx, heldOp{}, func() error { return g.st.Heartbeat(ctx, at) })
}

func (g *gate) OpenSpans(ctx context.Context) (map[string]health.Span, error) {
	return g.st.OpenSpans(ctx)
}

func (g *gate) LastHeartbeat(ctx context.Context) (time.Time, error) { return g.st.LastHeartbeat(ctx) }

// AddDeadLetter sets a refused write aside at once, whatever the role: it
// is evidence of a fault, not a decision to fence.
func (g *gate) AddDeadLetter(ctx context.Context, d store.DeadLetter) error {
	return g.st.AddDeadLetter(ctx, d)
}

func (g *gate) do(ctx context.Context, o heldOp, write func() error) error {
	if g.crashed.Load() {
		return nil
	}
	if p := g.paused.Load(); p != nil {
		select {
		case <-*p:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.see(o)
	for _, t := range o.trs {
		if g.handed == nil {
			g.handed = map[string]time.Time{}
		}
		g.handed[t.Workstation] = t.At
	}
	if !g.leading {
		g.hold(ctx, o)
		return nil
	}
	err := write()
	if errors.Is(err, store.ErrFenced) {
		// A later leader has written: this one stands by from now on.
		g.log.Warn().Err(err).Msg("write fenced: another instance leads; standing by")
		g.leading = false
		g.hold(ctx, o)
		if g.fenced != nil {
			g.fenced()
		}
		return nil
	}
	return err
}

// see follows this instance's own sight of each source; the caller holds
// g.mu.
func (g *gate) see(o heldOp) {
	switch {
	case o.blind == "":
	case o.open:
		delete(g.sighted, o.blind)
	default:
		if g.sighted == nil {
			g.sighted = map[health.Source]time.Time{}
		}
		g.sighted[o.blind] = o.at
	}
}

// hold keeps a standby's decision; the caller holds g.mu.
func (g *gate) hold(ctx context.Context, o heldOp) {
	switch {
	case o.trs == nil && o.blind == "": // a heartbeat tick
		g.trim(ctx)
	case o.blind == health.SourceMonitor:
		// The monitor's own gap at start: a leader was watching.
	default:
		o.trs = append([]health.Transition(nil), o.trs...) // the monitor reuses its batch
		if len(g.held) >= maxHeld {
			g.dropped = latest(g.dropped, g.held[0].at)
			g.held = g.held[1:]
		}
		g.held = append(g.held, o)
	}
}

// trim forgets held decisions older than the leader's record: its
// heartbeat, less the lag, but never past the start of a blind interval it
// left open, since the leader did not see what followed (DESIGN.md, 29).
func (g *gate) trim(ctx context.Context) {
	hb, err := g.st.LastHeartbeat(ctx)
	if err != nil || hb.IsZero() {
		return
	}
	open, err := g.st.OpenBlinds(ctx)
	if err != nil {
		return
	}
	cut := hb.Add(-g.lag)
	for _, from := range open {
		if from.Before(cut) {
			cut = from
		}
	}
	i := 0
	for i < len(g.held) && g.held[i].at.Before(cut) {
		i++
	}
	g.held = g.held[:copy(g.held, g.held[i:])]
}

// demote holds the writes from now on (the lease is lost).
func (g *gate) demote() {
	g.mu.Lock()
	g.leading = false
	g.mu.Unlock()
}

// promote writes what the leader did not record of this instance's own
// decisions, then passes the monitor's writes. The store already carries
// the new epoch with its fences raised. The monitor's writes wait meanwhile,
// so its later decisions follow.
func (g *gate) promote(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// The old leader may have left global-index updates pending (Redis
	// died between a desk's script and the index, and its retry came back
	// fenced): complete them, as a start does.
	if _, err := g.st.OpenSpans(ctx); err != nil {
		return err
	}
	if err := g.replay(ctx); err != nil {
		return err
	}
	if err := g.closeWatched(ctx); err != nil {
		return err
	}
	if err := g.reconcile(ctx); err != nil {
		return err
	}
	g.held, g.leading = nil, true
	return nil
}

// replay writes the held decisions later than the leader's record: a
// desk's transitions after its last stored one, blind intervals after the
// leader's last heartbeat (until then the leader watched).
func (g *gate) replay(ctx context.Context) error {
	states, err := g.st.CurrentStates(ctx)
	if err != nil {
		return err
	}
	hb, err := g.st.LastHeartbeat(ctx)
	if err != nil {
		return err
	}
	opened := map[health.Source]time.Time{} // held opens, written with their close or at the end
	var trs []health.Transition
	for _, o := range g.held {
		switch {
		case o.trs != nil:
			for _, t := range o.trs {
				if t.At.After(states[t.Workstation].Since) {
					trs = append(trs, t)
				}
			}
			continue
		case o.open:
			if _, ok := opened[o.blind]; !ok {
				opened[o.blind] = o.at
			}
			continue
		}
		if err := g.flushTransitions(ctx, &trs); err != nil {
			return err
		}
		from, ok := opened[o.blind]
		delete(opened, o.blind)
		if !o.at.After(hb) {
			continue // the leader saw throughout
		}
		if ok {
			if err := g.st.OpenBlind(ctx, o.blind, latest(from, hb)); err != nil {
				return err
			}
		}
		if err := g.st.CloseBlind(ctx, o.blind, o.at); err != nil {
			return err
		}
	}
	if err := g.flushTransitions(ctx, &trs); err != nil {
		return err
	}
	for src, from := range opened {
		if err := g.st.OpenBlind(ctx, src, latest(from, hb)); err != nil {
			return err
		}
	}
	return nil
}

// flushTransitions applies trs in batches the store can retry.
func (g *gate) flushTransitions(ctx context.Context, trs *[]health.Transition) error {
	perDesk := map[string]int{}
	start := 0
	for i, t := range *trs {
		if perDesk[t.Workstation] == store.MaxBatchPerDesk {
			if err := g.st.Apply(ctx, (*trs)[start:i]); err != nil {
				return err
			}
			start = i
			clear(perDesk)
		}
		perDesk[t.Workstation]++
	}
	if err := g.st.Apply(ctx, (*trs)[start:]); err != nil {
		return err
	}
	*trs = (*trs)[:0]
	return nil
}

// closeWatched closes the blind intervals a former leader left open in the
// record (it died or handed over blind) for the sources this instance
// watches, at the later of the interval's start and the time since which
// its own evidence shows the source watched: the held decisions, kept from
// the interval's start on (trim), cover the rest. A source blind here too
// stays open; the monitor closes it when it sees again.
func (g *gate) closeWatched(ctx context.Context) error {
	open, err := g.st.OpenBlinds(ctx)
	if err != nil {
		return err
	}
	for src, from := range open {
		since, ok := g.sighted[src]
		if !ok {
			continue
		}
		at := latest(latest(from, since), g.dropped)
		if err := g.st.CloseBlind(ctx, src, at); err != nil {
			return err
		}
		g.log.Info().Str("source", string(src)).Time("from", from).Time("at", at).
			Msg("closed the blind interval the former leader left open: this instance watched")
	}
	return nil
}

// reconcile makes each desk's stored state the monitor's decided view,
// at the view's time (never before the desk's last stored transition):
// decisions the held window no longer had. A view decided after the last
// transition the monitor handed over is left alone: its transitions are
// still on their way from the monitor's writer and follow in order, and
// writing the view ahead of them would make them apply out of order (a
// view with none handed was restored from the store, which has it).
func (g *gate) reconcile(ctx context.Context) error {
	states, err := g.st.CurrentStates(ctx)
	if err != nil {
		return err
	}
	var trs []health.Transition
	for _, v := range g.views() {
		cur, ok := states[v.ID]
		open := ok && cur.Span != ""
		if v.Since.IsZero() {
			continue // never decided
		}
		if v.Since.After(g.handed[v.ID]) {
			continue // on its way (or restored from the store, which has it)
		}
		if v.Decided == health.StateDown && !open || v.Decided == health.StateUp && open {
			from := cur.State
			if from == "" || from == v.Decided {
				from = health.StateUnknown
			}
			at := latest(v.Since, cur.Since.Add(time.Millisecond))
			trs = append(trs, health.Transition{Workstation: v.ID, At: at.UTC(), From: from, To: v.Decided, Cause: v.Cause})
			g.log.Info().Str("workstation", v.ID).Str("to", string(v.Decided)).Time("at", at).Msg("reconciled on promotion")
		}
	}
	return g.flushTransitions(ctx, &trs)
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
