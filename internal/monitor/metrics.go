package monitor

import "deskwatch/metrics"

// Metrics gives the monitor's samples (metrics.Collector); safe from any
// goroutine.
func (m *Monitor) Metrics() []metrics.Metric {
	s := m.Stats()
	out := []metrics.Metric{
		metrics.Counter("deskwatch_observations_total", "Observations processed by the monitor.", float64(s.Observations)),
		metrics.Counter("deskwatch_transitions_total", "Workstation state transitions decided.", float64(s.Transitions)),
		metrics.Counter("deskwatch_observations_ignored_total", "Observations for endpoints of no configured workstation.", float64(s.Ignored)),
		metrics.Counter("deskwatch_store_write_errors_total", "Failed writes to Redis (retried).", float64(s.WriteErrors)),
		metrics.Gauge("deskwatch_store_queued_writes", "Writes waiting for Redis.", float64(s.Queued)),
		metrics.Gauge("deskwatch_store_ok", "1 while writes to Redis succeed.", metrics.Bool(s.StoreOK)),
		metrics.Counter("deskwatch_store_dead_letters_total", "Writes Redis refused as invalid, set aside in the dead letters instead of retried.", float64(s.DeadLetters)),
		metrics.Counter("deskwatch_ari_clock_skew_total", "ARI events dated more than ari.max_skew from their receipt, dated by their receipt instead.", float64(s.ClockSkew)),
	}
	out = append(out, m.writeTime.Samples("deskwatch_store_write_seconds", "Time Redis took to apply a batch of transitions.")...)
	spool := m.sp.Load()
	if spool == nil {
		return out
	}
	sp := spool.Stats()
	return append(out,
		metrics.Gauge("deskwatch_spool_bytes", "Size of the spool's segments.", float64(sp.Bytes)),
		metrics.Gauge("deskwatch_spool_max_bytes", "The spool's bound (spool.max_bytes).", float64(sp.MaxBytes)),
		metrics.Gauge("deskwatch_spool_pending", "Decisions in the spool that Redis has not acknowledged.", float64(sp.Pending)),
		metrics.Gauge("deskwatch_spool_full", "1 while the spool takes no more decisions and they wait in memory only.", metrics.Bool(s.SpoolFull)),
		metrics.Gauge("deskwatch_spool_unspooled", "Decisions waiting in memory only because the spool takes no more.", float64(s.Unspooled)),
		metrics.Counter("deskwatch_spool_fsyncs_total", "fsyncs of the spool (group commit: at most one per 100 ms).", float64(sp.Syncs)),
		metrics.Counter("deskwatch_spool_fsync_errors_total", "Failed fsyncs of the spool.", float64(sp.SyncErrors)))
}
