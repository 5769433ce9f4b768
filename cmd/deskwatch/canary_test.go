package main

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"deskwatch/sipcanary/sipcanarytest"
)

// The canary keeps deskwatch's own account registered on the registrar:
// /healthz shows it; the registrar refusing makes the daemon degraded
// (and the metrics say so) until it accepts again; stopping the daemon
// removes the binding.
func TestE2ESIPCanary(t *testing.T) {
	h := newHarness(t, "op122-01")
	const pw = "canary-e2e-pw"
	reg := sipcanarytest.StartRegistrar(t, sipcanarytest.RegistrarOptions{Users: map[string]string{"deskwatch-canary": pw}, Grant: 2 * time.Second})
	t.Setenv("DESKWATCH_TEST_CANARY_PASSWORD", pw)
	h.extraYAML = fmt.Sprintf("sip:\n  enabled: true\n  listen: \"127.0.0.1:0\"\n"+
		"  canary: {registrar: %q, user: deskwatch-canary, password_env: DESKWATCH_TEST_CANARY_PASSWORD, expires: 30s}\n"+
		// a hotline_short rule, so that its minimum is exported too
		"alerts:\n  rules:\n    - {name: short, kind: hotline_short, hotline: \"122\", min_up: 1, channels: [hook]}\n"+
		"  channels:\n    webhook:\n      - {name: hook, url: \"http://127.0.0.1:9/\", timeout: 1s}\n"+
		// ha on (one instance, which leads), so that its metrics are exported too
		"ha: {enabled: true, instance: solo, lease: 1s}\n", reg.URI())
	h.start()

	type healthz struct {
		Status string `json:"status"`
		Canary *struct {
			Registered bool    `json:"registered"`
			Since      *string `json:"since"`
			LastCode   int     `json:"last_code"`
			Failures   uint64  `json:"failures"`
			LastError  string  `json:"last_error"`
		} `json:"canary"`
	}
	var hz healthz
	h.waitFor("canary registered", func() bool {
		hz = healthz{}
		h.get("/healthz", &hz)
		return hz.Canary != nil && hz.Canary.Registered && hz.Status == "ok"
	})
	if c := hz.Canary; c.LastCode != 200 || c.Failures != 0 || c.Since == nil {
		t.Fatalf("canary %+v", *c)
	}
	if len(reg.Bound()) != 1 {
		t.Fatalf("bound %v", reg.Bound())
	}
	body := h.metricsText()
	if v := metric(t, body, "deskwatch_sip_canary_registered"); v != 1 {
		t.Errorf("deskwatch_sip_canary_registered %v", v)
	}
	// Every component's collectors are there: the dashboard and the alert
	// rules query nothing that /metrics lacks.
	checkMonitoringAssets(t, body)

	reg.SetMode(sipcanarytest.Refuse)
	h.waitFor("canary refused", func() bool {
		hz = healthz{}
		h.get("/healthz", &hz)
		return hz.Canary != nil && !hz.Canary.Registered
	})
	if c := hz.Canary; hz.Status != "degraded" || c.LastCode != 403 || c.Failures == 0 || c.LastError != "403 Forbidden" {
		t.Fatalf("healthz status %q, canary %+v", hz.Status, *c)
	}
	body = h.metricsText()
	if v := metric(t, body, "deskwatch_sip_canary_registered"); v != 0 {
		t.Errorf("deskwatch_sip_canary_registered %v", v)
	}
	if v := metric(t, body, "deskwatch_sip_canary_failures_total"); v < 1 {
		t.Errorf("deskwatch_sip_canary_failures_total %v", v)
	}

	reg.SetMode(sipcanarytest.Accept)
	h.waitFor("canary registered again", func() bool {
		hz = healthz{}
		h.get("/healthz", &hz)
		return hz.Canary != nil && hz.Canary.Registered && hz.Status == "ok"
	})

	h.stop()
	rs := reg.Registers()
	if last := rs[len(rs)-1]; last.Expires != 0 || last.Code != 200 || len(reg.Bound()) != 0 {
		t.Errorf("after stop: last REGISTER %+v, bound %v; want the binding removed", last, reg.Bound())
	}
}

// metric reads an unlabelled sample from the Prometheus text.
func metric(t *testing.T, body, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in:\n%s", name, body)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
