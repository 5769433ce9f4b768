package service

import (
	"context"
	"sync"
	"time"

	"deskwatch/health"
	"deskwatch/metrics"
)

// QuarterMetrics exports D of the current quarter so far (the standard's
// indicator, in percent, and per hotline), computed at most once per ttl:
// a scrape must not read a quarter of spans every 15 seconds. While Redis
// cannot be read, the last figure is kept and its age shows it.
func (s *Service) QuarterMetrics(ttl time.Duration) metrics.Collector {
	var (
		mu   sync.Mutex
		last []metrics.Metric
		at   time.Time
	)
	return metrics.Func(func() []metrics.Metric {
		mu.Lock()
		defer mu.Unlock()
		now := s.now()
		if last != nil && now.Sub(at) < ttl {
			return last
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q := health.QuarterOf(now, s.loc)
		res, err := s.Availability(ctx, q.Range(s.loc))
		if err != nil {
			s.log.Debug().Err(err).Msg("quarter availability for /metrics")
			return last
		}
		l := map[string]string{"quarter": q.String()}
		last = []metrics.Metric{
			{Name: "deskwatch_quarter_availability", Help: "D of the quarter so far (standard п.28), as a fraction.", Type: "gauge", Labels: l, Value: res.D / 100},
			{Name: "deskwatch_quarter_desks", Help: "N: desks counted in the quarter's D so far.", Type: "gauge", Labels: l, Value: float64(res.N)},
		}
		for h, g := range res.Hotlines {
			last = append(last, metrics.Metric{Name: "deskwatch_quarter_hotline_availability", Help: "D of the quarter so far for one hotline, as a fraction.", Type: "gauge",
				Labels: map[string]string{"quarter": q.String(), "hotline": h}, Value: g.D / 100})
		}
		at = now
		return last
	})
}
