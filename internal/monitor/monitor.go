// Package monitor is deskwatch's loop: it takes observations from the
// sources, feeds the pure tracker, and persists what it decides. It owns the
// tracker; readers get copies of its views.
//
// Every write (transition, blind interval, heartbeat) goes to a backlog
// before anything outside the loop can see the decision, and leaves it only
// when Redis has it. With Options.SpoolDir the backlog is the spool (package
// spool): handed to the kernel at the end of each batch of observations, so
// a killed process loses no decision, and fsynced within 100 ms, so a power
// loss loses at most that; the next start replays it. While Redis is away
// the loop keeps taking evidence (its own goroutine writes to Redis, so a
// frozen Redis never holds the loop) and the writes wait in order; a full
// spool keeps them in memory and says so (Warnings, metrics, log). Without a
// spool they wait in memory only. Nothing is dropped: a write the store
// refuses as invalid goes to the dead letters instead of blocking the rest.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/spool"
	"deskwatch/metrics"
	"deskwatch/store"
)

// Store is what the monitor needs of persistence.
type Store interface {
	Apply(ctx context.Context, trs []health.Transition) error
	OpenSpans(ctx context.Context) (map[string]health.Span, error)
	OpenBlind(ctx context.Context, src health.Source, at time.Time) error
	CloseBlind(ctx context.Context, src health.Source, at time.Time) error
	Heartbeat(ctx context.Context, at time.Time) error
	LastHeartbeat(ctx context.Context) (time.Time, error)
	AddDeadLetter(ctx context.Context, d store.DeadLetter) error
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
	// MaxQueue is ignored: nothing is dropped any more (the spool bounds
	// the disk, SpoolMaxBytes). Kept for callers that still set it.
	MaxQueue int
	// MaxBatchPerDesk caps one desk's transitions in a Store.Apply batch
	// (default 64, store.MaxBatchPerDesk): a batch retried after a partial
	// write is then all within the store's memory of applied transitions.
	MaxBatchPerDesk int
	// SpoolDir is where decisions wait for Redis on disk (the daemon's
	// state_dir/spool). Empty: in memory only, lost with the process.
	SpoolDir string
	// SpoolMaxBytes bounds the spool (default 1 GiB).
	SpoolMaxBytes int64
	// MaxSkew: an observation dated further than this from its receipt
	// (ARI events carry the PBX's clock) is dated by its receipt (default 2 s).
	MaxSkew time.Duration
	// OnTransitions, if set, is called from the loop after transitions are
	// decided and spooled (before they reach Redis): live updates for the API.
	OnTransitions func([]health.Transition)
	// OnBlindChange, if set, is called from the loop when a source goes
	// blind or sees again (every desk's view changes).
	OnBlindChange func()
	// OnContact, if set, is called from the loop with each contact Asterisk
	// says is bound to a configured endpoint (Observation.BoundContact): the
	// SIP probes learn where to look from the evidence itself, with no
	// goroutine between ARI and the loop. It must not block the loop.
	OnContact func(endpoint, contact string)
	// OnPersisted, if set, is called with each batch of transitions once
	// Redis has it, in order, from the one goroutine that writes to Redis
	// (benchmarks measure latency with it).
	OnPersisted func([]health.Transition)
}

// notice is what is owed for the batch being decided (a log line, a
// callback): given after the batch is spooled, in order.
type notice struct {
	trs               []health.Transition
	blind             bool
	endpoint, contact string
}

// batchMax is how many waiting observations one loop turn decides.
const batchMax = 1024

// Monitor runs the loop.
type Monitor struct {
	opt     Options
	in      chan health.Observation
	mu      sync.RWMutex // guards tracker
	tracker *health.Tracker
	backlog backlog
	sp      atomic.Pointer[spool.Spool] // nil without SpoolDir; read by Metrics from any goroutine
	// turned is when the loop last turned (unix ns, real clock), at least
	// every Heartbeat: the watchdog's proof that the loop is not wedged.
	turned  atomic.Int64
	started chan struct{} // closed when the loop first turns

	writeTime *metrics.Histogram // how long Redis takes to apply a batch
	notices   []notice
	status    *status

	syncErrorsSeen uint64 // the spool's failed fsyncs already warned of
	stats          struct {
		observations, transitions, ignored, writeErrors atomic.Int64
		queued, skewed, deadLetters                     atomic.Int64
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
	if opt.MaxSkew <= 0 {
		opt.MaxSkew = 2 * time.Second
	}
	if opt.MaxBatchPerDesk <= 0 {
		opt.MaxBatchPerDesk = store.MaxBatchPerDesk
	}
	m := &Monitor{opt: opt, in: make(chan health.Observation, 4096), tracker: health.NewTracker(opt.Workstations),
		backlog: &memBacklog{}, status: &status{now: opt.Now},
		writeTime: metrics.NewHistogram(metrics.LatencyBounds...), started: make(chan struct{})}
	m.stats.lastWriteErr.Store("")
	return m
}

// Input is where sources send observations. Sends block when the loop is
// behind: evidence is never dropped.
func (m *Monitor) Input() chan<- health.Observation { return m.in }

// Run opens the spool, replays it, restores state, then processes
// observations until ctx ends. It writes a last heartbeat on the way out so
// that the next start knows when the monitor stopped looking. It fails only
// if the spool cannot be opened (e.g. a corrupt record: see package spool).
func (m *Monitor) Run(ctx context.Context) error {
	start := m.opt.Now().UTC()
	if m.opt.SpoolDir != "" {
		sp, err := spool.Open(spool.Options{Dir: m.opt.SpoolDir, MaxBytes: m.opt.SpoolMaxBytes, Logger: m.opt.Logger})
		if err != nil {
			return err
		}
		m.sp.Store(sp)
		m.backlog = &spoolBacklog{sp: sp, log: m.opt.Logger, st: m.status}
		// The flusher outlives the loop's last writes (shutdown) and stops
		// before the final sync (Close).
		fctx, stopFlusher := context.WithCancel(context.WithoutCancel(ctx))
		flushed := make(chan struct{})
		go func() { defer close(flushed); sp.Run(fctx) }()
		defer func() {
			stopFlusher()
			<-flushed
			if err := sp.Close(); err != nil {
				m.opt.Logger.Error().Err(err).Msg("spool: close")
			}
		}()
	}
	if err := m.restore(ctx, start); err != nil {
		return err
	}
	// Until the ARI source reports its first snapshot, nothing is seen.
	m.take(health.Observation{Source: health.SourceARI, Kind: health.KindBlind, At: start})
	m.notify()

	kick := make(chan struct{}, 1)
	written := make(chan struct{})
	go func() { defer close(written); m.writer(ctx, kick) }()
	hb := time.NewTicker(m.opt.Heartbeat)
	defer hb.Stop()
	close(m.started)
	for {
		m.turned.Store(time.Now().UnixNano())
		select {
		case <-ctx.Done():
			<-written
			m.shutdown()
			return nil
		case o := <-m.in:
			m.take(o)
			m.notify() // at once: the views show the batch already
		case <-hb.C:
			m.push(op{kind: opHeartbeat, at: m.opt.Now().UTC()})
			m.commit()
		}
		m.stats.queued.Store(m.backlog.len())
		select {
		case kick <- struct{}{}:
		default:
		}
	}
}

// writer sends the backlog to Redis in order, apart from the loop: a
// frozen Redis holds up the record, never the evidence. It retries with
// backoff, and at once when the loop has more; it stops when ctx ends.
func (m *Monitor) writer(ctx context.Context, kick <-chan struct{}) {
	retry := time.NewTimer(0) // replay what the spool holds at once
	defer retry.Stop()
	backoff := m.opt.RetryMin
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-retry.C:
		}
		if m.backlog.len() == 0 {
			continue
		}
		more, err := m.flush(ctx)
		if ctx.Err() != nil {
			return
		}
		var rerr errSpoolRead
		if errors.As(err, &rerr) {
			m.opt.Logger.Error().Err(err).Msg("spool: cannot read the waiting writes back; retrying")
		} else {
			m.setStore(err)
		}
		m.stats.queued.Store(m.backlog.len())
		switch {
		case err != nil:
			retry.Reset(backoff)
			backoff = min(2*backoff, m.opt.RetryMax)
		case more:
			backoff = m.opt.RetryMin
			retry.Reset(0)
		default:
			backoff = m.opt.RetryMin
		}
	}
}

// take decides o and the observations already waiting, then spools the
// writes before the views show the decisions: a decision anyone saw
// survives a crash.
func (m *Monitor) take(o health.Observation) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.decide(o)
	for range batchMax {
		select {
		case o = <-m.in:
			m.decide(o)
			continue
		default:
		}
		break
	}
	m.commit()
}

func (m *Monitor) decide(o health.Observation) {
	m.stats.observations.Add(1)
	if o.Endpoint != "" && !m.tracker.Known(o.Endpoint) {
		m.stats.ignored.Add(1)
		return
	}
	if dated, skewed := o.Dated(m.opt.MaxSkew); skewed {
		m.skewed(o)
		o = dated
	}
	// The store keeps milliseconds (as ARI stamps them); deciding on the
	// same precision keeps the live view and the record identical.
	o.At = o.At.UTC().Truncate(time.Millisecond)
	trs := m.tracker.Observe(o)
	if c, ok := o.BoundContact(); ok && m.opt.OnContact != nil {
		m.notices = append(m.notices, notice{endpoint: o.Endpoint, contact: c})
	}
	switch o.Kind {
	case health.KindBlind:
		m.push(op{kind: opOpenBlind, blind: o.Source, at: o.At})
	case health.KindSighted:
		m.push(op{kind: opCloseBlind, blind: o.Source, at: o.At})
	}
	if (o.Kind == health.KindBlind || o.Kind == health.KindSighted) && m.opt.OnBlindChange != nil {
		m.notices = append(m.notices, notice{blind: true})
	}
	for i := range trs {
		trs[i].At = trs[i].At.UTC()
		m.push(op{kind: opTransition, tr: &trs[i], at: trs[i].At})
	}
	if len(trs) > 0 {
		m.stats.transitions.Add(int64(len(trs)))
		m.notices = append(m.notices, notice{trs: trs})
	}
}

// skewed counts an observation whose source's clock is off, and says so
// once per episode (every one at debug).
func (m *Monitor) skewed(o health.Observation) {
	m.stats.skewed.Add(1)
	detail := fmt.Sprintf("%s %s dated %s, received %s", o.Endpoint, o.Kind,
		o.At.UTC().Format(time.RFC3339Nano), o.Received.UTC().Format(time.RFC3339Nano))
	ev := m.opt.Logger.Debug()
	if ws := m.status.warnings(); !hasCode(ws, WarnClockSkew) {
		ev = m.opt.Logger.Warn()
	}
	ev.Str("endpoint", o.Endpoint).Time("dated", o.At).Time("received", o.Received).Dur("max_skew", m.opt.MaxSkew).
		Msg("ARI event dated too far from its receipt (is the PBX's clock off?): dated by its receipt")
	m.status.note(&m.status.skew, WarnClockSkew, detail)
}

func hasCode(ws []Warning, code string) bool {
	for _, w := range ws {
		if w.Code == code {
			return true
		}
	}
	return false
}

func (m *Monitor) push(o op) { m.backlog.add(o) }

func (m *Monitor) unspooled() int64 { n, _ := m.status.unspooledState(); return n }

// commit makes the batch's writes durable as far as the backlog can, and
// notes failed fsyncs of the spool for the warnings.
func (m *Monitor) commit() {
	m.backlog.commit()
	sp := m.sp.Load()
	if sp == nil {
		return
	}
	if st := sp.Stats(); st.SyncErrors > m.syncErrorsSeen {
		m.syncErrorsSeen = st.SyncErrors
		m.status.spoolFailed(errors.New("fsync: " + st.LastSyncError))
	}
}

// notify logs the batch's transitions and makes the callbacks owed for
// it, in order, outside the tracker's lock.
func (m *Monitor) notify() {
	for _, n := range m.notices {
		switch {
		case n.trs != nil:
			for _, t := range n.trs {
				m.opt.Logger.Info().Str("workstation", t.Workstation).Str("from", string(t.From)).
					Str("to", string(t.To)).Str("cause", string(t.Cause)).Time("at", t.At).Msg("transition")
			}
			if m.opt.OnTransitions != nil {
				m.opt.OnTransitions(n.trs)
			}
		case n.blind:
			m.opt.OnBlindChange()
		default:
			m.opt.OnContact(n.endpoint, n.contact)
		}
	}
	clear(m.notices)
	m.notices = m.notices[:0]
}

// restore reads the open spans so that desks still down continue their
// span, applies on top what the spool holds (decisions Redis has not seen),
// and records the time the daemon was not running as blind.
func (m *Monitor) restore(ctx context.Context, start time.Time) error {
	spooledHB, spooled, n, err := m.backlog.replayed()
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if n > 0 {
		m.opt.Logger.Warn().Int("writes", n).Msg("spool: writes from before the restart are replayed to redis")
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	last, err := m.opt.Store.LastHeartbeat(ctx)
	if spooledHB.After(last) {
		last = spooledHB
	}
	if !last.IsZero() && last.Before(start) {
		m.push(op{kind: opOpenBlind, blind: health.SourceMonitor, at: last.UTC()})
		m.push(op{kind: opCloseBlind, blind: health.SourceMonitor, at: start})
		m.opt.Logger.Info().Time("from", last).Time("to", start).Msg("monitor was not running: recorded as blind")
	}
	// The next start's gap begins here at the latest, even if this run
	// dies before its first periodic heartbeat.
	m.push(op{kind: opHeartbeat, at: start})
	spans, err2 := m.opt.Store.OpenSpans(ctx)
	m.mu.Lock()
	for id, s := range spans {
		m.tracker.Restore(id, health.StateDown, s.Cause, s.Start)
	}
	for id, t := range spooled {
		if s, ok := spans[id]; ok && s.Start.After(t.At) {
			continue // overtaken: another instance (ha) recorded a later span
		}
		m.tracker.Restore(id, t.To, t.Cause, t.At)
	}
	m.mu.Unlock()
	if err := errors.Join(err, err2); err != nil {
		// The store's idempotent transitions keep spans right without it;
		// only the "since" shown until the first change is lost.
		m.opt.Logger.Warn().Err(err).Msg("could not restore state from redis; continuing")
		m.setStore(err)
		return nil
	}
	m.opt.Logger.Info().Int("open_spans", len(spans)).Int("spooled_desks", len(spooled)).Msg("restored open spans")
	return nil
}

func (m *Monitor) shutdown() {
	m.push(op{kind: opHeartbeat, at: m.opt.Now().UTC()})
	m.commit()
	m.notify()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var err error
	for more := true; more && err == nil; {
		more, err = m.flush(ctx)
	}
	left := m.backlog.len()
	m.stats.queued.Store(left)
	switch {
	case left == 0:
	case m.sp.Load() != nil && m.unspooled() == 0:
		m.opt.Logger.Warn().Err(err).Int64("spooled", left).Msg("redis did not take the last writes: they wait in the spool for the next start")
	default:
		m.opt.Logger.Error().Err(err).Int64("lost", left).Msg("could not write the last decisions before exit")
	}
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
	// ClockSkew: observations dated by their receipt (MaxSkew).
	ClockSkew int64
	// DeadLetters: writes refused as invalid and set aside.
	DeadLetters int64
	// SpoolFull: the spool takes no more decisions; Unspooled of them wait
	// in memory only.
	SpoolFull bool
	Unspooled int64
}

// Stats returns the loop's counters; safe from any goroutine.
func (m *Monitor) Stats() Stats {
	unspooled, full := m.status.unspooledState()
	return Stats{
		Observations: m.stats.observations.Load(), Transitions: m.stats.transitions.Load(),
		Ignored: m.stats.ignored.Load(), WriteErrors: m.stats.writeErrors.Load(), Queued: m.stats.queued.Load(),
		StoreOK: m.stats.storeOK.Load(), StoreSince: time.Unix(0, m.stats.storeSince.Load()).UTC(),
		LastWriteError: m.stats.lastWriteErr.Load().(string),
		ClockSkew:      m.stats.skewed.Load(), DeadLetters: m.stats.deadLetters.Load(),
		SpoolFull: full, Unspooled: unspooled,
	}
}
