package main

import (
	"context"
	"sync"
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
	cfg  *config.Config
	mon  *monitor.Monitor
	rs   *service.Service
	desk map[string]health.Workstation

	mu        sync.Mutex
	checkedAt time.Time
	ready     bool
}

func newAlertInput(cfg *config.Config, mon *monitor.Monitor, rs *service.Service) *alertInput {
	a := &alertInput{cfg: cfg, mon: mon, rs: rs, desk: map[string]health.Workstation{}}
	for _, w := range cfg.HealthWorkstations() {
		a.desk[w.ID] = w
	}
	return a
}

func (a *alertInput) input() alerts.Input {
	now := time.Now().UTC()
	var in alerts.Input
	for _, v := range a.mon.Views() {
		w := a.desk[v.ID]
		if (!w.InServiceFrom.IsZero() && now.Before(w.InServiceFrom)) || (!w.InServiceUntil.IsZero() && !now.Before(w.InServiceUntil)) {
			continue // not in service: no alert
		}
		in.Desks = append(in.Desks, alerts.Desk{ID: v.ID, Name: w.Name, Hotlines: w.Hotlines, State: string(v.State), Since: v.Since, Cause: string(v.Cause),
			OffShift: !a.rs.OnShift(v.ID, now), Planned: a.rs.Planned(v.ID, now) != ""})
	}
	for _, since := range a.mon.Blind() {
		if !in.Blind || since.Before(in.BlindSince) {
			in.Blind, in.BlindSince = true, since
		}
	}
	prev := health.QuarterOf(now, a.cfg.Location()).Prev()
	in.Reports = []alerts.ReportStatus{{Quarter: prev.String(), Due: prev.Due(a.cfg.Location()), Ready: a.submitted(prev)}}
	return in
}

// submitted reports whether the quarter's report was submitted; it asks
// Redis at most once a minute (the evaluator ticks every second).
func (a *alertInput) submitted(q health.Quarter) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if time.Since(a.checkedAt) < time.Minute {
		return a.ready
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := a.rs.SubmittedVersions(ctx, q); err == nil {
		a.ready, a.checkedAt = n > 0, time.Now()
	}
	return a.ready
}
