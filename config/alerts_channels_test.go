package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
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
	c, err := Parse([]byte(withAlerts(t, `
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
`)))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.AlertChannels()
	if err != nil {
		t.Fatal(err)
	}
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
