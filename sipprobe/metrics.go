package sipprobe

import "deskwatch/metrics"

// Metrics exports the prober's counters and its RTT histogram.
func (p *Prober) Metrics() []metrics.Metric {
	s := p.Stats()
	c := func(name, help string, v uint64) metrics.Metric { return metrics.Counter(name, help, float64(v)) }
	out := []metrics.Metric{
		metrics.Gauge("deskwatch_sip_targets", "Contacts probed with OPTIONS.", float64(s.Targets)),
		c("deskwatch_sip_probes_total", "OPTIONS probes sent.", s.Sent),
		c("deskwatch_sip_answers_total", "Probes answered with a final response.", s.Answers),
		c("deskwatch_sip_timeouts_total", "Probes not answered in time.", s.Timeouts),
		c("deskwatch_sip_errors_total", "Probes failed on transport errors.", s.Errors),
		c("deskwatch_sip_stray_total", "Packets on the probe port that answered no probe.", s.Stray),
	}
	return append(out, metrics.HistogramSamples("deskwatch_sip_probe_rtt_seconds", "Round trip of answered probes.", s.RTT.Buckets(), s.RTT.Sum.Seconds(), s.RTT.Count)...)
}
