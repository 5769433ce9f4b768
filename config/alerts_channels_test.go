package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"deskwatch/alerts"
)

// alertProblems parses the example with section as its alerts and returns
// the problems, each checked to carry a line.
func alertProblems(t *testing.T, section string) []*problem {
	t.Helper()
	_, err := Parse([]byte(withAlerts(t, section)))
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("%T %v", err, err)
	}
	t.Log(err)
	var out []*problem
	for _, e := range joined.Unwrap() {
		p, ok := e.(*problem)
		if !ok {
			t.Fatalf("%T %v", e, e)
		}
		if p.line == 0 {
			t.Errorf("no line: %v", p)
		}
		out = append(out, p)
	}
	return out
}

// problemPaths are the sorted paths of alertProblems.
func problemPaths(t *testing.T, section string) []string {
	t.Helper()
	var got []string
	for _, p := range alertProblems(t, section) {
		got = append(got, p.path)
	}
	slices.Sort(got)
	return got
}

// parseChannels parses the example with section as its alerts and reads
// the channels.
func parseChannels(t *testing.T, section string) (*Config, alerts.Channels) {
	t.Helper()
	c, err := Parse([]byte(withAlerts(t, section)))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.AlertChannels()
	if err != nil {
		t.Fatal(err)
	}
	return c, ch
}

// testCAFile writes a self-signed CA certificate in PEM and returns its path.
func testCAFile(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEmailTLSAndAuthDefaults(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		e              EmailConfig
		wantTLS, wantA string
	}{
		{EmailConfig{SMTP: "mail.example.ru:587", Username: "u"}, alerts.TLSStartTLS, alerts.AuthPlain},
		{EmailConfig{SMTP: "smtp.yandex.ru:465", Username: "u"}, alerts.TLSImplicit, alerts.AuthPlain},
		{EmailConfig{SMTP: "smtp.mail.ru:465", StartTLS: &yes}, alerts.TLSImplicit, alerts.AuthNone},
		{EmailConfig{SMTP: "127.0.0.1:25", StartTLS: &no}, alerts.TLSNone, alerts.AuthNone},
		{EmailConfig{SMTP: "mail.example.ru:25", TLS: "implicit", Auth: "login", Username: "u"}, alerts.TLSImplicit, alerts.AuthLogin},
	} {
		if got, a := tc.e.TLSMode(), tc.e.AuthMode(); got != tc.wantTLS || a != tc.wantA {
			t.Errorf("%+v: tls %s auth %s, want %s %s", tc.e, got, a, tc.wantTLS, tc.wantA)
		}
	}
}

func TestAlertsEmailSecurity(t *testing.T) {
	t.Setenv("DESKWATCH_SMTP_PASSWORD", "p")
	ca := testCAFile(t)
	_, ch := parseChannels(t, `
rules:
  - {name: blind, kind: monitor_blind, channels: [yandex]}
channels:
  email:
    - name: yandex
      smtp: smtp.yandex.ru:465
      auth: login
      username: deskwatch@yandex.ru
      password_env: DESKWATCH_SMTP_PASSWORD
      ca_file: `+ca+`
      from: deskwatch@yandex.ru
      to: [duty@example.ru]
`)
	if e := ch.Email[0]; e.TLS != alerts.TLSImplicit || e.Auth != alerts.AuthLogin || !strings.Contains(string(e.CACerts), "BEGIN CERTIFICATE") {
		t.Fatalf("email %+v", e)
	}

	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := problemPaths(t, `
rules:
  - {name: blind, kind: monitor_blind, channels: [m0]}
channels:
  email:
    - {name: m0, smtp: "mail.example.ru:587", tls: starttls, starttls: true, from: a@example.ru, to: [b@example.ru]}
    - {name: m1, smtp: "mail.example.ru:587", tls: ssl, from: a@example.ru, to: [b@example.ru]}
    - {name: m2, smtp: "mail.example.ru:587", auth: cram-md5, from: a@example.ru, to: [b@example.ru]}
    - {name: m3, smtp: "mail.example.ru:587", auth: login, from: a@example.ru, to: [b@example.ru]}
    - {name: m4, smtp: "mail.example.ru:587", auth: none, username: u, password_env: DESKWATCH_SMTP_PASSWORD, from: a@example.ru, to: [b@example.ru]}
    - {name: m5, smtp: "mail.example.ru:587", tls: none, username: u, password_env: DESKWATCH_SMTP_PASSWORD, from: a@example.ru, to: [b@example.ru]}
    - {name: m6, smtp: "127.0.0.1:25", tls: none, ca_file: `+ca+`, from: a@example.ru, to: [b@example.ru]}
    - {name: m7, smtp: "mail.example.ru:587", ca_file: /nonexistent/ca.pem, from: a@example.ru, to: [b@example.ru]}
    - {name: m8, smtp: "mail.example.ru:587", ca_file: `+notPEM+`, from: a@example.ru, to: [b@example.ru]}
    - {name: m9, smtp: "127.0.0.1:25", tls: none, auth: plain, username: u, password_env: DESKWATCH_SMTP_PASSWORD, from: a@example.ru, to: [b@example.ru]}
`)
	want := []string{
		"alerts.channels.email[0].starttls",
		"alerts.channels.email[1].tls",
		"alerts.channels.email[2].auth",
		"alerts.channels.email[3].username",
		"alerts.channels.email[4].auth",
		"alerts.channels.email[5].tls",
		"alerts.channels.email[6].ca_file",
		"alerts.channels.email[7].ca_file",
		"alerts.channels.email[8].ca_file",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paths:\n got  %q\n want %q", got, want)
	}
}

// lineOf is the 1-based line of the first line of text holding s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("%q not in the file", s)
	}
	return strings.Count(text[:i], "\n") + 1
}

func TestWebhookTemplateConfig(t *testing.T) {
	_, ch := parseChannels(t, `
rules:
  - {name: blind, kind: monitor_blind, channels: [chat]}
channels:
  webhook:
    - name: chat
      url: https://chat.example.ru/hooks/xyz
      template: |
        {"text": {{json (text "ru" .)}},
         "since": {{json (time .Since)}}}
      content_type: "application/json"
`)
	if w := ch.Webhook[0]; !strings.HasPrefix(w.Template, `{"text": {{json`) || w.ContentType != "application/json" {
		t.Fatalf("webhook %+v", w)
	}

	// A template problem points at its own line of the file.
	bad := withAlerts(t, `
rules:
  - {name: blind, kind: monitor_blind, channels: [a, b, c, d]}
channels:
  webhook:
    - name: a
      url: https://chat.example.ru/a
      template: |
        {"text":
         {{json .SummaryRU}
        }
    - name: b
      url: https://chat.example.ru/b
      template: |
        {"text": {{json .SummaryRU}},

         "kind": {{.Knd}}}
    - {name: c, url: "https://chat.example.ru/c", template: "{{.Nope}}", content_type: "no/such; ="}
    - {name: d, url: "https://chat.example.ru/d", content_type: text/plain}
`)
	_, err := Parse([]byte(bad))
	t.Log(err)
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("%T %v", err, err)
	}
	want := map[string]int{
		"alerts.channels.webhook[0].template":     lineOf(t, bad, "{{json .SummaryRU}\n"),
		"alerts.channels.webhook[1].template":     lineOf(t, bad, `"kind": {{.Knd}}`),
		"alerts.channels.webhook[2].template":     lineOf(t, bad, "name: c,"),
		"alerts.channels.webhook[2].content_type": lineOf(t, bad, "name: c,"),
		"alerts.channels.webhook[3].content_type": lineOf(t, bad, "name: d,"),
	}
	got := map[string]int{}
	for _, e := range joined.Unwrap() {
		if p, ok := e.(*problem); ok {
			got[p.path] = p.line
		}
	}
	if !maps.Equal(got, want) {
		t.Fatalf("problems at %v, want %v", got, want)
	}
	if !strings.Contains(err.Error(), "template line 2: bad character") || !strings.Contains(err.Error(), "can't evaluate field Knd") {
		t.Fatalf("messages: %v", err)
	}
}

// The README's template example is a valid channel.
func TestREADMETemplateExample(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, _ := strings.Cut(string(b), "```yaml\nchannels:\n  webhook:\n    - name: chat\n")
	block, _, ok := strings.Cut(block, "```\n")
	if !ok {
		t.Fatal("README.md has no template example")
	}
	c, err := Parse([]byte(withAlerts(t, "rules:\n  - {name: blind, kind: monitor_blind, channels: [chat]}\nchannels:\n  webhook:\n    - name: chat\n"+block)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Alerts.Channels.Webhook[0].Template, `(text "ru" .)`) {
		t.Fatalf("template %q", c.Alerts.Channels.Webhook[0].Template)
	}
}

func TestAlertsTelegram(t *testing.T) {
	t.Setenv("DW_TG_TOKEN", "123456:AAE-abc_def")
	t.Setenv("DW_TG_BAD", "not a token")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	junkFile := filepath.Join(dir, "junk")
	for p, s := range map[string]string{tokenFile: "123456:AAE-from-file\n", junkFile: "bot123456:x/y\n"} {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, ch := parseChannels(t, `
rules:
  - {name: blind, kind: monitor_blind, channels: [tg, tg-en]}
channels:
  telegram:
    - name: tg
      chat_id: "-1001234567890"
      token_env: DW_TG_TOKEN
    - {name: tg-en, chat_id: "@duty_channel", token_file: `+tokenFile+`, lang: en, base_url: "http://127.0.0.1:8081/tg", retries: 0, timeout: 3s}
`)
	ru, en := ch.Telegram[0], ch.Telegram[1]
	if ru.Token != "123456:AAE-abc_def" || ru.BaseURL != alerts.DefaultTelegramURL || ru.ChatID != "-1001234567890" || ru.Lang != "" ||
		ru.Retries != alerts.DefaultRetries || ru.Timeout != alerts.DefaultTelegramTimeout {
		t.Fatalf("telegram %+v", ru)
	}
	if en.Token != "123456:AAE-from-file" || en.BaseURL != "http://127.0.0.1:8081/tg" || en.Lang != "en" || en.Retries != 0 || en.Timeout != 3*time.Second {
		t.Fatalf("telegram %+v", en)
	}
	os.Unsetenv("DW_TG_TOKEN") // gone since the file was checked
	if _, err := c.AlertChannels(); errText(err) != "alerts telegram tg: token: environment variable DW_TG_TOKEN is not set" {
		t.Fatalf("err %v", err)
	}
	t.Setenv("DW_TG_TOKEN", "123456:AAE-abc_def")

	probs := alertProblems(t, `
rules:
  - {name: blind, kind: monitor_blind, channels: [t0]}
channels:
  email:
    - {name: t0, smtp: "127.0.0.1:25", tls: none, from: a@example.ru, to: [b@example.ru]}
  telegram:
    - {name: t0, chat_id: "1", token_env: DW_TG_TOKEN}
    - {name: t1, token_env: DW_TG_TOKEN}
    - {name: t2, chat_id: "duty", token_env: DW_TG_TOKEN, lang: de, base_url: "ftp://x", retries: 11}
    - {name: t3, chat_id: "1"}
    - {name: t4, chat_id: "1", token_env: DW_TG_TOKEN, token_file: `+tokenFile+`}
    - {name: t5, chat_id: "1", token_env: "123456:AAE-abc_def"}
    - {name: t6, chat_id: "1", token_env: DW_TG_BAD}
    - {name: t7, chat_id: "1", token_file: `+junkFile+`}
    - {name: t8, chat_id: "1", token_env: DW_TG_UNSET}
    - {name: t9, chat_id: "1", token_env: DW_TG_TOKEN, base_url: "https://u:p@api.telegram.org"}
`)
	var got []string
	for _, p := range probs {
		got = append(got, p.path)
		for _, secret := range []string{"abc_def", "not a token", "x/y", "u:p"} {
			if strings.Contains(p.msg, secret) {
				t.Errorf("secret in message: %v", p)
			}
		}
	}
	slices.Sort(got)
	want := []string{
		"alerts.channels.telegram[0].name",
		"alerts.channels.telegram[1].chat_id",
		"alerts.channels.telegram[2].base_url",
		"alerts.channels.telegram[2].chat_id",
		"alerts.channels.telegram[2].lang",
		"alerts.channels.telegram[2].retries",
		"alerts.channels.telegram[3]",
		"alerts.channels.telegram[4].token_file",
		"alerts.channels.telegram[5].token_env",
		"alerts.channels.telegram[6].token_env",
		"alerts.channels.telegram[7].token_file",
		"alerts.channels.telegram[8].token_env",
		"alerts.channels.telegram[9].base_url",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paths:\n got  %q\n want %q", got, want)
	}
}
