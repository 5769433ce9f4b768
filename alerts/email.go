package alerts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// SMTP transport security (EmailOptions.TLS).
const (
	TLSStartTLS = "starttls" // upgrade a plain session (submission, port 587)
	TLSImplicit = "implicit" // TLS from the first byte (port 465: Yandex, Mail.ru)
	TLSNone     = "none"     // no encryption: localhost relays only
)

// SMTP authentication (EmailOptions.Auth).
const (
	AuthPlain = "plain"
	AuthLogin = "login"
	AuthNone  = "none"
)

// EmailOptions are an SMTP submission target.
type EmailOptions struct {
	Name string
	SMTP string // host:port, e.g. mail.example.ru:587
	// TLS is TLSStartTLS (also when empty), TLSImplicit or TLSNone.
	TLS string
	// Auth is AuthPlain, AuthLogin or AuthNone; empty: plain with a
	// Username, none without. Credentials only go over TLS or to localhost.
	Auth     string
	Username string
	Password string
	// CACerts (PEM) are trusted besides the system roots: a private CA.
	CACerts []byte
	From    string
	To      []string
	Timeout time.Duration // whole SMTP session; 0: DefaultEmailTimeout
	Retries int           // after the first attempt
}

type mailer struct {
	cfg      EmailOptions
	host     string
	port     int
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
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.Auth == "" {
		cfg.Auth = AuthNone
		if cfg.Username != "" {
			cfg.Auth = AuthPlain
		}
	}
	if cfg.TLS != TLSStartTLS && cfg.TLS != TLSImplicit && cfg.TLS != TLSNone {
		return nil, fmt.Errorf("tls: unknown mode %q", cfg.TLS)
	}
	if cfg.Auth != AuthPlain && cfg.Auth != AuthLogin && cfg.Auth != AuthNone {
		return nil, fmt.Errorf("auth: unknown mechanism %q", cfg.Auth)
	}
	host, port, err := net.SplitHostPort(cfg.SMTP)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	m := &mailer{cfg: cfg, host: host, hostname: opt.Hostname, loc: opt.Location}
	if m.port, err = strconv.Atoi(port); err != nil {
		return nil, fmt.Errorf("smtp: port %q", port)
	}
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
	if len(cfg.CACerts) > 0 {
		roots := m.tls.RootCAs
		if roots == nil {
			if roots, err = x509.SystemCertPool(); err != nil {
				roots = x509.NewCertPool()
			}
		} else {
			roots = roots.Clone()
		}
		if !roots.AppendCertsFromPEM(cfg.CACerts) {
			return nil, errors.New("ca_file: no PEM certificate in it")
		}
		m.tls.RootCAs = roots
	}
	return m, nil
}

// client configures go-mail for one session: it dials through dial (so
// that deliver can close the connection on shutdown), says EHLO, upgrades
// with STARTTLS and authenticates.
func (m *mailer) client(dial gomail.DialContextFunc) (*gomail.Client, error) {
	// Implicit TLS is done by dial itself, so go-mail sees a TLS link and
	// must not try STARTTLS on it.
	policy := gomail.NoTLS
	if m.cfg.TLS == TLSStartTLS {
		policy = gomail.TLSMandatory
	}
	opts := []gomail.Option{gomail.WithPort(m.port), gomail.WithHELO(m.hostname), gomail.WithTimeout(m.cfg.Timeout),
		gomail.WithTLSConfig(m.tls), gomail.WithDialContextFunc(dial), gomail.WithTLSPolicy(policy)}
	switch m.cfg.Auth {
	case AuthPlain:
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain))
	case AuthLogin:
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthLogin))
	}
	if m.cfg.Auth != AuthNone {
		opts = append(opts, gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password))
	}
	return gomail.NewClient(m.host, opts...)
}

// deliver runs one SMTP session: connect (TLS at once if implicit), EHLO,
// STARTTLS, AUTH PLAIN or LOGIN, MAIL, RCPT, DATA, QUIT. SMTP 4xx replies
// and network errors are worth a retry; 5xx replies, a missing STARTTLS or
// AUTH mechanism and certificate errors are not.
func (m *mailer) deliver(ctx context.Context, ev Event) (bool, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	var sc sessionConn
	stop := context.AfterFunc(ctx, sc.close) // unblocks any read on shutdown or timeout
	defer stop()
	defer sc.close()
	gc, err := m.client(func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := &net.Dialer{}
		if m.cfg.TLS == TLSImplicit {
			return sc.set((&tls.Dialer{NetDialer: nd, Config: m.tls}).DialContext(ctx, network, addr))
		}
		return sc.set(nd.DialContext(ctx, network, addr))
	})
	if err != nil {
		return false, 0, fmt.Errorf("smtp client: %w", err)
	}
	var retry bool
	c, err := gc.DialToSMTPClientWithContext(ctx)
	if err != nil {
		retry, err = smtpError("connect", err)
	} else {
		retry, err = m.send(c, ev)
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (session timed out after %s)", err, m.cfg.Timeout)
	}
	return retry, 0, err
}

// sessionConn holds one session's connection so that it can be closed
// from another goroutine, even if it is dialled after the close.
type sessionConn struct {
	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

func (s *sessionConn) set(c net.Conn, err error) (net.Conn, error) {
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	s.conn = c
	return c, nil
}

func (s *sessionConn) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.conn != nil {
		s.conn.Close()
	}
}

// send runs the mail transaction on a session set up by go-mail, with our
// own rendering of the message.
func (m *mailer) send(c *smtp.Client, ev Event) (bool, error) {
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
// While connecting, any other error is a refusal of go-mail's (no
// STARTTLS or AUTH mechanism offered, credentials over a plain link, a
// TLS handshake with a server that speaks plain SMTP): not retried.
func smtpError(step string, err error) (bool, error) {
	err = fmt.Errorf("%s: %w", step, err)
	var tpe *textproto.Error
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var he x509.HostnameError
	var ne net.Error
	switch {
	case errors.As(err, &tpe):
		return tpe.Code >= 400 && tpe.Code < 500, err
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &he):
		return false, err
	case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true, err
	case step == "connect":
		return false, err
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
