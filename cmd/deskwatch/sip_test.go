package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"deskwatch/internal/pbxsim"
)

// With qualify off on the PBX, only deskwatch's own SIP probes see a phone
// die: the desk goes down (source sip) and comes back; the PBX going silent
// takes every desk down with cause pbx at one instant, and back.
func TestE2ESIPProbes(t *testing.T) {
	h := newHarness(t, "op122-01", "op117-01")
	phones, pbxSIP := h.probedPhones()
	h.start()
	h.waitFor("desks up", func() bool { return h.desk("op122-01").State == "up" && h.desk("op117-01").State == "up" })

	// The probe's last answer is shown per endpoint; probed endpoints get
	// no qualify_off warning.
	type ep struct {
		Probe *struct {
			Alive bool    `json:"alive"`
			Code  int     `json:"code"`
			RTTms float64 `json:"rtt_ms"`
		} `json:"probe"`
	}
	type ws struct {
		ID        string   `json:"id"`
		Warnings  []string `json:"warnings"`
		Endpoints []ep     `json:"endpoints"`
	}
	h.waitFor("probe results", func() bool {
		var r struct{ Workstations []ws }
		h.get("/api/v1/workstations", &r)
		p := r.Workstations[0].Endpoints[0].Probe
		return p != nil && p.Alive && p.Code == 200 && p.RTTms > 0
	})

	// A phone in do-not-disturb answers 503: alive, with the code noted.
	phones["op117-01"].AnswerWith(503)
	h.waitFor("503 noted", func() bool {
		var r struct{ Workstations []ws }
		h.get("/api/v1/workstations", &r)
		p := r.Workstations[1].Endpoints[0].Probe
		return p != nil && p.Alive && p.Code == 503
	})
	if d := h.desk("op117-01"); d.State != "up" {
		t.Fatalf("a phone answering 503 is alive: %+v", d)
	}
	phones["op117-01"].AnswerWith(200)
	if phones["op117-01"].Answers() == 0 {
		t.Fatal("the phone answered no probe")
	}

	phones["op122-01"].Silent(true)
	h.waitFor("probe loses op122-01", func() bool { return h.desk("op122-01").State == "down" })
	if d := h.desk("op122-01"); d.Cause != "unreachable" {
		t.Fatalf("cause %q", d.Cause)
	}
	// The record follows the view once the monitor's writer has sent it.
	h.waitFor("span recorded", func() bool { return len(h.outagesOf("op122-01")) > 0 })
	o := h.outagesOf("op122-01")
	if len(o) != 1 || strings.Join(o[0].Sources, ",") != "sip" {
		t.Fatalf("spans %+v", o)
	}
	phones["op122-01"].Silent(false)
	h.waitFor("op122-01 back", func() bool { return h.desk("op122-01").State == "up" })

	// The PBX dies: its SIP goes silent and its ARI socket drops too.
	pbxSIP.Silent(true)
	restarted := make(chan error, 1)
	go func() { restarted <- h.pbx.Restart(2 * time.Second) }()
	h.waitFor("PBX down", func() bool { return h.desk("op122-01").State == "down" && h.desk("op117-01").State == "down" })
	a, b := h.desk("op122-01"), h.desk("op117-01")
	if a.Cause != "pbx" || b.Cause != "pbx" || a.Since != b.Since {
		t.Fatalf("PBX down: %+v %+v: want cause pbx at one instant", a, b)
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	pbxSIP.Silent(false)
	h.waitFor("PBX back", func() bool { return h.desk("op122-01").State == "up" && h.desk("op117-01").State == "up" })
	h.waitFor("span closed", func() bool { o = h.outagesOf("op117-01"); return len(o) > 0 && o[0].End != nil })
	o = h.outagesOf("op117-01")
	if len(o) != 1 || o[0].Cause != "pbx" || o[0].End == nil {
		t.Fatalf("op117-01 spans %+v", o)
	}
	// ARI was blind through the outage, but the probes saw it: it counts
	// as unavailable time, not as unmonitored time.
	start, _ := time.Parse(time.RFC3339Nano, o[0].Start)
	end, _ := time.Parse(time.RFC3339Nano, *o[0].End)
	if w := h.availability()["op117-01"]; w.Unknown != 0 || w.Unavailable != end.Sub(start).Seconds() {
		t.Fatalf("op117-01: unavailable %v s (want %v), unknown %v s (want 0)", w.Unavailable, end.Sub(start).Seconds(), w.Unknown)
	}
	if body := h.metricsText(); !strings.Contains(body, "# TYPE deskwatch_sip_probe_rtt_seconds histogram") || !strings.Contains(body, "deskwatch_sip_probes_total ") {
		t.Fatalf("metrics:\n%s", body)
	}
}

// probedPhones gives every desk a SIP phone that deskwatch's probes reach
// (with the PBX's qualify off) and the PBX a SIP responder, and turns the
// probes on; the phones close with the test.
func (h *harness) probedPhones() (map[string]*pbxsim.Phone, *pbxsim.Phone) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.t.Cleanup(cancel)
	phones := map[string]*pbxsim.Phone{}
	for _, ep := range h.phones {
		ph, err := pbxsim.NewPhone(ctx, ep)
		if err != nil {
			h.t.Fatal(err)
		}
		phones[ep] = ph
		if err := h.pbx.SetQualifyFrequency(ep, 0); err != nil {
			h.t.Fatal(err)
		}
		h.pbx.Register(ep, ph.URI())
	}
	pbxSIP, err := pbxsim.NewPhone(ctx, "asterisk")
	if err != nil {
		h.t.Fatal(err)
	}
	h.extraYAML = "sip: {enabled: true, listen: \"127.0.0.1:0\", interval: 1s, timeout: 400ms, misses: 2, answers: 1, pbx: \"" + pbxSIP.URI() + "\"}\n"
	return phones, pbxSIP
}

type availabilityRow struct {
	ID          string  `json:"id"`
	Unavailable float64 `json:"unavailable_s"`
	Unknown     float64 `json:"unknown_s"`
}

// availability is each desk's figures for the hours around now.
func (h *harness) availability() map[string]availabilityRow {
	h.t.Helper()
	var av struct {
		Workstations []availabilityRow `json:"workstations"`
	}
	h.get("/api/v1/availability?from="+ts(time.Now().Add(-time.Hour))+"&to="+ts(time.Now().Add(time.Hour)), &av)
	out := map[string]availabilityRow{}
	for _, w := range av.Workstations {
		out[w.ID] = w
	}
	return out
}
