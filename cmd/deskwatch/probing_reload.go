package main

import (
	"fmt"
	"maps"

	"deskwatch/config"
	"deskwatch/sipprobe"
)

// ownSchedules are the desks' own probe schedules, by endpoint.
func ownSchedules(cfg *config.Config) map[string]*sipprobe.TargetOptions {
	own := map[string]*sipprobe.TargetOptions{}
	for _, w := range cfg.Workstations {
		if o := w.Probe; o != nil {
			for _, ep := range w.Endpoints {
				own[ep] = &sipprobe.TargetOptions{Interval: o.Interval, Timeout: o.Timeout, MissesBeforeDown: o.Misses, AnswersBeforeUp: o.Answers}
			}
		}
	}
	return own
}

// update takes a reload's probe settings: the schedules first, all or
// nothing (an error changes nothing), then the fixed contacts; endpoints
// no desk has any more stop being probed. It returns the endpoints that
// lost their fixed contact: ARI must name their contact again.
func (pr *probing) update(cfg *config.Config) (relearn []string, err error) {
	if pr == nil {
		return nil, nil
	}
	s, own := cfg.SIP, ownSchedules(cfg)
	defaults := sipprobe.TargetOptions{Interval: s.Interval, Timeout: s.Timeout, MissesBeforeDown: s.Misses, AnswersBeforeUp: s.Answers}
	if err := pr.p.SetSchedules(defaults, own); err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	configured := map[string]bool{}
	for _, w := range cfg.Workstations {
		for _, ep := range w.Endpoints {
			configured[ep] = true
		}
	}
	pr.mu.Lock()
	pr.own = own
	for ep := range pr.targets {
		if !configured[ep] {
			pr.p.RemoveTarget(ep)
			delete(pr.targets, ep)
		}
	}
	for ep := range pr.static {
		if _, kept := s.Contacts[ep]; !kept && configured[ep] {
			relearn = append(relearn, ep)
		}
	}
	pr.static = maps.Clone(s.Contacts)
	pr.mu.Unlock()
	for ep, uri := range s.Contacts {
		pr.set(ep, uri)
	}
	return relearn, nil
}
