// Package monitor is deskwatch's loop: it takes observations from the
// sources, feeds the pure tracker, and persists what it decides. It owns the
// tracker; readers get copies of its views. When Redis is unreachable the
// decisions queue in memory, in order, and are written when it is back; the
// loop never stops taking evidence. The queue lives only in this process:
// a crash while Redis is down loses what it held, and past MaxQueue writes
// the oldest is dropped (logged and counted).
package monitor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/metrics"
)

// Store is what the monitor needs of persistence.
type Store interface {
	Apply(ctx context.Context, trs []health.Transition) error
	OpenSpans(ctx context.Context) (map[string]health.Span, error)
	OpenBlind(ctx context.Context, src health.Source, at time.Time) error
	CloseBlind(ctx context.Context, src health.Source, at time.Time) error
	Heartbeat(ctx context.Context, at time.Time) error
	LastHeartbeat(ctx context.Context) (time.Time, error)
}

// Options configure a Monitor.
type Options struct {
	Workstations []health.Workstation
	Store        Store
	Logger       zerolog.Logger
	Now          func() time.Time
	// Heartbeat is how often the daemon records that it is alive (default 5 s);
	// after a crash the time since the last heartbeat is recorded as blind.
	Heartbeat time.Duration
	// RetryMin and RetryMax bound the backoff of writes while Redis is down.
	RetryMin, RetryMax time.Duration
	// MaxQueue bounds the writes kept while Redis is down (default 1,000,000).
	MaxQueue int
	// MaxBatchPerDesk caps one desk's transitions in a Store.Apply batch
	// (default 64, store.MaxBatchPerDesk): a batch retried after a partial
	// write is then all within the store's memory of applied transitions.
	MaxBatchPerDesk int
	// OnTransitions, if set, is called from the loop after transitions are
	// decided (before they are persisted): live updates for the API.
	OnTransitions func([]health.Transition)
	// OnBlindChange, if set, is called from the loop when a source goes
	// blind or sees again (every desk's view changes).
	OnBlindChange func()
	// OnContact, if set, is called from the loop with each contact Asterisk
	// says is bound to a configured endpoint (Observation.BoundContact): the
	// SIP probes learn where to look from the evidence itself, with no
	// goroutine between ARI and the loop. It must not block the loop.
	OnContact func(endpoint, contact string)
	// OnPersisted, if set, is called from the loop with each batch of
	// transitions once Redis has it (benchmarks measure latency with it).
	OnPersisted func([]health.Transition)
}

// op is one write, kept in decision order.
type op struct {
	kind  opKind
	tr    *health.Transition
	blind health.Source
	at    time.Time
}

type opKind uint8

const (
	opTransition opKind = iota
	opOpenBlind
	opCloseBlind
	opHeartbeat
)

// Monitor runs the loop.
type Monitor struct {
	opt     Options
	in      chan health.Observation
	mu      sync.RWMutex // guards tracker
	tracker *health.Tracker
	queue   []op
	// turned is when the loop last turned (unix ns, real clock), at least
	// every Heartbeat: the watchdog's proof that the loop is not wedged.
	turned  atomic.Int64
	started chan struct{} // closed when the loop first turns

	writeTime *metrics.Histogram // how long Redis takes to apply a batch

	stats struct {
		observations, transitions, ignored, writeErrors atomic.Int64
		queued                                          atomic.Int64
		lastWriteErr                                    atomic.Value // string
		storeOK                                         atomic.Bool
		storeSince                                      atomic.Int64 // unix ns
	}
}

// New builds a monitor; call Run.
func New(opt Options) *Monitor {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Heartbeat <= 0 {
		opt.Heartbeat = 5 * time.Second
	}
	if opt.RetryMin <= 0 {
		opt.RetryMin = 200 * time.Millisecond
	}
	if opt.RetryMax <= 0 {
		opt.RetryMax = 10 * time.Second
	}
	if opt.MaxQueue <= 0 {
		opt.MaxQueue = 1_000_000
	}
	if opt.MaxBatchPerDesk <= 0 {
		opt.MaxBatchPerDesk = 64
	}
	m := &Monitor{opt: opt, in: make(chan health.Observation, 4096), tracker: health.NewTracker(opt.Workstations),
		writeTime: metrics.NewHistogram(metrics.LatencyBounds...), started: make(chan struct{})}
	m.stats.lastWriteErr.Store("")
	return m
}

// Input is where sources send observations. Sends block when the loop is
// behind: evidence is never dropped.
func (m *Monitor) Input() chan<- health.Observation { return m.in }

// Run restores state, then processes observations until ctx ends. It writes
// a last heartbeat on the way out so that the next start knows when the
// monitor stopped looking.
func (m *Monitor) Run(ctx context.Context) error {
	start := m.opt.Now().UTC()
	m.restore(ctx, start)
	// Until the ARI source reports its first snapshot, nothing is seen.
	m.handle(health.Observation{Source: health.SourceARI, Kind: health.KindBlind, At: start})

	hb := time.NewTicker(m.opt.Heartbeat)
	defer hb.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	backoff := m.opt.RetryMin
	close(m.started)
	for {
		m.turned.Store(time.Now().UnixNano())
		select {
		case <-ctx.Done():
			m.shutdown()
			return nil
		case o := <-m.in:
			m.handle(o)
			// Drain what is already waiting so that writes batch.
			for n := 0; n < 1024; n++ {
				select {
				case o = <-m.in:
					m.handle(o)
					continue
				default:
				}
				break
			}
		case <-hb.C:
			m.push(op{kind: opHeartbeat, at: m.opt.Now().UTC()})
		case <-retry.C:
		}
		if len(m.queue) == 0 {
			continue
		}
		if err := m.flush(ctx); err != nil {
			if ctx.Err() != nil {
				continue
			}
			retry.Reset(backoff)
			backoff = min(2*backoff, m.opt.RetryMax)
		} else {
			backoff = m.opt.RetryMin
		}
	}
}

func (m *Monitor) handle(o health.Observation) {
	m.stats.observations.Add(1)
	// The store keeps milliseconds (as ARI stamps them); deciding on the
	// same precision keeps the live view and the record identical.
	o.At = o.At.UTC().Truncate(time.Millisecond)
	m.mu.Lock()
	if o.Endpoint != "" && !m.tracker.Known(o.Endpoint) {
		m.mu.Unlock()
		m.stats.ignored.Add(1)
		return
	}
	trs := m.tracker.Observe(o)
	m.mu.Unlock()
	if c, ok := o.BoundContact(); ok && m.opt.OnContact != nil {
		m.opt.OnContact(o.Endpoint, c)
	}
	switch o.Kind {
	case health.KindBlind:
		m.push(op{kind: opOpenBlind, blind: o.Source, at: o.At.UTC()})
	case health.KindSighted:
		m.push(op{kind: opCloseBlind, blind: o.Source, at: o.At.UTC()})
	}
	if (o.Kind == health.KindBlind || o.Kind == health.KindSighted) && m.opt.OnBlindChange != nil {
		m.opt.OnBlindChange()
	}
	for i := range trs {
		trs[i].At = trs[i].At.UTC()
		m.push(op{kind: opTransition, tr: &trs[i]})
		m.opt.Logger.Info().Str("workstation", trs[i].Workstation).Str("from", string(trs[i].From)).
			Str("to", string(trs[i].To)).Str("cause", string(trs[i].Cause)).Time("at", trs[i].At).Msg("transition")
	}
	if len(trs) > 0 {
		m.stats.transitions.Add(int64(len(trs)))
		if m.opt.OnTransitions != nil {
			m.opt.OnTransitions(trs)
		}
	}
}

func (m *Monitor) push(o op) {
	if n := len(m.queue); o.kind == opHeartbeat && n > 0 && m.queue[n-1].kind == opHeartbeat {
		m.queue[n-1] = o // only the latest heartbeat matters
		return
	}
	if len(m.queue) >= m.opt.MaxQueue {
		// Keep the newest: the oldest heartbeat or state is least useful.
		m.opt.Logger.Error().Int("queued", len(m.queue)).Msg("write queue full while Redis is down: dropping the oldest write")
		m.queue = m.queue[1:]
	}
	m.queue = append(m.queue, o)
	m.stats.queued.Store(int64(len(m.queue)))
}

// flush writes the queue in order; on error it keeps what was not written.
func (m *Monitor) flush(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var batch []health.Transition
	perDesk := map[string]int{}
	done := 0
	writeBatch := func() error {
		if len(batch) == 0 {
			return nil
		}
		t0 := time.Now()
		if err := m.opt.Store.Apply(ctx, batch); err != nil {
			return err
		}
		m.writeTime.Observe(time.Since(t0))
		if m.opt.OnPersisted != nil {
			m.opt.OnPersisted(batch)
		}
		done += len(batch)
		batch = batch[:0]
		clear(perDesk)
		return nil
	}
	var err error
	for i := 0; i < len(m.queue); i++ {
		q := m.queue[i]
		if q.kind == opTransition {
			if perDesk[q.tr.Workstation] == m.opt.MaxBatchPerDesk {
				if err = writeBatch(); err != nil {
					break
				}
			}
			perDesk[q.tr.Workstation]++
			batch = append(batch, *q.tr)
			continue
		}
		if err = writeBatch(); err != nil {
			break
		}
		switch q.kind {
		case opHeartbeat:
			err = m.opt.Store.Heartbeat(ctx, q.at)
		case opOpenBlind:
			err = m.opt.Store.OpenBlind(ctx, q.blind, q.at)
		default:
			err = m.opt.Store.CloseBlind(ctx, q.blind, q.at)
		}
		if err != nil {
			break
		}
		done++
	}
	if err == nil {
		err = writeBatch()
	}
	m.queue = m.queue[:copy(m.queue, m.queue[done:])]
	m.stats.queued.Store(int64(len(m.queue)))
	m.setStore(err)
	return err
}

func (m *Monitor) setStore(err error) {
	ok := err == nil
	if m.stats.storeOK.Load() != ok || m.stats.storeSince.Load() == 0 {
		m.stats.storeSince.Store(m.opt.Now().UnixNano())
		if ok {
			m.opt.Logger.Info().Msg("redis writes succeed")
		} else {
			m.opt.Logger.Error().Err(err).Int("queued", len(m.queue)).Msg("redis writes fail: keeping them queued and retrying")
		}
	}
	m.stats.storeOK.Store(ok)
	if !ok {
		m.stats.writeErrors.Add(1)
		m.stats.lastWriteErr.Store(err.Error())
	}
}

// restore reads the open spans so that desks still down continue their span,
// and records the time the daemon was not running as blind.
func (m *Monitor) restore(ctx context.Context, start time.Time) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	last, err := m.opt.Store.LastHeartbeat(ctx)
	if err == nil && !last.IsZero() && last.Before(start) {
		m.push(op{kind: opOpenBlind, blind: health.SourceMonitor, at: last.UTC()})
		m.push(op{kind: opCloseBlind, blind: health.SourceMonitor, at: start})
		m.opt.Logger.Info().Time("from", last).Time("to", start).Msg("monitor was not running: recorded as blind")
	}
	spans, err2 := m.opt.Store.OpenSpans(ctx)
	if err := errors.Join(err, err2); err != nil {
		// The store's idempotent transitions keep spans right without it;
		// only the "since" shown until the first change is lost.
		m.opt.Logger.Warn().Err(err).Msg("could not restore state from redis; continuing")
		m.setStore(err)
		return
	}
	m.mu.Lock()
	for id, s := range spans {
		m.tracker.Restore(id, health.StateDown, s.Cause, s.Start)
	}
	m.mu.Unlock()
	m.opt.Logger.Info().Int("open_spans", len(spans)).Msg("restored open spans")
}

func (m *Monitor) shutdown() {
	now := m.opt.Now().UTC()
	m.queue = append(m.queue, op{kind: opHeartbeat, at: now})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := m.flush(ctx); err != nil {
		m.opt.Logger.Error().Err(err).Int("lost", len(m.queue)).Msg("could not write the last decisions before exit")
	}
}

// Started is closed once Run has restored the state and its loop turns.
func (m *Monitor) Started() <-chan struct{} { return m.started }

// Alive reports whether the loop turned within three heartbeats: it turns
// on every observation and at least every Heartbeat, so a longer silence
// means it is wedged (the watchdog then stops telling systemd it lives).
func (m *Monitor) Alive() bool {
	return time.Since(time.Unix(0, m.turned.Load())) < 3*m.opt.Heartbeat
}

// Views returns copies of every desk's current view.
func (m *Monitor) Views() []health.DeskView {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.tracker.Views()
}

// View returns a copy of one desk's current view.
func (m *Monitor) View(id string) (health.DeskView, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.tracker.View(id)
}

// Blind returns the sources currently blind.
func (m *Monitor) Blind() map[health.Source]time.Time {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.tracker.Blind()
}

// Stats is a snapshot of the loop's counters.
type Stats struct {
	Observations, Transitions, Ignored, WriteErrors, Queued int64
	StoreOK                                                 bool
	StoreSince                                              time.Time
	LastWriteError                                          string
}

// Stats returns the loop's counters; safe from any goroutine.
func (m *Monitor) Stats() Stats {
	return Stats{
		Observations: m.stats.observations.Load(), Transitions: m.stats.transitions.Load(),
		Ignored: m.stats.ignored.Load(), WriteErrors: m.stats.writeErrors.Load(), Queued: m.stats.queued.Load(),
		StoreOK: m.stats.storeOK.Load(), StoreSince: time.Unix(0, m.stats.storeSince.Load()).UTC(),
		LastWriteError: m.stats.lastWriteErr.Load().(string),
	}
}
