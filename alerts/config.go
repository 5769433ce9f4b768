package alerts

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Rule kinds.
const (
	KindHotlineShort = "hotline_short" // a hotline has fewer than min_up desks up
	KindDeskDown     = "desk_down"     // a desk is down (one instance per desk)
	KindMonitorBlind = "monitor_blind" // the monitor cannot see the desks
	KindReportDue    = "report_due"    // a quarterly report is due within days and not ready
)

// RuleKinds lists the valid rule kinds.
var RuleKinds = []string{KindHotlineShort, KindDeskDown, KindMonitorBlind, KindReportDue}

// Defaults applied by SetDefaults (and by NewNotifier) to fields left empty.
const (
	DefaultWebhookTimeout = 5 * time.Second
	DefaultEmailTimeout   = 30 * time.Second
	DefaultRetries        = 3
	maxRetries            = 10
)

// Config is the alerts section of the daemon's configuration (alerts:).
type Config struct {
	Rules    []Rule   `yaml:"rules"`
	Channels Channels `yaml:"channels"`
}

// Rule is one alert rule. See doc.go for the semantics of each kind.
type Rule struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	// Hotline: required for hotline_short; for desk_down an optional filter
	// (only desks serving it); not allowed for the other kinds.
	Hotline string `yaml:"hotline"`
	// MinUp (hotline_short): fire when fewer than MinUp desks are up.
	MinUp int `yaml:"min_up"`
	// For is how long the condition must hold before the rule fires, and how
	// long it must be false before it resolves (hold-down). 0: at once.
	For time.Duration `yaml:"for"`
	// Days (report_due): fire from Days days before the due date while the
	// report is not ready (and after the due date, as overdue).
	Days     int      `yaml:"days"`
	Channels []string `yaml:"channels"`
}

// Channels are the delivery targets; names are unique across both lists.
type Channels struct {
	Webhook []WebhookConfig `yaml:"webhook"`
	Email   []EmailConfig   `yaml:"email"`
}

// WebhookConfig is a JSON POST receiver.
type WebhookConfig struct {
	Name    string        `yaml:"name"`
	URL     string        `yaml:"url"`
	Timeout time.Duration `yaml:"timeout"` // per attempt; default 5s
	Retries *int          `yaml:"retries"` // after the first attempt; default 3
	// Headers are added to every request (e.g. Authorization); their values
	// are never logged.
	Headers map[string]string `yaml:"headers"`
	// SecretEnv, if set, names an environment variable holding the HMAC key:
	// every request then carries X-Deskwatch-Signature: sha256=<hex of
	// HMAC-SHA256(key, body)>.
	SecretEnv string `yaml:"secret_env"`
}

// EmailConfig is an SMTP submission target.
type EmailConfig struct {
	Name     string `yaml:"name"`
	SMTP     string `yaml:"smtp"`     // host:port, e.g. mail.example.ru:587
	StartTLS *bool  `yaml:"starttls"` // default true; required for AUTH except on localhost
	Username string `yaml:"username"` // empty: no AUTH
	// The password comes from exactly one of these when Username is set.
	PasswordEnv  string        `yaml:"password_env"`
	PasswordFile string        `yaml:"password_file"`
	From         string        `yaml:"from"`
	To           []string      `yaml:"to"`
	Timeout      time.Duration `yaml:"timeout"` // whole SMTP session; default 30s
	Retries      *int          `yaml:"retries"` // after the first attempt; default 3
}

// UseStartTLS reports whether the session must be upgraded with STARTTLS.
func (e EmailConfig) UseStartTLS() bool { return e.StartTLS == nil || *e.StartTLS }

// SetDefaults fills timeouts and retries left empty.
func (c *Config) SetDefaults() {
	for i := range c.Channels.Webhook {
		w := &c.Channels.Webhook[i]
		if w.Timeout == 0 {
			w.Timeout = DefaultWebhookTimeout
		}
		if w.Retries == nil {
			w.Retries = ptr(DefaultRetries)
		}
	}
	for i := range c.Channels.Email {
		e := &c.Channels.Email[i]
		if e.Timeout == 0 {
			e.Timeout = DefaultEmailTimeout
		}
		if e.Retries == nil {
			e.Retries = ptr(DefaultRetries)
		}
		if e.StartTLS == nil {
			e.StartTLS = ptr(true)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Problem is one thing wrong with the alerts configuration. Path is the
// field path from the top of the daemon's file, e.g.
// alerts.rules[0].min_up, so the caller can add the YAML line.
type Problem struct {
	Path string
	Msg  string
}

func (p *Problem) Error() string { return p.Path + ": " + p.Msg }

var (
	nameRe    = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	digitsRe  = regexp.MustCompile(`^[0-9]+$`)
	tokenRe   = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$") // RFC 9110 header name
)

// reservedHeaders are set by the notifier and cannot be configured.
var reservedHeaders = []string{"Content-Type", "Content-Length", "Host", "User-Agent",
	"X-Deskwatch-Signature", "X-Deskwatch-Event", "X-Deskwatch-Delivery"}

// Validate returns every problem of the section (nil if none), each naming
// its field path under "alerts". If knownHotlines is given, a rule's
// hotline must be one of them. Like the rest of the daemon's config, it
// checks that the secrets (secret_env, password_env, password_file) can be
// read now; it never shows their values. Fields left empty are checked as
// their defaults.
func (c *Config) Validate(knownHotlines ...string) []error {
	rules, chans := &validator{}, &validator{}
	names := chans.channels(&c.Channels)
	rules.rules(c.Rules, names, knownHotlines)
	return append(rules.errs, chans.errs...) // in the order of the file
}

type validator struct{ errs []error }

func (v *validator) addf(path, format string, args ...any) {
	v.errs = append(v.errs, &Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) rules(rules []Rule, channels map[string]bool, known []string) {
	names := map[string]string{}
	for i, r := range rules {
		p := fmt.Sprintf("alerts.rules[%d]", i)
		switch first, dup := names[r.Name]; {
		case r.Name == "":
			v.addf(p+".name", "is required")
		case !nameRe.MatchString(r.Name):
			v.addf(p+".name", "%q may contain only letters A-Z a-z, digits, '.', '_' and '-' (it is part of the alert id)", r.Name)
		case dup:
			v.addf(p+".name", "%q is already used by %s", r.Name, first)
		default:
			names[r.Name] = p
		}

		kind := r.Kind
		if !slices.Contains(RuleKinds, kind) {
			if kind == "" {
				v.addf(p+".kind", "is required: one of %s", strings.Join(RuleKinds, ", "))
			} else {
				v.addf(p+".kind", "unknown kind %q: use one of %s", kind, strings.Join(RuleKinds, ", "))
			}
		}

		switch {
		case kind == KindHotlineShort && r.Hotline == "":
			v.addf(p+".hotline", `is required for %s, e.g. "122"`, kind)
		case r.Hotline != "" && kind != KindHotlineShort && kind != KindDeskDown && kind != "":
			v.addf(p+".hotline", "is only for %s and %s rules", KindHotlineShort, KindDeskDown)
		case r.Hotline != "" && !digitsRe.MatchString(r.Hotline):
			v.addf(p+".hotline", "%q is not a hotline number (digits only)", r.Hotline)
		case r.Hotline != "" && len(known) > 0 && !slices.Contains(known, r.Hotline):
			v.addf(p+".hotline", "unknown hotline %q: known are %s", r.Hotline, strings.Join(known, ", "))
		}

		switch {
		case kind == KindHotlineShort && r.MinUp < 1:
			v.addf(p+".min_up", "must be at least 1 for %s: the rule fires when fewer desks are up", kind)
		case kind != KindHotlineShort && r.MinUp != 0 && kind != "":
			v.addf(p+".min_up", "is only for %s rules", KindHotlineShort)
		}

		switch {
		case kind == KindReportDue && r.Days < 0:
			v.addf(p+".days", "must not be negative (0: only once overdue)")
		case kind == KindReportDue && r.Days > 92:
			v.addf(p+".days", "%d is longer than a quarter", r.Days)
		case kind != KindReportDue && r.Days != 0 && kind != "":
			v.addf(p+".days", "is only for %s rules", KindReportDue)
		}

		if r.For < 0 {
			v.addf(p+".for", "%s must not be negative", r.For)
		}

		if len(r.Channels) == 0 {
			v.addf(p+".channels", "at least one channel is required")
		}
		seen := map[string]bool{}
		for j, ch := range r.Channels {
			cp := fmt.Sprintf("%s.channels[%d]", p, j)
			switch {
			case seen[ch]:
				v.addf(cp, "%q is listed twice", ch)
			case !channels[ch]:
				v.addf(cp, "unknown channel %q: define it under alerts.channels.webhook or alerts.channels.email", ch)
			}
			seen[ch] = true
		}
	}
}

// channels checks the channel definitions and returns the valid names.
func (v *validator) channels(c *Channels) map[string]bool {
	names := map[string]bool{}
	first := map[string]string{}
	name := func(p, n string) {
		switch f, dup := first[n]; {
		case n == "":
			v.addf(p+".name", "is required")
		case !nameRe.MatchString(n):
			v.addf(p+".name", "%q may contain only letters A-Z a-z, digits, '.', '_' and '-'", n)
		case dup:
			v.addf(p+".name", "%q is already used by %s", n, f)
		default:
			first[n] = p
			names[n] = true
		}
	}
	for i, w := range c.Webhook {
		p := fmt.Sprintf("alerts.channels.webhook[%d]", i)
		name(p, w.Name)
		v.webhook(p, w)
	}
	for i, e := range c.Email {
		p := fmt.Sprintf("alerts.channels.email[%d]", i)
		name(p, e.Name)
		v.email(p, e)
	}
	return names
}

func (v *validator) webhook(p string, w WebhookConfig) {
	if w.URL == "" {
		v.addf(p+".url", "is required, e.g. https://hooks.example.ru/deskwatch")
	} else if u, err := url.Parse(w.URL); err != nil {
		v.addf(p+".url", "not a valid URL") // the URL may hold a token: not echoed
	} else if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		v.addf(p+".url", "must be an absolute http:// or https:// URL with a host")
	} else if u.User != nil {
		v.addf(p+".url", "must not contain a user name or password; use headers (e.g. Authorization)")
	}
	v.timeoutRetries(p, w.Timeout, w.Retries)
	keys := make([]string, 0, len(w.Headers))
	for k := range w.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		hp := p + ".headers." + k
		switch {
		case !tokenRe.MatchString(k):
			v.addf(hp, "%q is not a valid header name", k)
		case slices.Contains(reservedHeaders, textproto.CanonicalMIMEHeaderKey(k)):
			v.addf(hp, "is set by deskwatch and cannot be configured")
		case strings.ContainsAny(w.Headers[k], "\r\n"):
			v.addf(hp, "the value must be one line")
		}
	}
	if w.SecretEnv != "" {
		v.env(p+".secret_env", w.SecretEnv, "the HMAC key")
	}
}

func (v *validator) email(p string, e EmailConfig) {
	host := ""
	if e.SMTP == "" {
		v.addf(p+".smtp", "is required: host:port, e.g. mail.example.ru:587")
	} else if h, port, err := net.SplitHostPort(e.SMTP); err != nil || h == "" || !digitsRe.MatchString(port) {
		v.addf(p+".smtp", "%q is not host:port, e.g. mail.example.ru:587", e.SMTP)
	} else {
		host = h
	}
	if e.From == "" {
		v.addf(p+".from", "is required, e.g. deskwatch@example.ru")
	} else if _, err := mail.ParseAddress(e.From); err != nil {
		v.addf(p+".from", "%q is not an e-mail address", e.From)
	}
	if len(e.To) == 0 {
		v.addf(p+".to", "at least one recipient is required")
	}
	for i, to := range e.To {
		if _, err := mail.ParseAddress(to); err != nil {
			v.addf(fmt.Sprintf("%s.to[%d]", p, i), "%q is not an e-mail address", to)
		}
	}
	v.timeoutRetries(p, e.Timeout, e.Retries)

	switch {
	case e.PasswordEnv != "" && e.PasswordFile != "":
		v.addf(p+".password_file", "conflicts with password_env: set only one of them")
	case e.Username == "" && (e.PasswordEnv != "" || e.PasswordFile != ""):
		v.addf(p+".username", "is required when a password is set")
	case e.Username != "" && e.PasswordEnv == "" && e.PasswordFile == "":
		v.addf(p, "no password source for username %q: set password_env or password_file", e.Username)
	case e.PasswordEnv != "":
		v.env(p+".password_env", e.PasswordEnv, "the password")
	case e.PasswordFile != "":
		if _, err := readSecret("", e.PasswordFile); err != nil {
			v.addf(p+".password_file", "%v", err)
		}
	}
	if e.Username != "" && !e.UseStartTLS() && host != "" && !isLocalhost(host) {
		v.addf(p+".starttls", "must be true when username is set: the password is never sent unencrypted (except to localhost)")
	}
}

func (v *validator) timeoutRetries(p string, timeout time.Duration, retries *int) {
	if timeout < 0 {
		v.addf(p+".timeout", "%s must not be negative", timeout)
	}
	if retries != nil && (*retries < 0 || *retries > maxRetries) {
		v.addf(p+".retries", "%d must be from 0 to %d", *retries, maxRetries)
	}
}

func (v *validator) env(path, name, what string) {
	if !envNameRe.MatchString(name) {
		// Not echoed: it may be the secret pasted in the wrong place.
		v.addf(path, "not a valid environment variable name; it must name the variable that holds %s, not %s itself", what, what)
		return
	}
	if _, err := readSecret(name, ""); err != nil {
		v.addf(path, "%v", err)
	}
}

// readSecret reads a secret from the environment variable env or the file
// (trailing newlines trimmed). Errors name the variable or file, never the
// secret.
func readSecret(env, file string) (string, error) {
	switch {
	case env != "":
		s, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", env)
		}
		if s == "" {
			return "", fmt.Errorf("environment variable %s is empty", env)
		}
		return s, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("cannot read password file: %w", err)
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return "", fmt.Errorf("password file %s is empty", file)
		}
		return s, nil
	}
	return "", errors.New("no secret source")
}

func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// MarshalZerologObject logs the section without secrets: header values,
// passwords and HMAC keys are never shown, only where they come from.
func (c *Config) MarshalZerologObject(e *zerolog.Event) {
	rules := make([]string, len(c.Rules))
	for i, r := range c.Rules {
		rules[i] = r.Name + ":" + r.Kind
	}
	var webhooks, emails []string
	for _, w := range c.Channels.Webhook {
		host := "?"
		if u, err := url.Parse(w.URL); err == nil {
			host = u.Host
		}
		webhooks = append(webhooks, w.Name+"→"+host)
	}
	for _, m := range c.Channels.Email {
		emails = append(emails, m.Name+"→"+m.SMTP)
	}
	e.Strs("rules", rules).Strs("webhooks", webhooks).Strs("email", emails)
}
