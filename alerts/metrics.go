package alerts

import "deskwatch/metrics"

// Metrics exports each channel's deliveries.
func (n *Notifier) Metrics() []metrics.Metric {
	var out []metrics.Metric
	for _, cs := range n.Stats() {
		l := map[string]string{"channel": cs.Name, "kind": cs.Kind}
		out = append(out,
			metrics.Metric{Name: "deskwatch_alerts_delivered_total", Help: "Alert notifications delivered.", Type: "counter", Labels: l, Value: float64(cs.Delivered)},
			metrics.Metric{Name: "deskwatch_alerts_failed_total", Help: "Alert notifications given up after retries.", Type: "counter", Labels: l, Value: float64(cs.Failed)},
			metrics.Metric{Name: "deskwatch_alerts_dropped_total", Help: "Alert notifications dropped on a full queue.", Type: "counter", Labels: l, Value: float64(cs.Dropped)},
			metrics.Metric{Name: "deskwatch_alerts_template_failed_total", Help: "Webhook bodies sent as plain JSON because the channel's template failed.", Type: "counter", Labels: l, Value: float64(cs.TemplateFailed)})
	}
	return out
}

// Metrics exports the running notifier's deliveries and the rules'
// minimums; a reload (Update) swaps both. Safe from any goroutine.
func (r *Runner) Metrics() []metrics.Metric {
	r.mu.Lock()
	n, minUp := r.notify, r.minUp
	r.mu.Unlock()
	var out []metrics.Metric
	if n != nil {
		out = n.Metrics()
	}
	return append(out, minUp.Metrics()...)
}

// RuleMetrics exports each hotline_short rule's minimum, so Prometheus can
// compare deskwatch_hotline_up with it (deploy/prometheus).
func RuleMetrics(rules []Rule) metrics.Collector {
	minUp := map[string]int{} // the strictest rule per hotline
	var order []string
	for _, r := range rules {
		if r.Kind != KindHotlineShort {
			continue
		}
		if _, ok := minUp[r.Hotline]; !ok {
			order = append(order, r.Hotline)
		}
		minUp[r.Hotline] = max(minUp[r.Hotline], r.MinUp)
	}
	var ms []metrics.Metric
	for _, h := range order {
		ms = append(ms, metrics.Metric{Name: "deskwatch_hotline_min_up", Help: "Desks a hotline needs up (its hotline_short rule's min_up).",
			Type: "gauge", Labels: map[string]string{"hotline": h}, Value: float64(minUp[h])})
	}
	return metrics.Func(func() []metrics.Metric { return ms })
}
