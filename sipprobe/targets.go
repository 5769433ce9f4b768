package sipprobe

import (
	"container/heap"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"deskwatch/health"
	"deskwatch/internal/sipua"
)

// TargetOptions override Options for one target. Zero values inherit.
type TargetOptions struct {
	Interval         time.Duration
	Timeout          time.Duration
	MissesBeforeDown int
	AnswersBeforeUp  int
}

// Last is the latest probe of a target, for the API and metrics.
type Last struct {
	At      time.Time // answer received or, for a miss, its deadline; zero: not probed yet
	Alive   bool
	Code    int
	RTT     time.Duration
	Misses  int // consecutive misses so far
	Contact string
	Reason  string
}

type target struct {
	key       string // endpoint, or the PBX URI
	endpoint  string // "" for the PBX
	contact   string
	uri       sip.Uri
	transport string       // UDP, TCP, TLS
	local     string       // local IP towards the target, when Host is not set
	addr      *net.UDPAddr // UDP to an IP: where to; nil: resolve or dial first
	cfg       config
	own       *TargetOptions // SetTarget's options, kept for SetDefaults
	phase     time.Duration
	due       time.Time
	index     int         // in queue
	inflight  atomic.Bool // a probe is running; one at a time per target

	// Outcome, written by record (one probe per target at a time); mu
	// guards it against readers (Results) and RemoveTarget. No global lock
	// per probe: with thousands of probes a second one becomes a convoy.
	mu      sync.Mutex
	removed bool
	h       hysteresis
	last    Last
}

// job is what a probe needs of its target, copied under the lock.
type job struct {
	t                              *target
	key, contact, transport, local string
	uri                            sip.Uri
	addr                           *net.UDPAddr
	cfg                            config
}

// SetTarget starts probing endpoint (e.g. "PJSIP/op122-01") at contactURI,
// or updates its contact and options. The hysteresis state is kept across
// updates. Safe to call at any time, before or during Run.
func (p *Prober) SetTarget(endpoint, contactURI string, o *TargetOptions) error {
	if endpoint == "" {
		return errors.New("sipprobe: empty endpoint")
	}
	u, tp, err := sipua.ParseContact(contactURI)
	if err != nil {
		return err
	}
	local := ""
	if p.host == "" {
		local = sipua.LocalIPFor(u.Host)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	cfg, err := p.cfg.with(o)
	if err != nil {
		return fmt.Errorf("%w (target %s)", err, endpoint)
	}
	t := p.targets[endpoint]
	if t == nil {
		t = &target{key: endpoint, endpoint: endpoint, index: -1}
		p.targets[endpoint] = t
	}
	if o != nil {
		own := *o
		t.own = &own
	} else {
		t.own = nil
	}
	p.schedule(t, cfg)
	t.contact, t.uri, t.transport, t.local, t.addr = contactURI, u, tp, local, udpAddr(u, tp)
	p.nudge()
	return nil
}

// with is c with a target's own options on top (nil: c itself).
func (c config) with(o *TargetOptions) (config, error) {
	if o == nil {
		return c, nil
	}
	if o.Interval != 0 {
		c.interval = o.Interval
		if o.Timeout == 0 && c.timeout >= c.interval {
			c.timeout = c.interval / 2
		}
	}
	if o.Timeout != 0 {
		c.timeout = o.Timeout
	}
	if o.MissesBeforeDown != 0 {
		c.misses = o.MissesBeforeDown
	}
	if o.AnswersBeforeUp != 0 {
		c.answers = o.AnswersBeforeUp
	}
	return c, c.check()
}

// schedule gives t its schedule and queues it, on a new slot if it is new
// or its interval changed. The caller holds p.mu.
func (p *Prober) schedule(t *target, cfg config) {
	if t.index < 0 || t.cfg.interval != cfg.interval {
		t.phase = phaseOf(t.key, cfg.interval)
		t.due = slotAfter(time.Now(), t.phase, cfg.interval)
		if t.index < 0 {
			heap.Push(&p.queue, t)
		} else {
			heap.Fix(&p.queue, t.index)
		}
	}
	t.cfg = cfg
}

// RemoveTarget stops probing endpoint. It emits nothing: the endpoint is
// simply no longer watched by this source.
func (p *Prober) RemoveTarget(endpoint string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.targets[endpoint]; t != nil {
		delete(p.targets, endpoint)
		heap.Remove(&p.queue, t.index)
		t.mu.Lock()
		t.removed = true
		t.mu.Unlock()
	}
}

// Results returns the last probe of every target (At is zero for targets not
// probed yet). The PBX is in PBX.
func (p *Prober) Results() map[string]Last {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]Last, len(p.targets))
	for ep, t := range p.targets {
		t.mu.Lock()
		l := t.last
		t.mu.Unlock()
		if l.Contact == "" {
			l.Contact = t.contact
		}
		out[ep] = l
	}
	return out
}

// Result is Results for one endpoint, without copying every target.
func (p *Prober) Result(endpoint string) (Last, bool) {
	p.mu.Lock()
	t, ok := p.targets[endpoint]
	p.mu.Unlock()
	if !ok {
		return Last{}, false
	}
	t.mu.Lock()
	l := t.last
	if l.Contact == "" {
		l.Contact = t.contact
	}
	t.mu.Unlock()
	return l, true
}

// PBX returns the last probe of the PBX; false if Options.PBX is not set.
func (p *Prober) PBX() (Last, bool) {
	if p.pbx == nil {
		return Last{}, false
	}
	p.pbx.mu.Lock()
	defer p.pbx.mu.Unlock()
	return p.pbx.last, true
}

// record applies one result to its target's hysteresis and queues the
// observation of a state change.
func (p *Prober) record(j job, sent time.Time, r Result) {
	t := j.t
	defer t.inflight.Store(false) // last: the next probe sees this one's state
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.removed {
		return // removed while in flight
	}
	at := p.now()
	if deadline := sent.Add(j.cfg.timeout); !r.Alive && deadline.Before(at) {
		at = deadline
	}
	change := t.h.step(r.Alive, j.cfg.misses, j.cfg.answers)
	t.last = Last{At: at, Alive: r.Alive, Code: r.Code, RTT: r.RTT, Misses: t.h.misses, Contact: j.contact, Reason: r.Reason}
	if change == 0 {
		return
	}
	o := health.Observation{Endpoint: t.endpoint, Source: health.SourceSIP, At: at, Contact: j.contact}
	switch {
	case change > 0:
		o.Kind, o.Code, o.RTT = health.KindProbeOK, r.Code, r.RTT
		o.Detail = "OPTIONS answered: " + r.Reason
		if t.h.answers > 1 {
			o.Detail = fmt.Sprintf("OPTIONS answered %d times in a row: %s", t.h.answers, r.Reason)
		}
		if t == p.pbx {
			o.Kind = health.KindPBXUp
		}
	default:
		o.Kind = health.KindProbeLost
		o.Detail = fmt.Sprintf("no answer to %d OPTIONS in a row (last: %s)", t.h.misses, r.Reason)
		if t == p.pbx {
			o.Kind = health.KindPBXDown
		}
	}
	ev := p.log.Info()
	if change < 0 {
		ev = p.log.Warn()
	}
	ev.Str("endpoint", t.endpoint).Str("contact", j.contact).Str("kind", string(o.Kind)).Str("detail", o.Detail).Msg("SIP probe state changed")
	p.pendMu.Lock()
	p.pending = append(p.pending, o)
	p.pendMu.Unlock()
	p.nudge()
}

// udpAddr is the destination of UDP probes to an IP (default port 5060);
// nil for other transports and host names.
func udpAddr(u sip.Uri, transport string) *net.UDPAddr {
	if transport != "UDP" {
		return nil
	}
	ip := net.ParseIP(strings.Trim(u.Host, "[]"))
	if ip == nil {
		return nil
	}
	return &net.UDPAddr{IP: ip, Port: portOr(u.Port, 5060)}
}
