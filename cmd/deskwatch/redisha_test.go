package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"deskwatch/config"
	"deskwatch/store"
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

// redisTarget gives store.Open the mode, both passwords and the replicas
// to wait for (by default one behind Sentinel, none otherwise).
func TestRedisTarget(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	t.Setenv("DW_TEST_SENTINEL_PW", "sentinel-pw")
	t.Setenv("DW_TEST_REDIS_PW", "data-pw")
	tests := []struct {
		redis string
		want  store.Target
	}{
		{`redis: {url: "redis://:in-url@h:6379/2"}`, store.Target{URL: "redis://:in-url@h:6379/2", Password: "in-url", WaitTimeout: time.Second}},
		{`redis: {sentinel: {master: m, addrs: ["a:26379", "b:26379"], password_env: DW_TEST_SENTINEL_PW}, password_env: DW_TEST_REDIS_PW}`,
			store.Target{Sentinel: &store.Sentinel{Master: "m", Addrs: []string{"a:26379", "b:26379"}, Password: "sentinel-pw"}, Password: "data-pw", WaitReplicas: 1, WaitTimeout: time.Second}},
		{`redis: {sentinel: {master: m, addrs: ["a:26379"]}, wait_replicas: 0}`,
			store.Target{Sentinel: &store.Sentinel{Master: "m", Addrs: []string{"a:26379"}}, WaitTimeout: time.Second}},
		{`redis: {cluster: {addrs: ["a:6379", "b:6379"]}, wait_replicas: 1, wait_timeout: 250ms}`,
			store.Target{Cluster: []string{"a:6379", "b:6379"}, WaitReplicas: 1, WaitTimeout: 250 * time.Millisecond}},
	}
	for _, tt := range tests {
		cfg, err := config.Parse([]byte(strings.Join([]string{`ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW}`,
			tt.redis, `http: {listen: "127.0.0.1:0"}`, `workstations: [{id: a, hotlines: ["122"], endpoints: [PJSIP/a]}]`}, "\n")))
		if err != nil {
			t.Fatalf("%s: %v", tt.redis, err)
		}
		got, err := redisTarget(cfg)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\nredisTarget() = %+v, %v\nwant %+v", tt.redis, got, err, tt.want)
		}
		if s := cfg.Redis.String(); strings.Contains(s, "-pw") || strings.Contains(s, "in-url") {
			t.Errorf("Redis.String() reveals a secret: %s", s)
		}
	}
}
