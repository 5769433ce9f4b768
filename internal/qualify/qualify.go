// Package qualify warns about what makes outages invisible in the PBX's
// configuration: an operator AOR with qualify off (qualify_frequency=0, the
// Asterisk default) lets a phone that lost power look registered until its
// registration expires (3600 s by default), unless deskwatch's own SIP
// probes watch it. It only warns; the AORs' contacts reach the probes as
// observations from package ari.
package qualify

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/ari"
)

// AORReader reads a PJSIP AOR's dynamic configuration (ari.Client does).
type AORReader interface {
	AORConfig(ctx context.Context, id string) (map[string]string, error)
}

// Warning codes, shown in the API and logs.
const (
	QualifyOff = "qualify_off" // AOR qualify_frequency=0 and no SIP probe of ours
	AORMissing = "aor_missing" // no AOR of that name on the PBX
)

// Finding is what was read for one endpoint's AOR.
type Finding struct {
	Endpoint         string
	AOR              string
	QualifyFrequency int // seconds; -1 unknown
	Err              error
	At               time.Time
}

// Options configure a Checker.
type Options struct {
	Reader AORReader
	// Endpoints maps endpoint id ("PJSIP/op122-01") to its desk id. The AOR
	// is taken to have the endpoint's resource name (the usual layout).
	Endpoints map[string]string
	// Probed reports whether deskwatch's own probes watch an endpoint.
	Probed  func(endpoint string) bool
	Ready   func() bool   // ARI connected
	Every   time.Duration // re-check period; default 1 h
	Logger  zerolog.Logger
	Now     func() time.Time
	Workers int // concurrent REST reads; default 8
}

// Checker re-reads the AORs when ARI is up and on a period.
type Checker struct {
	opt       Options
	mu        sync.RWMutex
	endpoints map[string]string  // Options.Endpoints, replaced by SetEndpoints
	findings  map[string]Finding // only the ones that may warn: Warnings runs per API request
	recheck   chan struct{}      // SetEndpoints asks Run for a check now
}

// New builds a Checker.
func New(opt Options) *Checker {
	if opt.Every <= 0 {
		opt.Every = time.Hour
	}
	if opt.Workers <= 0 {
		opt.Workers = 8
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Probed == nil {
		opt.Probed = func(string) bool { return false }
	}
	return &Checker{opt: opt, endpoints: opt.Endpoints, findings: map[string]Finding{}, recheck: make(chan struct{}, 1)}
}

// Run checks once ARI is ready, then every opt.Every, until ctx ends.
func (c *Checker) Run(ctx context.Context) {
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	var last time.Time
	for {
		if (c.opt.Ready == nil || c.opt.Ready()) && (last.IsZero() || time.Since(last) >= c.opt.Every) {
			c.Check(ctx)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		case <-c.recheck:
			last = time.Time{}
		}
	}
}

// Check reads every endpoint's AOR now and logs what deserves a warning.
func (c *Checker) Check(ctx context.Context) {
	type job struct{ ep, aor string }
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range c.opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				f := Finding{Endpoint: j.ep, AOR: j.aor, QualifyFrequency: -1, At: c.opt.Now().UTC()}
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				m, err := c.opt.Reader.AORConfig(cctx, j.aor)
				cancel()
				if err != nil {
					f.Err = err
				} else {
					if q, err := strconv.ParseFloat(m["qualify_frequency"], 64); err == nil {
						f.QualifyFrequency = int(q)
					}
				}
				c.keep(f)
			}
		}()
	}
	c.mu.RLock()
	endpoints := c.endpoints
	c.mu.RUnlock()
	for ep := range endpoints {
		_, res, _ := strings.Cut(ep, "/")
		select {
		case jobs <- job{ep, res}:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	for ep, ws := range c.Warnings() {
		for _, w := range ws {
			c.opt.Logger.Warn().Str("workstation", ep).Str("warning", w).Msg(describe(w))
		}
	}
}

func describe(w string) string {
	switch w {
	case QualifyOff:
		return "qualify is off on this operator's AOR and deskwatch does not probe it: a dead phone stays 'registered' until its registration expires; set qualify_frequency (e.g. 5) in pjsip.conf or enable sip probes"
	case AORMissing:
		return "no AOR with the endpoint's name on the PBX: qualify cannot be checked"
	}
	return w
}

// keep records a finding if it may warn and forgets the endpoint's old
// one if it cannot; a passing failure (not a 404) keeps what was known.
func (c *Checker) keep(f Finding) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.endpoints[f.Endpoint]; !ok {
		return // removed by a reload while its check ran
	}
	switch {
	case errors.Is(f.Err, ari.ErrNotFound), f.Err == nil && f.QualifyFrequency == 0:
		c.findings[f.Endpoint] = f
	case f.Err == nil:
		delete(c.findings, f.Endpoint)
	}
}

// Warnings returns the warnings per desk id.
func (c *Checker) Warnings() map[string][]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := map[string][]string{}
	for ep, f := range c.findings {
		desk := c.endpoints[ep]
		switch {
		case errors.Is(f.Err, ari.ErrNotFound):
			out[desk] = append(out[desk], AORMissing)
		case f.Err == nil && f.QualifyFrequency == 0 && !c.opt.Probed(ep):
			out[desk] = append(out[desk], QualifyOff)
		}
	}
	for d, ws := range out {
		slices.Sort(ws)
		out[d] = slices.Compact(ws)
	}
	return out
}

// SetEndpoints replaces the endpoints checked (a configuration reload):
// removed ones lose their warnings at once, and Run checks the new set
// as soon as ARI is ready.
func (c *Checker) SetEndpoints(endpoints map[string]string) {
	c.mu.Lock()
	c.endpoints = endpoints
	for ep := range c.findings {
		if _, ok := endpoints[ep]; !ok {
			delete(c.findings, ep)
		}
	}
	c.mu.Unlock()
	select {
	case c.recheck <- struct{}{}:
	default:
	}
}
