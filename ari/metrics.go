package ari

import "deskwatch/metrics"

// Metrics exports the client's counters.
func (c *Client) Metrics() []metrics.Metric {
	s := c.Stats()
	return []metrics.Metric{
		metrics.Gauge("deskwatch_ari_connected", "1 while the ARI WebSocket is subscribed and snapshotted.", metrics.Bool(s.Connected)),
		metrics.Counter("deskwatch_ari_messages_total", "ARI WebSocket messages read.", float64(s.Messages)),
		metrics.Counter("deskwatch_ari_malformed_total", "ARI messages skipped as malformed.", float64(s.Malformed)),
		metrics.Counter("deskwatch_ari_unknown_types_total", "ARI messages skipped for an unknown event type.", float64(s.UnknownTypes)),
		metrics.Counter("deskwatch_ari_reconnects_total", "ARI connection attempts after the first.", float64(s.Reconnects)),
	}
}
