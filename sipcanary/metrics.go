package sipcanary

import "deskwatch/metrics"

// Metrics exports whether deskwatch's own account is registered.
func (c *Canary) Metrics() []metrics.Metric {
	s := c.Status()
	return []metrics.Metric{
		metrics.Gauge("deskwatch_sip_canary_registered", "1 while deskwatch's own account is registered on the PBX.", metrics.Bool(s.Registered)),
		metrics.Counter("deskwatch_sip_canary_failures_total", "Canary REGISTERs refused or unanswered.", float64(s.Failures)),
	}
}
