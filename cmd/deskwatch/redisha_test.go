package main

import (
	"slices"
	"testing"
)

// The harness's Redis keeps nothing on disk (save "", appendonly no):
// /healthz warns redis_not_persistent and the gauge says 0, while the
// status stays ok (Redis works; the risk is for its restart).
func TestE2ERedisNotPersistentWarning(t *testing.T) {
	h := newHarness(t, "op122-01")
	h.start()
	type healthz struct {
		Status  string `json:"status"`
		Persist struct {
			State    string   `json:"state"`
			Warnings []string `json:"warnings"`
		} `json:"redis_persistence"`
	}
	var hz healthz
	h.waitFor("persistence checked", func() bool {
		hz = healthz{}
		h.get("/healthz", &hz)
		return hz.Persist.State == "not_persistent"
	})
	if !slices.Equal(hz.Persist.Warnings, []string{"redis_not_persistent"}) {
		t.Fatalf("healthz %+v", hz)
	}
	if v := metric(t, h.metricsText(), "deskwatch_redis_persistent"); v != 0 {
		t.Errorf("deskwatch_redis_persistent %v", v)
	}
}
