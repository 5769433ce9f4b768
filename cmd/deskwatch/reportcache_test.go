package main

import (
	"bytes"
	"strings"
	"testing"
)

// The daemon renders a submitted version once: the second download of its
// PDF comes from Redis, as the render counters say.
func TestE2ESubmittedReportRenderedOnce(t *testing.T) {
	h := newHarness(t, "op122-01")
	h.start()
	if code, body, _ := h.raw("POST", "/api/v1/reports/2025Q4/submit", ""); code != 201 {
		t.Fatalf("submit: %d %s", code, body)
	}
	code, first, hdr := h.raw("GET", "/api/v1/reports/2025Q4.pdf?version=1", "")
	if code != 200 || !bytes.HasPrefix(first, []byte("%PDF")) || hdr.Get("ETag") == "" {
		t.Fatalf("first download: %d %q", code, hdr)
	}
	if code, again, _ := h.raw("GET", "/api/v1/reports/2025Q4.pdf?version=1", ""); code != 200 || !bytes.Equal(again, first) {
		t.Fatalf("second download: %d, %d bytes", code, len(again))
	}
	m := h.metricsText()
	for _, line := range []string{`deskwatch_report_renders_total{kind="submitted"} 1`, `deskwatch_report_renders_total{kind="cached"} 1`} {
		if !strings.Contains(m, line+"\n") {
			t.Errorf("metrics lack %s", line)
		}
	}
}
