package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// metricNames are the metric names a PromQL expression reads (histograms by
// their _bucket series), leaving out functions, keywords and label names.
var metricRef = regexp.MustCompile(`\b((?:deskwatch|process|go)_[a-z0-9_]+)\b`)

// checkMonitoringAssets proves that every metric the shipped Grafana
// dashboard and Prometheus rules query is one the live /metrics shows.
func checkMonitoringAssets(t *testing.T, body string) {
	t.Helper()
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct{ Definition string }
		}
	}
	b, err := os.ReadFile("../../deploy/grafana/deskwatch.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	var rules struct {
		Groups []struct{ Rules []struct{ Expr string } }
	}
	if b, err = os.ReadFile("../../deploy/prometheus/deskwatch.rules.yml"); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	seen := 0
	for _, e := range exprs {
		for _, m := range metricRef.FindAllStringSubmatch(e, -1) {
			seen++
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + `[ {]`).MatchString(body) {
				t.Errorf("%q queries %s, which /metrics does not have", e, m[1])
			}
		}
	}
	if seen < 20 || !strings.Contains(body, "deskwatch_build_info{") {
		t.Fatalf("only %d metric references checked; /metrics:\n%s", seen, body)
	}
}
