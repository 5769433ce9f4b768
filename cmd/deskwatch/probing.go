package main

import (
	"context"
	"strconv"
	"sync"

	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/httpapi"
	"deskwatch/sipprobe"
)

// probing runs deskwatch's own SIP probes: it learns each endpoint's
// contact from the ARI evidence passing to the monitor (unless the config
// fixes it) and feeds the prober's verdicts to the monitor too.
type probing struct {
	p      *sipprobe.Prober
	static map[string]string
	log    zerolog.Logger

	mu      sync.RWMutex
	targets map[string]string // endpoint → contact probed
}

func newProbing(cfg *config.Config, log zerolog.Logger) (*probing, error) {
	s := cfg.SIP
	p, err := sipprobe.New(sipprobe.Options{Logger: log, Interval: s.Interval, Timeout: s.Timeout,
		MissesBeforeDown: s.Misses, AnswersBeforeUp: s.Answers, PBX: s.PBX, Listen: s.Listen})
	if err != nil {
		return nil, err
	}
	pr := &probing{p: p, static: s.Contacts, log: log, targets: map[string]string{}}
	for ep, uri := range s.Contacts {
		pr.set(ep, uri)
	}
	return pr, nil
}

func (pr *probing) set(ep, uri string) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.targets[ep] == uri {
		return
	}
	if err := pr.p.SetTarget(ep, uri, nil); err != nil {
		pr.log.Warn().Err(err).Str("endpoint", ep).Str("contact", uri).Msg("cannot probe this contact")
		return
	}
	pr.targets[ep] = uri
}

// learn takes the contact an ARI observation names.
func (pr *probing) learn(o health.Observation) {
	if o.Source != health.SourceARI || o.Contact == "" {
		return
	}
	if o.Kind != health.KindContactAvailable && o.Kind != health.KindContactUnreachable {
		return
	}
	if _, fixed := pr.static[o.Endpoint]; !fixed {
		pr.set(o.Endpoint, o.Contact)
	}
}

// contact takes a contact read from the AOR (nil-safe, for the audit).
func (pr *probing) contact(ep, uri string) {
	if pr == nil {
		return
	}
	if _, fixed := pr.static[ep]; !fixed {
		pr.set(ep, uri)
	}
}

// probed reports whether an endpoint is probed (for the qualify audit).
func (pr *probing) probed(ep string) bool {
	if pr == nil {
		return false
	}
	pr.mu.RLock()
	defer pr.mu.RUnlock()
	_, ok := pr.targets[ep]
	return ok
}

// tee passes ARI observations to the monitor, learning contacts on the way.
func (pr *probing) tee(ctx context.Context, in <-chan health.Observation, out chan<- health.Observation) {
	for {
		select {
		case <-ctx.Done():
			return
		case o := <-in:
			pr.learn(o)
			select {
			case out <- o:
			case <-ctx.Done():
				return
			}
		}
	}
}

// results is the last probe of each endpoint, for the API.
func (pr *probing) results() map[string]httpapi.ProbeResult {
	if pr == nil {
		return nil
	}
	rs := pr.p.Results()
	out := make(map[string]httpapi.ProbeResult, len(rs))
	for ep, l := range rs {
		if !l.At.IsZero() {
			out[ep] = httpapi.ProbeResult{At: l.At, Alive: l.Alive, Code: l.Code, RTT: l.RTT, Misses: l.Misses}
		}
	}
	return out
}

func (pr *probing) metrics() []httpapi.Metric {
	if pr == nil {
		return nil
	}
	s := pr.p.Stats()
	c := func(name, help string, v uint64) httpapi.Metric {
		return httpapi.Metric{Name: name, Help: help, Type: "counter", Value: float64(v)}
	}
	out := []httpapi.Metric{
		{Name: "deskwatch_sip_targets", Help: "Contacts probed with OPTIONS.", Type: "gauge", Value: float64(s.Targets)},
		c("deskwatch_sip_probes_total", "OPTIONS probes sent.", s.Sent),
		c("deskwatch_sip_answers_total", "Probes answered with a final response.", s.Answers),
		c("deskwatch_sip_timeouts_total", "Probes not answered in time.", s.Timeouts),
		c("deskwatch_sip_errors_total", "Probes failed on transport errors.", s.Errors),
		c("deskwatch_sip_stray_total", "Packets on the probe port that answered no probe.", s.Stray),
	}
	const h = "deskwatch_sip_probe_rtt_seconds"
	for _, b := range s.RTT.Buckets() {
		out = append(out, httpapi.Metric{Name: h + "_bucket", Help: "Round trip of answered probes.", Type: "histogram",
			Labels: map[string]string{"le": strconv.FormatFloat(b.Le, 'g', -1, 64)}, Value: float64(b.Count)})
	}
	out = append(out,
		httpapi.Metric{Name: h + "_sum", Help: "Round trip of answered probes.", Type: "histogram", Value: s.RTT.Sum.Seconds()},
		httpapi.Metric{Name: h + "_count", Help: "Round trip of answered probes.", Type: "histogram", Value: float64(s.RTT.Count)})
	return out
}
