// Package audit checks the PBX's configuration for what makes outages
// invisible: an operator AOR with qualify off (qualify_frequency=0, the
// Asterisk default) lets a phone that lost power look registered until its
// registration expires (3600 s by default), unless deskwatch's own SIP
// probes watch it.
package audit

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
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
	Contact          string
	Err              error
	At               time.Time
}

// Options configure an Auditor.
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
	// OnContact, if set, receives each registered AOR's current contact:
	// the snapshot of endpoints carries none, and the SIP probes need them.
	OnContact func(endpoint, contact string)
	ErrNotFnd error
}

// Auditor re-reads the AORs when ARI is up and on a period.
type Auditor struct {
	opt      Options
	mu       sync.RWMutex
	findings map[string]Finding // only the ones that may warn: Warnings runs per API request
}

// New builds an Auditor.
func New(opt Options) *Auditor {
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
	return &Auditor{opt: opt, findings: map[string]Finding{}}
}

// Run checks once ARI is ready, then every opt.Every, until ctx ends.
func (a *Auditor) Run(ctx context.Context) {
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	var last time.Time
	for {
		if (a.opt.Ready == nil || a.opt.Ready()) && (last.IsZero() || time.Since(last) >= a.opt.Every) {
			a.Check(ctx)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
	}
}

// Check reads every endpoint's AOR now and logs what deserves a warning.
func (a *Auditor) Check(ctx context.Context) {
	type job struct{ ep, aor string }
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range a.opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				f := Finding{Endpoint: j.ep, AOR: j.aor, QualifyFrequency: -1, At: a.opt.Now().UTC()}
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				m, err := a.opt.Reader.AORConfig(cctx, j.aor)
				cancel()
				if err != nil {
					f.Err = err
				} else {
					if q, err := strconv.ParseFloat(m["qualify_frequency"], 64); err == nil {
						f.QualifyFrequency = int(q)
					}
					f.Contact = m["contact"]
					if f.Contact != "" && a.opt.OnContact != nil {
						a.opt.OnContact(j.ep, f.Contact)
					}
				}
				a.keep(f)
			}
		}()
	}
	for ep := range a.opt.Endpoints {
		_, res, _ := strings.Cut(ep, "/")
		select {
		case jobs <- job{ep, res}:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	for ep, ws := range a.Warnings() {
		for _, w := range ws {
			a.opt.Logger.Warn().Str("workstation", ep).Str("warning", w).Msg(describe(w))
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
func (a *Auditor) keep(f Finding) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.notFound(f.Err), f.Err == nil && f.QualifyFrequency == 0:
		a.findings[f.Endpoint] = f
	case f.Err == nil:
		delete(a.findings, f.Endpoint)
	}
}

func (a *Auditor) notFound(err error) bool {
	return err != nil && a.opt.ErrNotFnd != nil && errors.Is(err, a.opt.ErrNotFnd)
}

// Warnings returns the warnings per desk id.
func (a *Auditor) Warnings() map[string][]string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := map[string][]string{}
	for ep, f := range a.findings {
		desk := a.opt.Endpoints[ep]
		switch {
		case a.notFound(f.Err):
			out[desk] = append(out[desk], AORMissing)
		case f.Err == nil && f.QualifyFrequency == 0 && !a.opt.Probed(ep):
			out[desk] = append(out[desk], QualifyOff)
		}
	}
	for d, ws := range out {
		slices.Sort(ws)
		out[d] = slices.Compact(ws)
	}
	return out
}
