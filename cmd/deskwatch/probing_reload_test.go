package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// A reload's probe settings: an endpoint no desk has stops being probed,
// one whose fixed contact went is handed back to ARI to learn, a new fixed
// contact is probed, and a refused schedule changes nothing.
func TestProbingUpdate(t *testing.T) {
	h := newHarness(t, "op122-01", "op122-02", "op117-01")
	h.extraYAML = `sip:
  enabled: true
  listen: 127.0.0.1:0
  contacts: {PJSIP/op122-01: "sip:a@127.0.0.1:5999", PJSIP/op122-02: "sip:b@127.0.0.1:5999"}
`
	pr, err := newProbing(h.config(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer pr.p.Close()
	h.phones = []string{"op122-02", "op117-01"}
	h.extraYAML = strings.Replace(h.extraYAML, `PJSIP/op122-01: "sip:a@127.0.0.1:5999", PJSIP/op122-02: "sip:b@127.0.0.1:5999"`,
		`PJSIP/op117-01: "sip:c@127.0.0.1:5999"`, 1) + "  interval: 3s\n"
	relearn, err := pr.update(h.config())
	if err != nil || !slices.Equal(relearn, []string{"PJSIP/op122-02"}) {
		t.Fatalf("relearn %q, %v", relearn, err)
	}
	if pr.probed("PJSIP/op122-01") || !pr.probed("PJSIP/op122-02") || !pr.probed("PJSIP/op117-01") {
		t.Fatalf("targets after the reload: %v", pr.targets)
	}
	bad := h.config()
	bad.SIP.Timeout = 10 * bad.SIP.Interval // config check would refuse it; the prober must too
	if _, err := pr.update(bad); err == nil {
		t.Fatal("an invalid schedule was taken")
	}
}
