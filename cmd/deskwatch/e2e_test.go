package main

import (
	"strings"
	"testing"
	"time"
)

// A registration lost and regained gives exactly one closed span with the
// event timestamps as its start and end.
func TestE2ERegistrationLostAndRegained(t *testing.T) {
	h := newHarness(t, "op122-01", "op117-01")
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.pbx.Register("op117-01", "sip:op117-01@127.0.0.1:5201")
	h.start()
	h.waitFor("desk up", func() bool { return h.desk("op122-01").State == "up" })

	t1 := h.at(time.Now().Add(time.Second))
	if err := h.pbx.Unregister("op122-01"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("desk down", func() bool { return h.desk("op122-01").State == "down" })
	if d := h.desk("op122-01"); d.Cause != "unregistered" {
		t.Fatalf("cause %q", d.Cause)
	}
	t2 := h.at(t1.Add(42*time.Second + 123*time.Millisecond))
	if err := h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("desk up again", func() bool { return h.desk("op122-01").State == "up" })
	h.waitFor("span closed", func() bool {
		o := h.outagesOf("op122-01")
		return len(o) == 1 && o[0].End != nil
	})
	o := h.outagesOf("op122-01")
	if o[0].Start != ts(t1) || *o[0].End != ts(t2) || o[0].Cause != "unregistered" || strings.Join(o[0].Sources, ",") != "ari" {
		t.Fatalf("span %+v %s; want %s..%s unregistered from ari", o[0], *o[0].End, ts(t1), ts(t2))
	}
	if n := len(h.outagesOf("op117-01")); n != 0 {
		t.Fatalf("op117-01 has %d spans", n)
	}
}

// A daemon restart while a desk is down keeps exactly one open span, which
// later closes.
func TestE2ERestartWhileDown(t *testing.T) {
	h := newHarness(t, "op122-01")
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.start()
	h.waitFor("desk up", func() bool { return h.desk("op122-01").State == "up" })
	t1 := h.at(time.Now().Add(time.Second))
	h.pbx.Unreachable("op122-01")
	h.waitFor("open span", func() bool { return len(h.outagesOf("op122-01")) == 1 })
	h.stop()

	h.start()
	h.waitFor("desk down after restart", func() bool { return h.desk("op122-01").State == "down" })
	o := h.outagesOf("op122-01")
	if len(o) != 1 || o[0].End != nil || o[0].Start != ts(t1) || o[0].Cause != "unreachable" {
		t.Fatalf("after restart: %+v", o)
	}
	t2 := h.at(time.Now().Add(2 * time.Second))
	h.pbx.Reachable("op122-01")
	h.waitFor("span closed", func() bool {
		o := h.outagesOf("op122-01")
		return len(o) == 1 && o[0].End != nil
	})
	if o := h.outagesOf("op122-01"); o[0].Start != ts(t1) || *o[0].End != ts(t2) {
		t.Fatalf("closed span %+v", o[0])
	}
	// The restart gap is recorded as unmonitored time.
	var av struct {
		Workstations []struct {
			UnknownS float64 `json:"unknown_s"`
		} `json:"workstations"`
	}
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	h.get("/api/v1/availability?from="+ts(from)+"&to="+ts(to), &av)
	if len(av.Workstations) != 1 || av.Workstations[0].UnknownS <= 0 {
		t.Fatalf("availability %+v: want unknown time from the restart", av)
	}
}

// An ARI socket drop records a blind interval, and the snapshot after the
// reconnect decides: a desk that went down while blind is down after it.
func TestE2ESocketDropBlindAndSnapshot(t *testing.T) {
	h := newHarness(t, "op122-01", "op122-02")
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.pbx.Register("op122-02", "sip:op122-02@127.0.0.1:5102")
	h.start()
	h.waitFor("desks up", func() bool { return h.desk("op122-01").State == "up" && h.desk("op122-02").State == "up" })

	lost := time.Now()
	restarted := make(chan error, 1)
	go func() { restarted <- h.pbx.Restart(700 * time.Millisecond) }()
	h.waitFor("blind", func() bool { return h.desk("op122-01").State == "unknown" })
	// While deskwatch cannot see: op122-01's phone un-registers.
	if err := h.pbx.Unregister("op122-01"); err != nil {
		t.Fatal(err)
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	h.waitFor("snapshot decides", func() bool { return h.desk("op122-01").State == "down" && h.desk("op122-02").State == "up" })
	// The record follows the view once the monitor's writer has sent it.
	h.waitFor("span recorded", func() bool { return len(h.outagesOf("op122-01")) > 0 })
	o := h.outagesOf("op122-01")
	if len(o) != 1 || o[0].End != nil || o[0].Cause != "offline" {
		t.Fatalf("spans %+v", o)
	}
	start, _ := time.Parse(time.RFC3339Nano, o[0].Start)
	if start.Before(lost.Add(700 * time.Millisecond)) {
		t.Fatalf("span starts %v, before the snapshot that saw it (lost %v)", start, lost)
	}
	if n := len(h.outagesOf("op122-02")); n != 0 {
		t.Fatalf("op122-02 has %d spans", n)
	}
	var av struct {
		Workstations []struct {
			ID       string  `json:"id"`
			UnknownS float64 `json:"unknown_s"`
		} `json:"workstations"`
	}
	h.get("/api/v1/availability?from="+ts(lost.Add(-time.Minute))+"&to="+ts(time.Now().Add(time.Minute)), &av)
	for _, w := range av.Workstations {
		if w.UnknownS < 0.6 || w.UnknownS > 5 {
			t.Fatalf("%s unknown_s=%v: want the ~0.7 s blind interval", w.ID, w.UnknownS)
		}
	}
}

// A malformed message and an unknown event type are skipped and counted,
// and the events after them still arrive.
func TestE2EMalformedAndUnknownSkipped(t *testing.T) {
	h := newHarness(t, "op122-01")
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.start()
	h.waitFor("desk up", func() bool { return h.desk("op122-01").State == "up" })
	for _, raw := range []string{
		`{"type":"ContactStatusChange","timestamp":`,
		`not json at all`,
		`{"type":"ChannelTalkingStarted","timestamp":"2026-11-27T16:04:17.115+0000","application":"deskwatch-test"}`,
		`{"type":"SomethingAsterisk23Adds","timestamp":"2026-11-27T16:04:17.115+0000"}`,
	} {
		if err := h.pbx.SendRaw("deskwatch-test", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	t1 := h.at(time.Now().Add(time.Second))
	h.pbx.Unregister("op122-01")
	h.waitFor("desk down after the bad messages", func() bool { return h.desk("op122-01").State == "down" })
	h.waitFor("span recorded", func() bool { return len(h.outagesOf("op122-01")) > 0 })
	if o := h.outagesOf("op122-01"); len(o) != 1 || o[0].Start != ts(t1) {
		t.Fatalf("spans %+v", o)
	}
	body := h.metricsText()
	for _, want := range []string{"deskwatch_ari_malformed_total 2", "deskwatch_ari_unknown_types_total 2", "deskwatch_ari_connected 1"} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	var hz struct{ Status string }
	h.get("/healthz", &hz)
	if hz.Status != "ok" {
		t.Fatalf("healthz %q", hz.Status)
	}
}

// An operator AOR with qualify off (Asterisk's default) is reported: a dead
// phone would look registered for up to an hour.
func TestE2EQualifyOffWarning(t *testing.T) {
	h := newHarness(t, "op122-01", "op117-01")
	if err := h.pbx.SetQualifyFrequency("op122-01", 0); err != nil {
		t.Fatal(err)
	}
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.start()
	type ws struct {
		ID       string   `json:"id"`
		Warnings []string `json:"warnings"`
	}
	h.waitFor("qualify_off warning", func() bool {
		var r struct{ Workstations []ws }
		h.get("/api/v1/workstations", &r)
		return len(r.Workstations) == 2 && strings.Join(r.Workstations[0].Warnings, ",") == "qualify_off"
	})
	var r struct{ Workstations []ws }
	h.get("/api/v1/workstations", &r)
	if len(r.Workstations[1].Warnings) != 0 {
		t.Fatalf("op117-01 (qualify 5 s) warned: %v", r.Workstations[1].Warnings)
	}
	var hz struct{ Warnings map[string][]string }
	h.get("/healthz", &hz)
	if strings.Join(hz.Warnings["qualify_off"], ",") != "op122-01" {
		t.Fatalf("healthz warnings %v", hz.Warnings)
	}
}
