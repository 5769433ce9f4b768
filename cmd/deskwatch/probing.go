package main

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/httpapi"
	"deskwatch/sipcanary"
	"deskwatch/sipprobe"
)

// probing runs deskwatch's own SIP probes: it learns each endpoint's
// contact from the monitor (OnContact: the contacts ARI's events and the
// AORs name, unless the config fixes it) and feeds the prober's verdicts to
// the monitor. With sip.canary it also keeps deskwatch's own account
// registered on the PBX.
type probing struct {
	p      *sipprobe.Prober
	canary *sipcanary.Canary // nil without sip.canary
	log    zerolog.Logger

	mu      sync.RWMutex                       // guards the maps, which a reload replaces
	static  map[string]string                  // endpoint → contact fixed by sip.contacts
	own     map[string]*sipprobe.TargetOptions // endpoint → its desk's own schedule
	targets map[string]string                  // endpoint → contact probed
}

func newProbing(cfg *config.Config, log zerolog.Logger) (*probing, error) {
	s := cfg.SIP
	p, err := sipprobe.New(sipprobe.Options{Logger: log, Interval: s.Interval, Timeout: s.Timeout,
		MissesBeforeDown: s.Misses, AnswersBeforeUp: s.Answers, PBX: s.PBX, Listen: s.Listen})
	if err != nil {
		return nil, err
	}
	pr := &probing{p: p, static: s.Contacts, log: log, targets: map[string]string{}, own: ownSchedules(cfg)}
	if s.Canary != nil {
		if pr.canary, err = newCanary(cfg, log); err != nil {
			p.Close()
			return nil, err
		}
	}
	for ep, uri := range s.Contacts {
		pr.set(ep, uri)
	}
	return pr, nil
}

// newCanary registers from sip.listen's IP, on a port of its own.
func newCanary(cfg *config.Config, log zerolog.Logger) (*sipcanary.Canary, error) {
	k := cfg.SIP.Canary
	pw, err := cfg.CanaryPassword()
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(cfg.SIP.Listen)
	if err != nil {
		return nil, fmt.Errorf("canary: sip.listen: %w", err)
	}
	c, err := sipcanary.New(sipcanary.Options{Registrar: k.Registrar, User: k.User, Password: pw,
		Domain: k.Domain, Expires: k.Expires, Listen: net.JoinHostPort(host, "0"), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("canary: %w", err)
	}
	return c, nil
}

// healthz adds the canary's registration to /healthz: not registered means
// the registrar is broken, so the status is degraded.
func (pr *probing) healthz(m map[string]any) {
	if pr == nil || pr.canary == nil {
		return
	}
	s := pr.canary.Status()
	var since any // null until the first attempt ends
	if !s.Since.IsZero() {
		since = s.Since.UTC().Format(time.RFC3339Nano)
	}
	c := map[string]any{"registered": s.Registered, "since": since, "last_code": s.LastCode, "failures": s.Failures}
	if s.LastError != "" {
		c["last_error"] = s.LastError
	}
	m["canary"] = c
	if !s.Registered {
		m["status"] = "degraded"
	}
}

func (pr *probing) set(ep, uri string) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.targets[ep] == uri {
		return
	}
	if err := pr.p.SetTarget(ep, uri, pr.own[ep]); err != nil {
		pr.log.Warn().Err(err).Str("endpoint", ep).Str("contact", uri).Msg("cannot probe this contact")
		return
	}
	pr.targets[ep] = uri
}

// contact takes a contact Asterisk binds to an endpoint: the monitor's
// OnContact, called from its loop (nil-safe). SetTarget never waits for the
// prober's Run, which queues its verdicts, so the loop cannot deadlock.
func (pr *probing) contact(ep, uri string) {
	if pr == nil {
		return
	}
	pr.mu.RLock()
	_, fixed := pr.static[ep]
	pr.mu.RUnlock()
	if !fixed {
		pr.set(ep, uri)
	}
}

// probed reports whether an endpoint is probed (for the qualify check).
func (pr *probing) probed(ep string) bool {
	if pr == nil {
		return false
	}
	pr.mu.RLock()
	defer pr.mu.RUnlock()
	_, ok := pr.targets[ep]
	return ok
}

// result is an endpoint's last probe, for the API (nil-safe).
func (pr *probing) result(ep string) (httpapi.ProbeResult, bool) {
	if pr == nil {
		return httpapi.ProbeResult{}, false
	}
	l, ok := pr.p.Result(ep)
	if !ok || l.At.IsZero() {
		return httpapi.ProbeResult{}, false
	}
	return httpapi.ProbeResult{At: l.At, Alive: l.Alive, Code: l.Code, RTT: l.RTT, Misses: l.Misses}, true
}
