package main

import (
	"testing"
	"time"
)

// The daemon starts while Redis is down, runs degraded, keeps deciding, and
// writes what it decided once Redis is back; the API says 503, not a crash.
func TestE2EStartsWithRedisDown(t *testing.T) {
	h := newHarness(t, "op122-01")
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.redis.Stop()
	h.start()
	var hz struct {
		Status string
		Redis  struct{ Reachable bool }
	}
	h.get("/healthz", &hz)
	if hz.Status != "degraded" || hz.Redis.Reachable {
		t.Fatalf("healthz %+v", hz)
	}
	h.waitFor("desk decided without Redis", func() bool { return h.desk("op122-01").State == "up" })
	t1 := h.at(time.Now().Add(time.Second))
	h.pbx.Unregister("op122-01")
	h.waitFor("desk down without Redis", func() bool { return h.desk("op122-01").State == "down" })
	if code := h.get("/api/v1/outages", nil); code != 503 {
		t.Fatalf("outages with Redis down: %d", code)
	}
	h.redis.Restart()
	h.waitFor("span written after Redis returns", func() bool {
		o := h.outagesOf("op122-01")
		return len(o) == 1 && o[0].Start == ts(t1)
	})
	h.waitFor("healthy", func() bool {
		h.get("/healthz", &hz)
		return hz.Status == "ok"
	})
}
