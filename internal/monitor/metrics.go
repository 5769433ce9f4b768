package monitor

import "deskwatch/metrics"

// Metrics exports the loop's counters and the write latency.
func (m *Monitor) Metrics() []metrics.Metric {
	s := m.Stats()
	out := []metrics.Metric{
		metrics.Counter("deskwatch_observations_total", "Observations processed by the monitor.", float64(s.Observations)),
		metrics.Counter("deskwatch_transitions_total", "Workstation state transitions decided.", float64(s.Transitions)),
		metrics.Counter("deskwatch_observations_ignored_total", "Observations for endpoints of no configured workstation.", float64(s.Ignored)),
		metrics.Counter("deskwatch_store_write_errors_total", "Failed writes to Redis (retried).", float64(s.WriteErrors)),
		metrics.Gauge("deskwatch_store_queued_writes", "Writes waiting for Redis.", float64(s.Queued)),
		metrics.Gauge("deskwatch_store_ok", "1 while writes to Redis succeed.", metrics.Bool(s.StoreOK)),
	}
	return append(out, m.writeTime.Samples("deskwatch_store_write_seconds", "Time Redis took to apply a batch of transitions.")...)
}
