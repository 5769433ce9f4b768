package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"deskwatch/alerts"
	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/internal/monitor"
	"deskwatch/service"
)

// alertInput builds the alert evaluator's view of the world from the
// monitor and the reports, once a tick.
type alertInput struct {
	mon  *monitor.Monitor
	conf atomic.Pointer[alertConf] // a reload replaces it

	mu        sync.Mutex
	checkedAt time.Time
	ready     bool
}

// alertConf is what alertInput reads of the configuration.
type alertConf struct {
	cfg  *config.Config
	rs   *service.Service
	desk map[string]health.Workstation
}

func newAlertInput(cfg *config.Config, mon *monitor.Monitor, rs *service.Service) *alertInput {
	a := &alertInput{mon: mon}
	a.update(cfg, rs)
	return a
}

// update takes a reload's desks and service.
func (a *alertInput) update(cfg *config.Config, rs *service.Service) {
	c := &alertConf{cfg: cfg, rs: rs, desk: map[string]health.Workstation{}}
	for _, w := range cfg.HealthWorkstations() {
		c.desk[w.ID] = w
	}
	a.conf.Store(c)
}

func (a *alertInput) input() alerts.Input {
	now := time.Now().UTC()
	c := a.conf.Load()
	var in alerts.Input
	for _, v := range a.mon.Views() {
		w := c.desk[v.ID]
		if (!w.InServiceFrom.IsZero() && now.Before(w.InServiceFrom)) || (!w.InServiceUntil.IsZero() && !now.Before(w.InServiceUntil)) {
			continue // not in service: no alert
		}
		in.Desks = append(in.Desks, alerts.Desk{ID: v.ID, Name: w.Name, Hotlines: w.Hotlines, State: string(v.State), Since: v.Since, Cause: string(v.Cause),
			OffShift: !c.rs.OnShift(v.ID, now), Planned: c.rs.Planned(v.ID, now) != ""})
	}
	for _, since := range a.mon.Blind() {
		if !in.Blind || since.Before(in.BlindSince) {
			in.Blind, in.BlindSince = true, since
		}
	}
	prev := health.QuarterOf(now, c.cfg.Location()).Prev()
	in.Reports = []alerts.ReportStatus{{Quarter: prev.String(), Due: prev.Due(c.cfg.Location()), Ready: a.submitted(c.rs, prev)}}
	return in
}

// submitted reports whether the quarter's report was submitted; it asks
// Redis at most once a minute (the evaluator ticks every second).
func (a *alertInput) submitted(rs *service.Service, q health.Quarter) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if time.Since(a.checkedAt) < time.Minute {
		return a.ready
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := rs.SubmittedVersions(ctx, q); err == nil {
		a.ready, a.checkedAt = n > 0, time.Now()
	}
	return a.ready
}
