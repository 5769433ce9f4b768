package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"deskwatch/health"
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
	var ms []Metric
	if s.opt.Metrics != nil {
		ms = s.opt.Metrics()
	}
	counts := map[health.State]int{}
	for _, v := range s.opt.Live.Views() {
		counts[v.State]++
	}
	for _, st := range []health.State{health.StateUp, health.StateDown, health.StateUnknown} {
		ms = append(ms, Metric{Name: "deskwatch_workstations", Help: "Workstations by current state.", Type: "gauge", Labels: map[string]string{"state": string(st)}, Value: float64(counts[st])})
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	writeMetrics(w, ms)
}

// writeMetrics renders the Prometheus text format, one HELP/TYPE per name.
func writeMetrics(w io.Writer, ms []Metric) {
	family := func(m Metric) string {
		if m.Type == "histogram" {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if f, ok := strings.CutSuffix(m.Name, suf); ok {
					return f
				}
			}
		}
		return m.Name
	}
	sort.SliceStable(ms, func(i, j int) bool { return family(ms[i]) < family(ms[j]) })
	last := ""
	for _, m := range ms {
		if f := family(m); f != last {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f, m.Help, f, m.Type)
			last = f
		}
		fmt.Fprint(w, m.Name)
		if len(m.Labels) > 0 {
			keys := make([]string, 0, len(m.Labels))
			for k := range m.Labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s=%s", k, strconv.Quote(m.Labels[k]))
			}
			fmt.Fprintf(w, "{%s}", strings.Join(parts, ","))
		}
		fmt.Fprintf(w, " %s\n", strconv.FormatFloat(m.Value, 'g', -1, 64))
	}
}
