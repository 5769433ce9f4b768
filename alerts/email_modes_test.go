package alerts

import (
	"crypto/tls"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"deskwatch/internal/logtest"
)

// Every transport and AUTH mechanism the issue names, against the test
// server speaking it: the message arrives over TLS (except tls none to
// localhost), the server saw the right credentials with the mechanism
// asked for, and no credential went over a plain link or into the logs.
func TestEmailTLSAndAuthModes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		server   func(*smtpServer)
		client   func(*EmailOptions)
		wantTLS  bool
		wantMech string
	}{
		{"starttls plain", nil, func(e *EmailOptions) { e.Auth = AuthPlain }, true, "PLAIN"},
		{"starttls login", nil, func(e *EmailOptions) { e.Auth = AuthLogin }, true, "LOGIN"},
		{"starttls default auth", nil, nil, true, "PLAIN"},
		{"implicit plain", func(s *smtpServer) { s.implicit = true },
			func(e *EmailOptions) { e.TLS, e.Auth = TLSImplicit, AuthPlain }, true, "PLAIN"},
		{"implicit login", func(s *smtpServer) { s.implicit, s.mechs = true, "LOGIN" },
			func(e *EmailOptions) { e.TLS, e.Auth = TLSImplicit, AuthLogin }, true, "LOGIN"},
		{"implicit without auth", func(s *smtpServer) { s.implicit, s.user = true, "" },
			func(e *EmailOptions) { e.TLS, e.Auth, e.Username, e.Password = TLSImplicit, AuthNone, "", "" }, true, ""},
		{"none to localhost", func(s *smtpServer) { s.noSTARTTLS, s.user = true, "" },
			func(e *EmailOptions) { e.TLS, e.Username, e.Password = TLSNone, "", "" }, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTP(t, "deskwatch", smtpPassword, tc.server)
			var logs logtest.Buffer
			opt := fastOptions()
			opt.TLSConfig = &tls.Config{RootCAs: srv.Roots}
			deliverOne(t, mailConfig(srv.Addr, tc.client), zerolog.New(&logs), opt)
			m := srv.Messages()
			wantUser := map[bool]string{true: "deskwatch", false: ""}[tc.wantMech != ""]
			if len(m) != 1 || m[0].TLS != tc.wantTLS || m[0].Mech != tc.wantMech || m[0].User != wantUser {
				t.Fatalf("messages %+v", m)
			}
			if !strings.Contains(m[0].Data, "Subject: =?utf-8?b?") {
				t.Errorf("message not rendered as before:\n%s", m[0].Data)
			}
			for _, c := range srv.Commands() {
				if strings.HasPrefix(c.Line, "AUTH") && !c.TLS {
					t.Errorf("AUTH over a plain link: %q", c.Line)
				}
			}
			b64 := base64.StdEncoding.EncodeToString([]byte(smtpPassword))
			if l := logs.String(); strings.Contains(l, smtpPassword) || strings.Contains(l, b64) {
				t.Errorf("password logged:\n%s", l)
			}
		})
	}
}

// A private CA given as CACerts is trusted without any TLSConfig, for
// STARTTLS and for implicit TLS alike.
func TestEmailPrivateCA(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		srv := startSMTP(t, "deskwatch", smtpPassword, func(s *smtpServer) { s.implicit = implicit })
		deliverOne(t, mailConfig(srv.Addr, func(e *EmailOptions) {
			e.CACerts = srv.CertPEM
			if implicit {
				e.TLS = TLSImplicit
			}
		}), zerolog.Nop(), fastOptions())
		if m := srv.Messages(); len(m) != 1 || !m[0].TLS || m[0].User != "deskwatch" {
			t.Fatalf("implicit %v: messages %+v", implicit, m)
		}
	}
	_, err := NewNotifier(mailConfig("127.0.0.1:25", func(e *EmailOptions) { e.CACerts = []byte("not PEM") }), zerolog.Nop(), fastOptions())
	if err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("bad CA accepted: %v", err)
	}
}

// deliverOne runs a notifier on chans (one channel) until the test ends,
// sends it a firing and waits until that is delivered.
func deliverOne(t *testing.T, chans Channels, log zerolog.Logger, opt NotifierOptions) *Notifier {
	t.Helper()
	n := runNew(t, chans, log, opt)
	name := n.order[0].name
	fire, _ := sampleEvents(name)
	n.Send(fire)
	waitFor(t, "delivery", func() bool { return stats(n, name).Delivered == 1 })
	return n
}
