package alerts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// EmailOptions are an SMTP submission target.
type EmailOptions struct {
	Name     string
	SMTP     string // host:port, e.g. mail.example.ru:587
	StartTLS bool   // upgrade the session; required for AUTH except on localhost
	Username string // empty: no AUTH
	Password string
	From     string
	To       []string
	Timeout  time.Duration // whole SMTP session; 0: DefaultEmailTimeout
	Retries  int           // after the first attempt
}

type mailer struct {
	cfg      EmailOptions
	host     string
	from     *mail.Address
	to       []*mail.Address
	tls      *tls.Config
	hostname string
	loc      *time.Location
}

func newMailer(cfg EmailOptions, opt NotifierOptions) (*mailer, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultEmailTimeout
	}
	host, _, err := net.SplitHostPort(cfg.SMTP)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	m := &mailer{cfg: cfg, host: host, hostname: opt.Hostname, loc: opt.Location}
	if m.from, err = mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	for _, to := range cfg.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return nil, fmt.Errorf("to: %w", err)
		}
		m.to = append(m.to, a)
	}
	if opt.TLSConfig != nil {
		m.tls = opt.TLSConfig.Clone()
	} else {
		m.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if m.tls.ServerName == "" {
		m.tls.ServerName = host
	}
	return m, nil
}

// deliver runs one SMTP session: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT,
// DATA, QUIT. SMTP 4xx replies and network errors are worth a retry; 5xx
// replies, a missing STARTTLS and certificate errors are not.
func (m *mailer) deliver(ctx context.Context, ev Event) (bool, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.SMTP)
	if err != nil {
		return true, 0, fmt.Errorf("connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // unblocks any read on shutdown
	defer stop()
	retry, err := m.session(conn, ev)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (session timed out after %s)", err, m.cfg.Timeout)
	}
	return retry, 0, err
}

func (m *mailer) session(conn net.Conn, ev Event) (bool, error) {
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return smtpError("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(m.hostname); err != nil {
		return smtpError("EHLO", err)
	}
	if m.cfg.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return false, errors.New("the server does not offer STARTTLS")
		}
		if err := c.StartTLS(m.tls); err != nil {
			return smtpError("STARTTLS", err)
		}
	}
	if m.cfg.Username != "" {
		// net/smtp refuses PLAIN over an unencrypted link except to localhost.
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.host)); err != nil {
			return smtpError("AUTH", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return smtpError("MAIL FROM", err)
	}
	for _, to := range m.to {
		if err := c.Rcpt(to.Address); err != nil {
			return smtpError("RCPT TO", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write(m.message(ev, time.Now())); err != nil {
		return smtpError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("DATA", err)
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return false, nil
}

// smtpError classifies err: the server's 4xx replies and network errors
// may pass, its 5xx replies, TLS verification and auth refusals will not.
func smtpError(step string, err error) (bool, error) {
	err = fmt.Errorf("%s: %w", step, err)
	var tpe *textproto.Error
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var he x509.HostnameError
	switch {
	case errors.As(err, &tpe):
		return tpe.Code >= 400 && tpe.Code < 500, err
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &he):
		return false, err
	case step == "AUTH":
		return false, err // net/smtp's own refusals (unencrypted link, wrong host)
	}
	return true, err
}

// message renders ev as a MIME message: UTF-8 text, base64 body, encoded
// headers; Russian first, then English. The Message-ID is the same for every
// attempt, and a resolution refers to its firing so mail clients thread them.
func (m *mailer) message(ev Event, now time.Time) []byte {
	var b strings.Builder
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	to := make([]string, len(m.to))
	for i, a := range m.to {
		to[i] = a.String()
	}
	header("From", m.from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", encodeHeader(mailSubject(ev)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+deliveryID(ev, ev.Kind)+"@deskwatch>")
	if ev.Kind == EventResolved {
		firing := "<" + deliveryID(ev, EventFiring) + "@deskwatch>"
		header("In-Reply-To", firing)
		header("References", firing)
	}
	header("X-Deskwatch-Alert", ev.ID)
	header(HeaderEvent, ev.Kind)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	body := base64.StdEncoding.EncodeToString([]byte(mailBody(ev, m.loc)))
	for len(body) > 76 {
		b.WriteString(body[:76] + "\r\n")
		body = body[76:]
	}
	b.WriteString(body + "\r\n")
	return []byte(b.String())
}

// encodeHeader encodes s as RFC 2047 words (if it is not plain ASCII),
// folding between the words to keep lines short.
func encodeHeader(s string) string {
	return strings.ReplaceAll(mime.BEncoding.Encode("utf-8", s), "?= =?", "?=\r\n =?")
}
