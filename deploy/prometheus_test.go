package deploy

import (
	"strings"
	"testing"
)

// The alert rules load in Prometheus and fire (and stay quiet) as their
// unit tests say.
func TestPrometheusRules(t *testing.T) {
	need(t, "promtool")
	out, errOut := run(t, "promtool", "check", "rules", "prometheus/deskwatch.rules.yml")
	if !strings.Contains(out+errOut, "SUCCESS: 15 rules found") {
		t.Fatalf("promtool check rules:\n%s%s", out, errOut)
	}
	out, errOut = run(t, "promtool", "test", "rules", "prometheus/deskwatch.rules.test.yml")
	if !strings.Contains(out+errOut, "SUCCESS") {
		t.Fatalf("promtool test rules:\n%s%s", out, errOut)
	}
}
