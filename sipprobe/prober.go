package sipprobe

import (
	"container/heap"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"deskwatch/health"
	"deskwatch/internal/sipua"

	"github.com/emiago/sipgo"
	"github.com/rs/zerolog"
)

// Options configure a Prober. Zero values take the defaults noted.
type Options struct {
	Logger zerolog.Logger
	// Interval between two probes of a target. Default 5 s, at least 1 s.
	Interval time.Duration
	// Timeout: how long a probe waits for its final response; shorter than
	// Interval. Default 2 s, or Interval/2 when that is shorter.
	Timeout time.Duration
	// MissesBeforeDown consecutive misses report a target lost. Default 2.
	MissesBeforeDown int
	// AnswersBeforeUp consecutive answers report a lost target back. Default 1.
	AnswersBeforeUp int
	// PBX is the SIP URI of the PBX, e.g. "sip:127.0.0.1:5060". When set it
	// is probed on the same schedule for KindPBXDown / KindPBXUp.
	PBX string
	// Listen is the local UDP address ("ip:port") that UDP probes leave from
	// and their answers come back to. Default "0.0.0.0:0". TCP and TLS
	// probes use outgoing connections, kept open between probes.
	Listen string
	// Host is written into Via and From. Default: Listen's IP; when that is
	// unspecified, per target the local address that routes to it.
	Host string
	// TLSConfig for sips: and ;transport=tls contacts. Nil: system roots,
	// the contact's host as ServerName.
	TLSConfig *tls.Config
	// FromUser is the user part of From and the User-Agent. Default "deskwatch".
	FromUser string
	// MaxConnecting bounds the probes that dial (TCP, TLS) or resolve a host
	// name at once, each in a goroutine. Default 1024. UDP probes to an IP
	// need no goroutine; probes in flight are at most one per target.
	MaxConnecting int
	Now           func() time.Time // default time.Now; stamps observations
}

// minInterval is the smallest Interval New accepts; tests lower it.
var minInterval = time.Second

const (
	defaultInterval      = 5 * time.Second
	defaultTimeout       = 2 * time.Second
	defaultMaxConnecting = 1024
)

// Prober sends SIP OPTIONS to operator phones (and the PBX) and reports
// their reachability as health.Observations. Create it with New, add targets
// with SetTarget at any time, and call Run once.
type Prober struct {
	opts Options
	log  zerolog.Logger
	cfg  config         // defaults for targets; p.mu guards it (SetDefaults)
	host string         // Via/From host; "" = per target
	conn net.PacketConn // UDP probes leave from here and their answers come back
	port int            // conn's port, for the Via

	ua     *sipgo.UserAgent
	client *sipgo.Client

	waiting waitTable     // probes in flight by Via branch
	timers  timerHeap     // their resends and deadlines
	sem     chan struct{} // one token per probe dialing or resolving
	wake    chan struct{} // nudges Run: targets changed or observations pending
	running atomic.Bool
	closed  sync.Once
	stats   counters

	mu      sync.Mutex // targets, queue and the schedule fields of targets
	targets map[string]*target
	pbx     *target
	queue   queue // targets by due time

	pendMu  sync.Mutex
	pending []health.Observation // state changes not yet taken by Run's consumer
}

type config struct {
	interval, timeout time.Duration
	misses, answers   int
}

// New checks opts, fills in defaults and binds the UDP socket, so that a bad
// address fails here. Run serves the socket and closes it when it returns;
// Close releases it if Run is never called.
func New(opts Options) (*Prober, error) {
	if opts.Interval == 0 {
		opts.Interval = defaultInterval
	}
	if opts.Timeout == 0 {
		opts.Timeout = min(defaultTimeout, opts.Interval/2)
	}
	if opts.MissesBeforeDown == 0 {
		opts.MissesBeforeDown = 2
	}
	if opts.AnswersBeforeUp == 0 {
		opts.AnswersBeforeUp = 1
	}
	if opts.Listen == "" {
		opts.Listen = "0.0.0.0:0"
	}
	if opts.FromUser == "" {
		opts.FromUser = "deskwatch"
	}
	if opts.MaxConnecting == 0 {
		opts.MaxConnecting = defaultMaxConnecting
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg := config{opts.Interval, opts.Timeout, opts.MissesBeforeDown, opts.AnswersBeforeUp}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if opts.MaxConnecting < 0 {
		return nil, fmt.Errorf("sipprobe: MaxConnecting %d is negative", opts.MaxConnecting)
	}
	p := &Prober{
		opts:    opts,
		log:     opts.Logger.With().Str("component", "sipprobe").Logger(),
		cfg:     cfg,
		host:    opts.Host,
		sem:     make(chan struct{}, opts.MaxConnecting),
		wake:    make(chan struct{}, 1),
		targets: make(map[string]*target),
	}
	if opts.PBX != "" {
		u, tp, err := sipua.ParseContact(opts.PBX)
		if err != nil {
			return nil, fmt.Errorf("sipprobe: PBX: %w", err)
		}
		p.pbx = &target{key: opts.PBX, contact: opts.PBX, uri: u, transport: tp, addr: udpAddr(u, tp), cfg: cfg, phase: phaseOf(opts.PBX, cfg.interval)}
	}
	conn, err := net.ListenPacket("udp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("sipprobe: listen %s: %w", opts.Listen, err)
	}
	if uc, ok := conn.(*net.UDPConn); ok {
		_ = uc.SetReadBuffer(4 << 20) // bursts of answers; the kernel caps it at rmem_max
	}
	la := conn.LocalAddr().(*net.UDPAddr)
	p.conn, p.port = conn, la.Port
	if p.host == "" && !la.IP.IsUnspecified() {
		p.host = la.IP.String()
	}
	if err := p.newUA(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sipprobe: %w", err)
	}
	if p.pbx != nil && p.host == "" {
		p.pbx.local = sipua.LocalIPFor(p.pbx.uri.Host)
	}
	return p, nil
}

func (c config) check() error {
	switch {
	case c.interval < minInterval:
		return fmt.Errorf("sipprobe: Interval %s is below the minimum %s", c.interval, minInterval)
	case c.timeout <= 0 || c.timeout >= c.interval:
		return fmt.Errorf("sipprobe: Timeout %s must be positive and shorter than Interval %s", c.timeout, c.interval)
	case c.misses < 1:
		return fmt.Errorf("sipprobe: MissesBeforeDown %d must be at least 1", c.misses)
	case c.answers < 1:
		return fmt.Errorf("sipprobe: AnswersBeforeUp %d must be at least 1", c.answers)
	}
	return nil
}

// LocalAddr is the UDP address probes leave from.
func (p *Prober) LocalAddr() net.Addr { return p.conn.LocalAddr() }

// Close releases the socket and sipgo's transports. Run calls it on return.
func (p *Prober) Close() error {
	var err error
	p.closed.Do(func() {
		p.ua.Close()
		err = p.conn.Close()
	})
	return err
}

// Stats returns the counters.
func (p *Prober) Stats() Stats {
	s := p.stats.snapshot()
	s.InFlight = int(p.waiting.n.Load())
	p.mu.Lock()
	s.Targets = len(p.targets)
	p.mu.Unlock()
	return s
}

// Run probes until ctx is done, then returns nil. Only state changes are
// sent to out (see the package doc); a slow consumer never delays probes:
// observations queue up in order until out takes them.
func (p *Prober) Run(ctx context.Context, out chan<- health.Observation) error {
	if !p.running.CompareAndSwap(false, true) {
		return errRunTwice
	}
	ctx, cancel := context.WithCancel(ctx)
	var probes sync.WaitGroup
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := p.ua.TransportLayer().ServeUDP(p.conn); err != nil {
			p.log.Error().Err(err).Msg("SIP socket stopped")
		}
	}()
	defer func() {
		cancel()
		probes.Wait()
		p.Close()
		<-served
	}()
	if !sipua.WaitServing(ctx, p.ua, p.conn) {
		return nil
	}
	p.mu.Lock()
	p.log.Info().Str("listen", p.conn.LocalAddr().String()).Dur("interval", p.cfg.interval).
		Dur("timeout", p.cfg.timeout).Int("misses_before_down", p.cfg.misses).Int("answers_before_up", p.cfg.answers).
		Msg("SIP probes started")
	now := time.Now()
	for _, t := range p.queue {
		t.due = slotAfter(now, t.phase, t.cfg.interval) // no burst of overdue targets added before Run
	}
	heap.Init(&p.queue)
	if p.pbx != nil {
		p.pbx.due = slotAfter(now, p.pbx.phase, p.pbx.cfg.interval)
	}
	p.mu.Unlock()

	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		now := time.Now()
		jobs, wait := p.takeDue(now)
		for _, j := range jobs {
			if j.addr != nil {
				p.startUDP(j)
				continue
			}
			select {
			case p.sem <- struct{}{}:
			default: // as many dials as allowed hang already: never wait for them here
				p.stats.skipped.Add(1)
				j.t.inflight.Store(false)
				continue
			}
			probes.Go(func() {
				defer func() { <-p.sem }()
				p.startSlow(ctx, j)
			})
		}
		wait = min(wait, p.expire(time.Now()))
		timer.Reset(wait)
		var send chan<- health.Observation
		var next health.Observation
		p.pendMu.Lock()
		if len(p.pending) > 0 {
			send, next = out, p.pending[0]
		}
		p.pendMu.Unlock()
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-p.wake:
		case send <- next:
			p.pendMu.Lock()
			p.pending[0] = health.Observation{}
			p.pending = p.pending[1:]
			p.pendMu.Unlock()
		}
	}
}

// takeDue marks the targets due at now as in flight, moves them to their
// next slot, and says how long to wait for the next one.
func (p *Prober) takeDue(now time.Time) ([]job, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var jobs []job
	take := func(t *target) {
		if t.inflight.Load() {
			p.stats.skipped.Add(1)
		} else {
			t.inflight.Store(true)
			jobs = append(jobs, job{t: t, key: t.key, contact: t.contact, transport: t.transport, local: t.local, uri: t.uri, addr: t.addr, cfg: t.cfg})
		}
		next := slotAfter(now, t.phase, t.cfg.interval)
		if missed := int64(next.Sub(t.due)/t.cfg.interval) - 1; missed > 0 {
			p.stats.skipped.Add(uint64(missed))
		}
		t.due = next
	}
	for len(p.queue) > 0 && !p.queue[0].due.After(now) {
		take(p.queue[0])
		heap.Fix(&p.queue, 0)
	}
	wait := time.Hour
	if len(p.queue) > 0 {
		wait = p.queue[0].due.Sub(now)
	}
	if p.pbx != nil {
		if !p.pbx.due.After(now) {
			take(p.pbx)
		}
		wait = min(wait, p.pbx.due.Sub(now))
	}
	return jobs, wait
}

func (p *Prober) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Prober) now() time.Time { return p.opts.Now().UTC() }
