package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/alerts"
)

// alertsExample is the alerts: section as the alerts package documents it
// (doc.go), written at the top level.
const alertsExample = `
rules:
  - name: short-122
    kind: hotline_short
    hotline: "122"
    min_up: 5
    for: 2m
    channels: [duty-hook, duty-mail]
  - name: desk-down
    kind: desk_down
    for: 5m
    channels: [duty-hook]
  - name: blind
    kind: monitor_blind
    for: 1m
    channels: [duty-hook, duty-mail]
  - name: report
    kind: report_due
    days: 5
    channels: [duty-mail]
channels:
  webhook:
    - name: duty-hook
      url: https://hooks.example.ru/deskwatch
      timeout: 5s
      retries: 3
      headers:
        Authorization: Bearer not-logged
      secret_env: DESKWATCH_HOOK_SECRET
  email:
    - name: duty-mail
      smtp: mail.example.ru:587
      starttls: true
      username: deskwatch
      password_env: DESKWATCH_SMTP_PASSWORD
      from: "Deskwatch <deskwatch@example.ru>"
      to: [duty@example.ru, "Старший смены <chief@example.ru>"]
`

// withAlerts is the example file with its alerts section replaced by
// section (written at the top level). The example needs
// DESKWATCH_ARI_PASSWORD, which it sets.
func withAlerts(t *testing.T, section string) string {
	t.Helper()
	t.Setenv("DESKWATCH_ARI_PASSWORD", "x")
	base, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	example, _, _ := strings.Cut(string(base), "\nalerts:")
	var b strings.Builder
	b.WriteString(example + "\nalerts:\n")
	for l := range strings.Lines(strings.TrimLeft(section, "\n")) {
		b.WriteString("  " + l)
	}
	return b.String()
}

func TestAlertsSection(t *testing.T) {
	t.Setenv("DESKWATCH_HOOK_SECRET", "k")
	t.Setenv("DESKWATCH_SMTP_PASSWORD", "p")
	good := withAlerts(t, `
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
`)
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

// parseAlertsExample parses the example with alertsExample, its secrets set.
func parseAlertsExample(t *testing.T) *Config {
	t.Helper()
	t.Setenv("DESKWATCH_HOOK_SECRET", "k")
	t.Setenv("DESKWATCH_SMTP_PASSWORD", "p")
	cfg, err := Parse([]byte(withAlerts(t, alertsExample)))
	if err != nil {
		t.Fatalf("problems: %v", err)
	}
	return cfg
}

func TestAlertsExampleIsValid(t *testing.T) {
	c := parseAlertsExample(t).Alerts
	if c.Rules[0].MinUp != 5 || c.Rules[0].For != 2*time.Minute || *c.Channels.Webhook[0].Retries != 3 ||
		c.Channels.Webhook[0].Headers["Authorization"] == "" || len(c.Channels.Email[0].To) != 2 {
		t.Fatalf("decoded %+v", c)
	}
	c.Channels.Email[0].StartTLS = nil
	c.Channels.Webhook[0].Retries, c.Channels.Webhook[0].Timeout = nil, 0
	c.setDefaults()
	if !c.Channels.Email[0].UseStartTLS() || *c.Channels.Webhook[0].Retries != alerts.DefaultRetries ||
		c.Channels.Webhook[0].Timeout != alerts.DefaultWebhookTimeout || c.Channels.Email[0].Timeout != alerts.DefaultEmailTimeout {
		t.Fatalf("defaults %+v", c.Channels)
	}

	// The log line names channels and hosts, never header values or secrets.
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	log.Info().Object("alerts", &c).Send()
	if s := buf.String(); strings.Contains(s, "not-logged") || !strings.Contains(s, "hooks.example.ru") {
		t.Fatalf("log %s", s)
	}
}

func TestAlertsProblemsByPath(t *testing.T) {
	t.Setenv("EMPTY_SECRET", "")
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	probs := alertProblems(t, `
rules:
  - name: short
    kind: hotline_short
    hotline: "999"
    min_up: 0
    for: -1s
    channels: [hook, nope, hook]
  - name: short
    kind: desk_down
    days: 2
    min_up: 1
    channels: []
  - name: "bad name"
    kind: report_due
    days: -1
    hotline: "122"
    channels: [hook]
  - kind: sometimes
    channels: [hook]
channels:
  webhook:
    - name: hook
      url: ftp://x
      retries: 11
      timeout: -1s
      headers:
        X-Deskwatch-Signature: forged
        "bad header": x
      secret_env: EMPTY_SECRET
    - name: hook
      url: https://user:pw@x.example/
  email:
    - name: mail
      smtp: mail.example.ru
      from: nobody
      to: []
      username: u
    - name: mail2
      smtp: mail.example.ru:25
      starttls: false
      username: u
      password_file: `+pwFile+`
      from: a@example.ru
      to: [b@example.ru, "not an address"]
`)
	var got []string
	for _, p := range probs {
		got = append(got, p.path)
		if strings.Contains(p.msg, "pw@") || strings.Contains(p.msg, "secret") && strings.Contains(p.msg, "\n") {
			t.Errorf("secret in message: %v", p)
		}
	}
	want := []string{
		"alerts.channels.webhook[0].url",
		"alerts.channels.webhook[0].timeout",
		"alerts.channels.webhook[0].retries",
		"alerts.channels.webhook[0].headers.X-Deskwatch-Signature",
		"alerts.channels.webhook[0].headers.bad header",
		"alerts.channels.webhook[0].secret_env",
		"alerts.channels.webhook[1].name",
		"alerts.channels.webhook[1].url",
		"alerts.channels.email[0].smtp",
		"alerts.channels.email[0].from",
		"alerts.channels.email[0].to",
		"alerts.channels.email[0]",
		"alerts.channels.email[1].to[1]",
		"alerts.channels.email[1].starttls",
		"alerts.rules[0].hotline",
		"alerts.rules[0].min_up",
		"alerts.rules[0].for",
		"alerts.rules[0].channels[1]",
		"alerts.rules[0].channels[2]",
		"alerts.rules[1].name",
		"alerts.rules[1].min_up",
		"alerts.rules[1].days",
		"alerts.rules[1].channels",
		"alerts.rules[2].name",
		"alerts.rules[2].hotline",
		"alerts.rules[2].days",
		"alerts.rules[3].name",
		"alerts.rules[3].kind",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("paths:\n got  %q\n want %q\nproblems: %v", got, want, probs)
	}
}

// AlertChannels reads the secrets and hands the notifier plain values;
// a missing one fails, naming the channel and the variable.
func TestAlertChannels(t *testing.T) {
	cfg := parseAlertsExample(t)
	ch, err := cfg.AlertChannels()
	if err != nil {
		t.Fatal(err)
	}
	w, e := ch.Webhook[0], ch.Email[0]
	if string(w.Secret) != "k" || w.Retries != 3 || w.Timeout != 5*time.Second || w.Headers["Authorization"] != "Bearer not-logged" ||
		e.Password != "p" || e.TLS != alerts.TLSStartTLS || e.Auth != alerts.AuthPlain || e.Retries != alerts.DefaultRetries || e.Timeout != alerts.DefaultEmailTimeout || len(e.To) != 2 {
		t.Fatalf("channels %+v", ch)
	}
	want := alerts.Rule{Name: "short-122", Kind: alerts.KindHotlineShort, Hotline: "122", MinUp: 5, For: 2 * time.Minute, Channels: []string{"duty-hook", "duty-mail"}}
	if r := cfg.AlertRules(); len(r) != 4 || !reflect.DeepEqual(r[0], want) || r[3].Days != 5 {
		t.Fatalf("rules %+v", r)
	}

	os.Unsetenv("DESKWATCH_SMTP_PASSWORD") // gone since the file was checked
	_, err = cfg.AlertChannels()
	if want := "alerts email duty-mail: password: environment variable DESKWATCH_SMTP_PASSWORD is not set"; errText(err) != want {
		t.Fatalf("err %v, want %s", err, want)
	}
}
