package alerts

import (
	"context"
	"crypto/tls"
	"deskwatch/internal/logtest"
	"encoding/base64"
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const smtpPassword = "s3cret-Пароль"

func mailConfig(addr string, mutate func(*EmailOptions)) Channels {
	e := EmailOptions{Name: "mail", SMTP: addr, TLS: TLSStartTLS, Username: "deskwatch", Password: smtpPassword,
		From: "Deskwatch <dw@example.ru>", To: []string{"duty@example.ru", "Старший смены <chief@example.ru>"},
		Retries: 2, Timeout: 5 * time.Second}
	if mutate != nil {
		mutate(&e)
	}
	return Channels{Email: []EmailOptions{e}}
}

// flappingScript drives a desk_down rule (for: 10 s) through flapping,
// one real failure, more flapping and one real recovery, evaluating every
// half second, and returns the events: exactly one firing and one resolved.
func flappingScript(t *testing.T, channel string) []Event {
	t.Helper()
	w := newWorld("122", 1)
	e := NewEvaluator([]Rule{{Name: "desk", Kind: KindDeskDown, For: 10 * time.Second, Channels: []string{channel}}}, irkutsk)
	var out []Event
	for s := 0.0; s < 200; s += 0.5 {
		down := false
		switch {
		case s < 60: // 4 s up, 4 s down
			down = int(s/4)%2 == 1
		case s < 100: // a real failure
			down = true
		case s < 150: // 2 s up, 2 s down
			down = int(s/2)%2 == 1
		}
		state := StateUp
		if down {
			state = StateDown
		}
		w.set("op122-01", state, sec(s))
		out = append(out, e.Evaluate(sec(s), w.input())...)
	}
	if got := brief(out); len(got) != 2 || got[0] != "firing desk/desk/op122-01" || got[1] != "resolved desk/desk/op122-01" {
		t.Fatalf("script events %q", got)
	}
	return out
}

func TestEmailExactlyOncePerEventUnderFlapping(t *testing.T) {
	srv := startSMTP(t, "deskwatch", smtpPassword, func(s *smtpServer) { s.failData.Store(1) })
	var logs logtest.Buffer
	opt := fastOptions()
	opt.TLSConfig = &tls.Config{RootCAs: srv.Roots}
	opt.Hostname = "deskwatch.test"
	n, err := NewNotifier(mailConfig(srv.Addr, nil), zerolog.New(&logs), opt)
	if err != nil {
		t.Fatal(err)
	}
	evs := flappingScript(t, "mail")
	events := make(chan Event, len(evs))
	for _, ev := range evs {
		events <- ev
	}
	close(events)
	if err := n.Run(context.Background(), events); err != nil { // returns once drained
		t.Fatal(err)
	}

	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2 (one per event)", len(msgs))
	}
	if s := stats(n, "mail"); s.Delivered != 2 || s.Retried != 1 || s.Failed != 0 {
		t.Fatalf("stats %+v", s)
	}
	var ids [2]string
	for i, m := range msgs {
		if !m.TLS || m.User != "deskwatch" || m.From != "dw@example.ru" ||
			strings.Join(m.To, ",") != "duty@example.ru,chief@example.ru" {
			t.Fatalf("envelope %+v", m)
		}
		msg, err := mail.ReadMessage(strings.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		dec := new(mime.WordDecoder)
		subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		to, _ := dec.DecodeHeader(msg.Header.Get("To"))
		raw, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		body := string(raw)
		ev := evs[i]
		var wantSubject string
		if i == 0 {
			wantSubject = "[deskwatch] Тревога: АРМ «АРМ 1» (op122-01) недоступно с 14:01: телефон не зарегистрирован / " +
				`Alert: Desk "АРМ 1" (op122-01) down since 14:01: phone not registered`
		} else {
			wantSubject = "[deskwatch] Отбой: АРМ «АРМ 1» (op122-01) снова доступно с 14:02 (было недоступно с 14:01) / " +
				`Resolved: Desk "АРМ 1" (op122-01) up again since 14:02 (down since 14:01)`
		}
		if subject != wantSubject {
			t.Errorf("subject %q\nwant    %q", subject, wantSubject)
		}
		if !strings.Contains(to, "Старший смены <chief@example.ru>") {
			t.Errorf("To %q", to)
		}
		if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" || msg.Header.Get("Content-Transfer-Encoding") != "base64" {
			t.Errorf("content type %q", ct)
		}
		ru, en := strings.Index(body, ev.SummaryRU), strings.Index(body, ev.SummaryEN)
		if ru < 0 || en < 0 || ru > en || !strings.Contains(body, "Правило: desk") || !strings.Contains(body, "Rule: desk") {
			t.Errorf("body:\n%s", body)
		}
		ids[i] = msg.Header.Get("Message-ID")
		if i == 1 && msg.Header.Get("In-Reply-To") != ids[0] {
			t.Errorf("resolution not threaded: In-Reply-To %q, firing %q", msg.Header.Get("In-Reply-To"), ids[0])
		}
		for _, l := range strings.Split(m.Data, "\n") { // ReadDotBytes turned CRLF into LF
			if len(l) > 998 {
				t.Errorf("line of %d octets", len(l))
			}
		}
	}
	for _, c := range srv.Commands() {
		if strings.HasPrefix(c.Line, "AUTH") && !c.TLS {
			t.Errorf("AUTH before STARTTLS: %q", c.Line)
		}
	}
	b64 := base64.StdEncoding.EncodeToString([]byte("\x00deskwatch\x00" + smtpPassword))
	if l := logs.String(); strings.Contains(l, smtpPassword) || strings.Contains(l, b64) || !strings.Contains(l, "451") {
		t.Errorf("logs (want the 451, never the password):\n%s", l)
	}
}

// Failures that another attempt cannot fix are not retried, and the
// password never leaves over an unverified or unencrypted link.
func TestEmailPermanentFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		server  func(*smtpServer)
		trust   bool
		pass    string
		wantErr string
		client  func(*EmailOptions)
	}{
		{"no STARTTLS offered", func(s *smtpServer) { s.noSTARTTLS = true }, true, smtpPassword, "STARTTLS", nil},
		{"untrusted certificate", nil, false, smtpPassword, "certificate", nil},
		{"wrong password", nil, true, "other", "535", nil},
		{"wrong password, LOGIN", nil, true, "other", "535", func(e *EmailOptions) { e.Auth = AuthLogin }},
		{"untrusted certificate, implicit TLS", func(s *smtpServer) { s.implicit = true }, false, smtpPassword, "certificate",
			func(e *EmailOptions) { e.TLS = TLSImplicit }},
		{"LOGIN not offered", func(s *smtpServer) { s.mechs = "PLAIN" }, true, smtpPassword, "LOGIN",
			func(e *EmailOptions) { e.Auth = AuthLogin }},
		{"implicit TLS to a plain server", nil, true, smtpPassword, "tls", func(e *EmailOptions) { e.TLS = TLSImplicit }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTP(t, "deskwatch", tc.pass, tc.server)
			var logs logtest.Buffer
			opt := fastOptions()
			if tc.trust {
				opt.TLSConfig = &tls.Config{RootCAs: srv.Roots}
			}
			n, err := NewNotifier(mailConfig(srv.Addr, tc.client), zerolog.New(&logs), opt)
			if err != nil {
				t.Fatal(err)
			}
			startNotifier(t, n)
			fire, _ := sampleEvents("mail")
			n.Send(fire)
			waitFor(t, "failure", func() bool { return stats(n, "mail").Failed == 1 })
			s := stats(n, "mail")
			t.Logf("last error: %s", s.LastError)
			if s.Retried != 0 || s.Delivered != 0 || !strings.Contains(s.LastError, tc.wantErr) {
				t.Fatalf("stats %+v", s)
			}
			if len(srv.Messages()) != 0 {
				t.Fatal("a message got through")
			}
			for _, c := range srv.Commands() {
				if strings.HasPrefix(c.Line, "AUTH") && (!c.TLS || !tc.trust) {
					t.Fatalf("credentials sent: %q (tls %v)", c.Line, c.TLS)
				}
			}
			if strings.Contains(logs.String(), smtpPassword) {
				t.Fatal("password logged")
			}
		})
	}
}

// Without a username there is no AUTH; STARTTLS still applies.
func TestEmailWithoutAuth(t *testing.T) {
	srv := startSMTP(t, "", "", nil)
	opt := fastOptions()
	opt.TLSConfig = &tls.Config{RootCAs: srv.Roots}
	n, err := NewNotifier(mailConfig(srv.Addr, func(e *EmailOptions) { e.Username, e.Password = "", "" }), zerolog.Nop(), opt)
	if err != nil {
		t.Fatal(err)
	}
	startNotifier(t, n)
	fire, _ := sampleEvents("mail")
	n.Send(fire)
	waitFor(t, "delivery", func() bool { return stats(n, "mail").Delivered == 1 })
	if m := srv.Messages(); len(m) != 1 || !m[0].TLS || m[0].User != "" {
		t.Fatalf("messages %+v", m)
	}
}

func TestEncodeHeaderFolds(t *testing.T) {
	s := strings.Repeat("Линия 122: доступно 3 АРМ из 10 ", 4)
	enc := encodeHeader(s)
	for _, l := range strings.Split(enc, "\r\n") {
		if len(l) > 78 {
			t.Fatalf("line of %d: %q", len(l), l)
		}
	}
	if got, err := new(mime.WordDecoder).DecodeHeader(strings.ReplaceAll(enc, "\r\n", "")); err != nil || got != s {
		t.Fatalf("round trip %q, %v", got, err)
	}
}
