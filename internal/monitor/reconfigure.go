package monitor

import (
	"context"
	"time"

	"deskwatch/health"
)

// Reconfigure replaces the workstations while Run runs (a configuration
// reload) and returns the ids of the new ones. Desks that stay keep their
// state and open span; a new desk continues an open span the store holds
// for it (one removed and added back), as after a restart; a removed desk
// stops being watched, its open span left as it is (nobody saw it end).
// It records no blind time and decides nothing: the sources' next
// observations do. Safe from any goroutine.
func (m *Monitor) Reconfigure(ctx context.Context, wss []health.Workstation) []string {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	spans, err := m.opt.Store.OpenSpans(rctx)
	cancel()
	if err != nil {
		// As in restore: the store's idempotent transitions keep the spans
		// right; only a re-added desk's "since" is lost until it changes.
		m.opt.Logger.Warn().Err(err).Msg("reload: could not read the open spans of new desks; continuing")
	}
	m.mu.Lock()
	added := m.tracker.Reconfigure(wss)
	for _, id := range added {
		if s, ok := spans[id]; ok {
			m.tracker.Restore(id, health.StateDown, s.Cause, s.Start)
		}
	}
	m.mu.Unlock()
	return added
}
