package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"deskwatch/health"
	"deskwatch/metrics"
)

// Hub fans workstation changes out to Server-Sent Events clients. The
// monitor calls Publish from its loop; Publish never blocks: a client that
// cannot keep up is disconnected (its browser reconnects and gets a fresh
// snapshot), so a slow reader never slows the monitor.
type Hub struct {
	mu      sync.Mutex
	clients map[chan []string]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{clients: map[chan []string]struct{}{}} }

// Publish tells every client which workstations changed.
func (h *Hub) Publish(trs []health.Transition) {
	if h == nil || len(trs) == 0 {
		return
	}
	ids := make([]string, 0, len(trs))
	for _, t := range trs {
		ids = append(ids, t.Workstation)
	}
	h.send(ids)
}

// PublishAll tells every client that every workstation may have changed
// (the monitor went blind or sees again).
func (h *Hub) PublishAll() {
	if h != nil {
		h.send([]string{})
	}
}

func (h *Hub) send(ids []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c <- ids:
		default:
			delete(h.clients, c)
			close(c) // too slow: drop it, it will reconnect
		}
	}
}

func (h *Hub) subscribe() chan []string {
	c := make(chan []string, 256)
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	return c
}

func (h *Hub) unsubscribe(c chan []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c)
	}
}

// Metrics exports the number of connected event streams.
func (h *Hub) Metrics() []metrics.Metric {
	if h == nil {
		return nil
	}
	return []metrics.Metric{metrics.Gauge("deskwatch_sse_clients", "Browsers following the board live (event streams).", float64(h.Clients()))}
}

// Clients is the number of connected event streams.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// events streams `snapshot` (all workstations, as GET /api/v1/workstations)
// on connect, then `workstation` (one desk) on every change, and a comment
// every 15 s so proxies and clients can tell a quiet stream from a dead one.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok || s.opt.Hub == nil {
		s.writeError(w, r, errUnavailable)
		return
	}
	c := s.opt.Hub.subscribe()
	defer s.opt.Hub.unsubscribe(c)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	seq := 0
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		seq++
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", seq, event, b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	fmt.Fprint(w, "retry: 2000\n\n")
	if !send("snapshot", map[string]any{"workstations": s.workstationDTOs(), "at": time.Now().UTC().Format(time.RFC3339Nano)}) {
		return
	}
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
			fl.Flush()
		case ids, ok := <-c:
			if !ok {
				return // dropped as too slow
			}
			// Only the desks that changed are rebuilt: with many clients
			// and thousands of desks this runs on every transition.
			if len(ids) == 0 {
				for _, d := range s.workstationDTOs() {
					if !send("workstation", d) {
						return
					}
				}
				continue
			}
			warn := s.warnings()
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					continue
				}
				seen[id] = true
				if v, ok := s.opt.Live.View(id); ok && !send("workstation", s.workstationDTO(v, warn)) {
					return
				}
			}
		}
	}
}
