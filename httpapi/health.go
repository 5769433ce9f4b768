package httpapi

import (
	"context"
	"net/http"
	"sort"
	"time"

	"deskwatch/health"
	"deskwatch/metrics"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	redisErr := s.opt.Service.Ping(ctx)
	ariOK, since := false, time.Time{}
	if s.opt.ARI != nil {
		ariOK, since = s.opt.ARI.Connected()
	}
	status := "ok"
	if redisErr != nil || !ariOK {
		status = "degraded"
	}
	body := map[string]any{
		"status": status,
		"ari":    map[string]any{"connected": ariOK, "since": rfc(since)},
		"redis":  map[string]any{"reachable": redisErr == nil},
	}
	if redisErr != nil {
		body["redis"].(map[string]any)["error"] = "ping failed"
	}
	if s.opt.Warnings != nil {
		warn := map[string][]string{}
		for desk, ws := range s.opt.Warnings() {
			for _, w := range ws {
				warn[w] = append(warn[w], desk)
			}
		}
		for _, ds := range warn {
			sort.Strings(ds)
		}
		body["warnings"] = warn
	}
	s.accessHealth(body)
	if s.opt.Status != nil {
		for k, v := range s.opt.Status() {
			body[k] = v
		}
	}
	// Always 200 while the process serves: restarting deskwatch cures
	// neither Redis nor Asterisk; the status field says degraded.
	code := http.StatusOK
	writeJSON(w, code, body)
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	var ms []metrics.Metric
	if s.opt.Metrics != nil {
		ms = s.opt.Metrics()
	}
	ms = append(ms, s.deskMetrics()...)
	ms = append(ms, s.opt.Hub.Metrics()...)
	w.Header().Set("Content-Type", metrics.ContentType)
	if err := metrics.Write(w, ms); err != nil {
		s.log.Debug().Err(err).Msg("metrics: client went away")
	}
}

// deskMetrics counts the desks by state, and the desks up on each hotline.
func (s *Server) deskMetrics() []metrics.Metric {
	counts := map[health.State]int{}
	state := map[string]health.State{}
	for _, v := range s.opt.Live.Views() {
		counts[v.State]++
		state[v.ID] = v.State
	}
	var ms []metrics.Metric
	for _, st := range []health.State{health.StateUp, health.StateDown, health.StateUnknown} {
		ms = append(ms, metrics.Metric{Name: "deskwatch_workstations", Help: "Workstations by current state.", Type: "gauge", Labels: map[string]string{"state": string(st)}, Value: float64(counts[st])})
	}
	hotlines := make([]string, 0, len(s.hotlines))
	for h := range s.hotlines {
		hotlines = append(hotlines, h)
	}
	sort.Strings(hotlines)
	for _, h := range hotlines {
		up := 0
		for _, id := range s.hotlines[h] {
			if state[id] == health.StateUp {
				up++
			}
		}
		l := map[string]string{"hotline": h}
		ms = append(ms,
			metrics.Metric{Name: "deskwatch_hotline_up", Help: "Desks up now on the hotline.", Type: "gauge", Labels: l, Value: float64(up)},
			metrics.Metric{Name: "deskwatch_hotline_desks", Help: "Desks configured on the hotline.", Type: "gauge", Labels: l, Value: float64(len(s.hotlines[h]))})
	}
	return ms
}
