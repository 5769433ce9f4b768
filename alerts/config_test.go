package alerts

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"
)

// exampleYAML is the alerts: section as it appears in the daemon's file
// (the same text is in doc.go).
const exampleYAML = `
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

func decodeStrict(t *testing.T, s string) Config {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(s))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return c
}

func TestExampleConfigIsValid(t *testing.T) {
	t.Setenv("DESKWATCH_HOOK_SECRET", "k")
	t.Setenv("DESKWATCH_SMTP_PASSWORD", "p")
	c := decodeStrict(t, exampleYAML)
	if errs := c.Validate("122", "117"); len(errs) != 0 {
		t.Fatalf("problems: %v", errs)
	}
	if c.Rules[0].MinUp != 5 || c.Rules[0].For != 2*time.Minute || *c.Channels.Webhook[0].Retries != 3 ||
		c.Channels.Webhook[0].Headers["Authorization"] == "" || len(c.Channels.Email[0].To) != 2 {
		t.Fatalf("decoded %+v", c)
	}
	c.Channels.Email[0].StartTLS = nil
	c.Channels.Webhook[0].Retries, c.Channels.Webhook[0].Timeout = nil, 0
	c.SetDefaults()
	if !c.Channels.Email[0].UseStartTLS() || *c.Channels.Webhook[0].Retries != DefaultRetries ||
		c.Channels.Webhook[0].Timeout != DefaultWebhookTimeout || c.Channels.Email[0].Timeout != DefaultEmailTimeout {
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

func TestValidateReportsEveryProblemByPath(t *testing.T) {
	t.Setenv("EMPTY_SECRET", "")
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := decodeStrict(t, `
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
	for _, err := range c.Validate("122", "117") {
		p, ok := err.(*Problem)
		if !ok {
			t.Fatalf("%T %v", err, err)
		}
		got = append(got, p.Path)
		if strings.Contains(p.Msg, "pw@") || strings.Contains(p.Msg, "secret") && strings.Contains(p.Msg, "\n") {
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
		t.Fatalf("paths:\n got  %q\n want %q\nproblems: %v", got, want, c.Validate("122", "117"))
	}
	if testing.Verbose() {
		for _, e := range c.Validate("122", "117") {
			t.Log(e)
		}
	}
}

func TestNewNotifierNeedsSecrets(t *testing.T) {
	c := decodeStrict(t, exampleYAML)
	t.Setenv("DESKWATCH_HOOK_SECRET", "k")
	_, err := NewNotifier(c, zerolog.Nop(), NotifierOptions{})
	if err == nil || !strings.Contains(err.Error(), "DESKWATCH_SMTP_PASSWORD") {
		t.Fatalf("err %v", err)
	}
}
