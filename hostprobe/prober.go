package hostprobe

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"deskwatch/health"
	"deskwatch/internal/probegrid"
)

// Checks.
const (
	CheckICMP = "icmp"
	CheckTCP  = "tcp"
)

// Target is one desk's computer. Zero schedule fields take the Options'.
type Target struct {
	Desk     string
	Host     string
	Check    string // CheckICMP or CheckTCP
	Port     int    // CheckTCP
	Interval time.Duration
	Timeout  time.Duration
	Misses   int
	Answers  int
}

// Options configure a Prober. Zero values take the defaults noted.
type Options struct {
	Logger   zerolog.Logger
	Interval time.Duration // default 10 s
	Timeout  time.Duration // default 2 s, or Interval/2 when shorter
	Misses   int           // default 3
	Answers  int           // default 1
	// MaxInFlight bounds the probes waiting at once. Default 2048.
	MaxInFlight int
	Now         func() time.Time // default time.Now
	// Dial makes TCP checks and Ping ICMP ones of hosts given by name
	// (default net.Dialer, and pro-bing unprivileged); hosts given as IP
	// addresses go through the poller (poller.go) unless these are set.
	// Tests and benchmarks replace them.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	Ping func(ctx context.Context, host string, timeout time.Duration) (time.Duration, error)
}

// Result is a desk's last probe.
type Result struct {
	At     time.Time // when it ended
	Alive  bool
	RTT    time.Duration
	Misses int    // consecutive
	Detail string // e.g. "tcp connect refused"
}

// Stats count the prober's work since New.
type Stats struct {
	Targets                        int
	Sent, Answers, Misses, Skipped uint64
	// Ignored counts echo replies that matched no probe in flight: late
	// (after the probe's timeout), foreign or garbled.
	Ignored  uint64
	InFlight int64
}

// Prober probes the computers. New, then Run once.
type Prober struct {
	opts    Options
	batch   time.Duration // maxBatch, or a tenth of the shortest interval
	targets []*target
	byDesk  map[string]*target

	mu      sync.Mutex // results
	results map[string]Result

	sent, answers, misses, skipped, ignored atomic.Uint64
	inFlight                                atomic.Int64
}

type target struct {
	Target
	phase  time.Duration
	due    time.Time
	index  int
	busy   bool
	state  int8 // 0 unknown, 1 up, -1 down
	streak int  // consecutive answers (>0) or misses (<0)
	poll   bool // probed by the poller, at addr (sa)
	addr   netip.Addr
	sa     unix.Sockaddr
}

type outcome struct {
	t      *target
	alive  bool
	at     time.Time
	rtt    time.Duration
	detail string
}

// New checks the targets and fills in defaults.
func New(opts Options, targets []Target) (*Prober, error) {
	if opts.Interval == 0 {
		opts.Interval = 10 * time.Second
	}
	if opts.Timeout == 0 {
		opts.Timeout = min(2*time.Second, opts.Interval/2)
	}
	if opts.Misses == 0 {
		opts.Misses = 3
	}
	if opts.Answers == 0 {
		opts.Answers = 1
	}
	if opts.MaxInFlight == 0 {
		opts.MaxInFlight = 2048
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	pollTCP, pollICMP := opts.Dial == nil, opts.Ping == nil
	if opts.Dial == nil {
		d := &net.Dialer{}
		opts.Dial = d.DialContext
	}
	if opts.Ping == nil {
		opts.Ping = ping
	}
	p := &Prober{opts: opts, batch: maxBatch, byDesk: map[string]*target{}, results: map[string]Result{}}
	for _, tg := range targets {
		if tg.Interval == 0 {
			tg.Interval = opts.Interval
		}
		if tg.Timeout == 0 {
			tg.Timeout = min(opts.Timeout, tg.Interval/2)
		}
		if tg.Misses == 0 {
			tg.Misses = opts.Misses
		}
		if tg.Answers == 0 {
			tg.Answers = opts.Answers
		}
		switch {
		case tg.Desk == "" || tg.Host == "":
			return nil, fmt.Errorf("hostprobe: a target needs a desk and a host (%+v)", tg)
		case p.byDesk[tg.Desk] != nil:
			return nil, fmt.Errorf("hostprobe: desk %s has two computers", tg.Desk)
		case tg.Check != CheckICMP && tg.Check != CheckTCP:
			return nil, fmt.Errorf("hostprobe: desk %s: unknown check %q", tg.Desk, tg.Check)
		case tg.Check == CheckTCP && (tg.Port < 1 || tg.Port > 65535):
			return nil, fmt.Errorf("hostprobe: desk %s: tcp check needs a port", tg.Desk)
		case tg.Timeout <= 0 || tg.Timeout > tg.Interval:
			return nil, fmt.Errorf("hostprobe: desk %s: timeout %s must be positive and at most the interval %s", tg.Desk, tg.Timeout, tg.Interval)
		}
		p.batch = min(p.batch, tg.Interval/10)
		t := &target{Target: tg, phase: probegrid.Phase(tg.Desk, tg.Interval)}
		if (tg.Check == CheckTCP && pollTCP) || (tg.Check == CheckICMP && pollICMP) {
			t.addr, t.sa, t.poll = pollable(tg.Host, tg.Port)
		}
		p.targets = append(p.targets, t)
		p.byDesk[tg.Desk] = t
	}
	return p, nil
}

// maxBatch: probes due this close after a wake-up leave with it (early,
// never late), and probes whose timeout passed this long ago at most end
// with it (their misses dated at the deadline), so 1,000 probes a second
// cost ~10 wake-ups, not 1,000: each wake-up from idle wakes the Go
// scheduler's threads (sysmon polls for a millisecond after each), which
// costs more than the probes (bench/README.md, issue 11). At most a tenth
// of the shortest interval, so short intervals keep their grid.
const maxBatch = 100 * time.Millisecond

// Run probes until ctx ends, sending the verdicts to out, and returns after
// every probe it started has ended.
func (p *Prober) Run(ctx context.Context, out chan<- health.Observation) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	done := make(chan outcome, p.opts.MaxInFlight)
	// Workers wait for probes: an idle one takes the next (its stack has
	// grown once, for good); a new one starts only while all are busy.
	jobs := make(chan *target)
	workers := 0
	var pending []health.Observation
	take := func(o outcome) {
		if ob, ok := p.record(o); ok {
			pending = append(pending, ob)
		}
	}
	fl, events, err := p.startPoller(ctx, &wg)
	if err != nil {
		return err
	}
	if fl != nil {
		defer func() { // before wg.Wait: it ends the poller's loop
			p.inFlight.Add(-int64(fl.count()))
			fl.close()
		}()
	}
	var q timeHeap[*target]
	now := p.opts.Now()
	for _, t := range p.targets {
		t.due = probegrid.SlotAfter(now, t.phase, t.Interval)
		heap.Push(&q, t)
	}
	expired := p.landed(take)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now = p.opts.Now()
		if fl != nil {
			fl.expire(now, expired)
		}
		for len(q) > 0 && !q[0].due.After(now.Add(p.batch)) {
			t := q[0]
			t.due = probegrid.SlotAfter(later(now, t.due), t.phase, t.Interval)
			heap.Fix(&q, 0)
			if t.busy {
				p.skipped.Add(1)
				continue
			}
			if t.poll {
				if p.inFlight.Load() >= int64(p.opts.MaxInFlight) {
					p.skipped.Add(1)
					continue
				}
				t.busy = true
				p.sent.Add(1)
				if o, failed := fl.start(t); failed {
					take(o)
				} else {
					p.inFlight.Add(1)
				}
				continue
			}
			select {
			case jobs <- t:
			default:
				if workers == p.opts.MaxInFlight {
					p.skipped.Add(1) // MaxInFlight probes already wait
					continue
				}
				workers++
				wg.Go(func() { p.work(ctx, t, jobs, done) })
			}
			t.busy = true
			p.sent.Add(1)
		}
		var send chan<- health.Observation
		var next health.Observation
		if len(pending) > 0 {
			send, next = out, pending[0]
		}
		if wake, ok := p.nextWake(q, fl); ok {
			timer.Reset(wake.Sub(now))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case o := <-done:
			take(o)
		case evs := <-events:
			for _, ev := range evs {
				if o, ok := fl.complete(ev); ok {
					p.inFlight.Add(-1)
					take(o)
				}
			}
			p.ignored.Store(fl.ignored)
		case send <- next:
			pending = pending[1:]
		}
	}
}

// startPoller starts the poller's loop when a target needs it.
func (p *Prober) startPoller(ctx context.Context, wg *sync.WaitGroup) (*flights, chan []pollEvent, error) {
	need := false
	for _, t := range p.targets {
		need = need || t.poll
	}
	if !need {
		return nil, nil, nil
	}
	fl, err := newFlights(p.opts.Now)
	if err != nil {
		return nil, nil, err
	}
	events := make(chan []pollEvent)
	wg.Go(func() { fl.pl.loop(ctx, events) })
	return fl, events, nil
}

// landed counts a probe that left the poller, then takes its outcome.
func (p *Prober) landed(take func(outcome)) func(outcome) {
	return func(o outcome) {
		p.inFlight.Add(-1)
		take(o)
	}
}

// nextWake is when Run must wake: the next probe due, or the next deadline.
func (p *Prober) nextWake(q timeHeap[*target], fl *flights) (time.Time, bool) {
	var wake time.Time
	ok := len(q) > 0
	if ok {
		wake = q[0].due
	}
	if fl != nil {
		if d, in := fl.next(); in && (!ok || d.Add(p.batch).Before(wake)) {
			wake, ok = d.Add(p.batch), true
		}
	}
	return wake, ok
}

// work probes t, then each target handed to it, until ctx ends.
func (p *Prober) work(ctx context.Context, t *target, jobs <-chan *target, done chan<- outcome) {
	for {
		p.inFlight.Add(1)
		done <- p.probe(ctx, t) // room for every worker's outcome
		p.inFlight.Add(-1)
		select {
		case t = <-jobs:
		case <-ctx.Done():
			return
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// probe makes one check of t; it never outlives t's timeout or ctx.
func (p *Prober) probe(ctx context.Context, t *target) outcome {
	start := p.opts.Now()
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	o := outcome{t: t}
	switch t.Check {
	case CheckTCP:
		c, err := p.opts.Dial(ctx, "tcp", net.JoinHostPort(t.Host, strconv.Itoa(t.Port)))
		o.at = p.opts.Now()
		if err == nil {
			c.Close()
			o.alive, o.rtt, o.detail = true, o.at.Sub(start), "tcp connect ok"
		} else {
			o.detail = "tcp connect " + errWord(err)
		}
	default:
		rtt, err := p.opts.Ping(ctx, t.Host, t.Timeout)
		o.at = p.opts.Now()
		if err == nil {
			o.alive, o.rtt, o.detail = true, rtt, "icmp echo reply"
		} else {
			o.detail = "icmp " + errWord(err)
		}
	}
	if !o.alive && o.at.Sub(start) > t.Timeout {
		o.at = start.Add(t.Timeout) // the deadline, not when we noticed it
	}
	return o
}

// errWord names a failed check briefly, for the view and the journal.
func errWord(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, errNoReply):
		return "no reply"
	case isRefused(err):
		return "refused"
	}
	return "error: " + err.Error()
}

// record applies an outcome's hysteresis; ok when the state changed.
func (p *Prober) record(o outcome) (health.Observation, bool) {
	t := o.t
	t.busy = false
	if o.alive {
		p.answers.Add(1)
		t.streak = max(t.streak, 0) + 1
	} else {
		p.misses.Add(1)
		t.streak = min(t.streak, 0) - 1
	}
	p.mu.Lock()
	p.results[t.Desk] = Result{At: o.at, Alive: o.alive, RTT: o.rtt, Misses: max(-t.streak, 0), Detail: o.detail}
	p.mu.Unlock()
	ob := health.Observation{Workstation: t.Desk, Source: health.SourceComputer, At: o.at, RTT: o.rtt, Detail: o.detail, Contact: t.Host}
	switch {
	case o.alive && t.state != 1 && (t.state == 0 || t.streak >= t.Answers):
		t.state, ob.Kind = 1, health.KindComputerUp
	case !o.alive && t.state != -1 && -t.streak >= t.Misses:
		t.state, ob.Kind = -1, health.KindComputerDown
	default:
		return ob, false
	}
	p.opts.Logger.Info().Str("workstation", t.Desk).Str("host", t.Host).Str("kind", string(ob.Kind)).Str("detail", o.detail).Msg("computer")
	return ob, true
}

// Result is a desk's last probe; false before the first.
func (p *Prober) Result(desk string) (Result, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.results[desk]
	return r, ok
}

// Stats are the prober's counters.
func (p *Prober) Stats() Stats {
	return Stats{Targets: len(p.targets), Sent: p.sent.Load(), Answers: p.answers.Load(), Misses: p.misses.Load(),
		Skipped: p.skipped.Load(), Ignored: p.ignored.Load(), InFlight: p.inFlight.Load()}
}
