package config

import (
	"os"
	"strings"
	"testing"
)

func TestAlertsSection(t *testing.T) {
	t.Setenv("DESKWATCH_ARI_PASSWORD", "x")
	t.Setenv("DESKWATCH_HOOK_SECRET", "k")
	t.Setenv("DESKWATCH_SMTP_PASSWORD", "p")
	base, err := os.ReadFile("../deploy/deskwatch.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The example's own alerts section is replaced by this one.
	example, _, _ := strings.Cut(string(base), "\nalerts:")
	good := example + `
alerts:
  rules:
    - name: short-122
      kind: hotline_short
      hotline: "122"
      min_up: 5
      for: 2m
      channels: [duty-hook, duty-mail]
    - {name: report, kind: report_due, days: 5, channels: [duty-mail]}
  channels:
    webhook:
      - name: duty-hook
        url: https://hooks.example.ru/deskwatch
        retries: 0
        headers: {Authorization: "Bearer x"}
        secret_env: DESKWATCH_HOOK_SECRET
    email:
      - name: duty-mail
        smtp: mail.example.ru:587
        username: deskwatch
        password_env: DESKWATCH_SMTP_PASSWORD
        from: "Deskwatch <deskwatch@example.ru>"
        to: [duty@example.ru]
`
	c, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if *c.Alerts.Channels.Webhook[0].Retries != 0 || !c.Alerts.Channels.Email[0].UseStartTLS() || c.Alerts.Rules[0].MinUp != 5 {
		t.Fatalf("%+v", c.Alerts)
	}
	bad := strings.Replace(good, "min_up: 5", "min_up: five", 1)
	bad = strings.Replace(bad, `hotline: "122"`, `hotline: "999"`, 1)
	bad = strings.Replace(bad, "retries: 0", "retries: yes", 1)
	_, err = Parse([]byte(bad))
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "alerts.rules[0].min_up (line") || !strings.Contains(err.Error(), "alerts.channels.webhook[0].retries (line") {
		t.Fatal(err)
	}
	_, err = Parse([]byte(strings.Replace(good, `hotline: "122"`, `hotline: "999"`, 1)))
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "alerts.rules[0].hotline (line") {
		t.Fatal(err)
	}
}
