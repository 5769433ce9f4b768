package main

import (
	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/hostprobe"
	"deskwatch/httpapi"
	"deskwatch/metrics"
)

// newComputers builds the probes of the operators' computers; nil when no
// desk names one.
func newComputers(cfg *config.Config, log zerolog.Logger) (*hostprobe.Prober, error) {
	var targets []hostprobe.Target
	for _, w := range cfg.Workstations {
		if k := w.Computer; k != nil {
			targets = append(targets, hostprobe.Target{Desk: w.ID, Host: k.Host, Check: k.Check, Port: k.Port,
				Interval: k.Interval, Timeout: k.Timeout, Misses: k.Misses, Answers: k.Answers})
		}
	}
	if len(targets) == 0 {
		return nil, nil
	}
	return hostprobe.New(hostprobe.Options{Logger: log}, targets)
}

// computerResult is a desk's last computer probe, for the API (nil-safe).
func computerResult(p *hostprobe.Prober) func(desk string) (httpapi.ProbeResult, bool) {
	return func(desk string) (httpapi.ProbeResult, bool) {
		if p == nil {
			return httpapi.ProbeResult{}, false
		}
		r, ok := p.Result(desk)
		return httpapi.ProbeResult{At: r.At, Alive: r.Alive, RTT: r.RTT, Misses: r.Misses}, ok
	}
}

// computerMetrics are the computer probes' Prometheus samples.
type computerMetrics struct{ p *hostprobe.Prober }

func (c computerMetrics) Metrics() []metrics.Metric {
	s := c.p.Stats()
	n := func(name, help string, v uint64) metrics.Metric { return metrics.Counter(name, help, float64(v)) }
	return []metrics.Metric{
		metrics.Gauge("deskwatch_computer_targets", "Operators' computers probed.", float64(s.Targets)),
		n("deskwatch_computer_probes_total", "Computer probes sent (ICMP echo or TCP connect).", s.Sent),
		n("deskwatch_computer_answers_total", "Computer probes answered.", s.Answers),
		n("deskwatch_computer_misses_total", "Computer probes not answered (timeout, refused, error).", s.Misses),
		n("deskwatch_computer_skipped_total", "Computer probe slots skipped (the previous probe still waiting).", s.Skipped),
		n("deskwatch_computer_replies_ignored_total", "ICMP echo replies that matched no probe waiting (late, foreign or garbled).", s.Ignored),
	}
}
