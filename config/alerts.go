package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/alerts"
)

// AlertsConfig is the alerts section (alerts:). See the alerts package for
// what the rules and channels do.
type AlertsConfig struct {
	Rules    []AlertRule    `yaml:"rules"`
	Channels ChannelsConfig `yaml:"channels"`
}

// AlertRule is one rule as written in the file; it has the fields of
// alerts.Rule, so one converts to the other.
type AlertRule struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	// Hotline: required for hotline_short; for desk_down an optional filter
	// (only desks serving it); not allowed for the other kinds.
	Hotline  string        `yaml:"hotline"`
	MinUp    int           `yaml:"min_up"`
	For      time.Duration `yaml:"for"`
	Days     int           `yaml:"days"`
	Channels []string      `yaml:"channels"`
}

// ChannelsConfig are the delivery targets; names are unique across all
// lists.
type ChannelsConfig struct {
	Webhook  []WebhookConfig  `yaml:"webhook"`
	Email    []EmailConfig    `yaml:"email"`
	Telegram []TelegramConfig `yaml:"telegram"`
}

// TelegramConfig is a chat that a bot writes to.
type TelegramConfig struct {
	Name    string `yaml:"name"`
	BaseURL string `yaml:"base_url"` // Bot API; default https://api.telegram.org
	// The bot token comes from exactly one of these; it is never logged.
	TokenEnv  string        `yaml:"token_env"`
	TokenFile string        `yaml:"token_file"`
	ChatID    string        `yaml:"chat_id"` // -100... for a group, or @channel
	Lang      string        `yaml:"lang"`    // ru (default) or en
	Timeout   time.Duration `yaml:"timeout"` // per attempt; default 10s
	Retries   *int          `yaml:"retries"` // after the first attempt; default 3
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
	// SecretEnv, if set, names an environment variable holding the HMAC key.
	SecretEnv string `yaml:"secret_env"`
	// Template renders the body instead of the JSON event (alerts.
	// ParseBodyTemplate), sent as ContentType (default JSON).
	Template    string `yaml:"template"`
	ContentType string `yaml:"content_type"`
}

// EmailConfig is an SMTP submission target.
type EmailConfig struct {
	Name string `yaml:"name"`
	SMTP string `yaml:"smtp"` // host:port, e.g. mail.example.ru:587
	// TLS: starttls | implicit | none; default implicit on port 465,
	// starttls elsewhere. none only without AUTH or to localhost.
	TLS string `yaml:"tls"`
	// StartTLS is the older spelling: true is TLS by port, false is none.
	StartTLS *bool  `yaml:"starttls"`
	Auth     string `yaml:"auth"`     // plain | login | none; default plain with username
	Username string `yaml:"username"` // empty: no AUTH
	// CAFile is a PEM bundle trusted besides the system roots (private CA).
	CAFile string `yaml:"ca_file"`
	// The password comes from exactly one of these when Username is set.
	PasswordEnv  string        `yaml:"password_env"`
	PasswordFile string        `yaml:"password_file"`
	From         string        `yaml:"from"`
	To           []string      `yaml:"to"`
	Timeout      time.Duration `yaml:"timeout"` // whole SMTP session; default 30s
	Retries      *int          `yaml:"retries"` // after the first attempt; default 3
}

// TLSMode is the effective tls: as set, else from starttls, else by port
// (465 speaks TLS from the first byte).
func (e EmailConfig) TLSMode() string {
	switch {
	case e.TLS != "":
		return e.TLS
	case e.StartTLS != nil && !*e.StartTLS:
		return alerts.TLSNone
	}
	if _, port, _ := net.SplitHostPort(e.SMTP); port == "465" {
		return alerts.TLSImplicit
	}
	return alerts.TLSStartTLS
}

// UseStartTLS reports whether the session must be upgraded with STARTTLS.
func (e EmailConfig) UseStartTLS() bool { return e.TLSMode() == alerts.TLSStartTLS }

// AuthMode is the effective auth: as set, else plain with a username.
func (e EmailConfig) AuthMode() string {
	switch {
	case e.Auth != "":
		return e.Auth
	case e.Username != "":
		return alerts.AuthPlain
	}
	return alerts.AuthNone
}

// setDefaults fills timeouts and retries left empty.
func (a *AlertsConfig) setDefaults() {
	for i := range a.Channels.Webhook {
		w := &a.Channels.Webhook[i]
		timeoutRetries(&w.Timeout, &w.Retries, alerts.DefaultWebhookTimeout)
	}
	for i := range a.Channels.Email {
		e := &a.Channels.Email[i]
		timeoutRetries(&e.Timeout, &e.Retries, alerts.DefaultEmailTimeout)
		// tls and auth stay as written (Validate tells tls from starttls);
		// TLSMode and AuthMode give the defaults.
	}
	for i := range a.Channels.Telegram {
		tg := &a.Channels.Telegram[i]
		timeoutRetries(&tg.Timeout, &tg.Retries, alerts.DefaultTelegramTimeout)
		if tg.BaseURL == "" {
			tg.BaseURL = alerts.DefaultTelegramURL
		}
	}
}

func timeoutRetries(timeout *time.Duration, retries **int, def time.Duration) {
	if *timeout == 0 {
		*timeout = def
	}
	if *retries == nil {
		*retries = ptr(alerts.DefaultRetries)
	}
}

func ptr[T any](v T) *T { return &v }

// AlertRules returns the rules for the alerts evaluator, in file order.
func (c *Config) AlertRules() []alerts.Rule {
	out := make([]alerts.Rule, 0, len(c.Alerts.Rules))
	for _, r := range c.Alerts.Rules {
		out = append(out, alerts.Rule(r))
	}
	return out
}

// AlertChannels returns the channels for the alerts notifier, reading the
// secrets now (webhook HMAC keys, SMTP passwords, bot tokens) and the SMTP
// CA files: it fails if one is missing, naming the channel and where the
// secret should be, never the secret.
func (c *Config) AlertChannels() (alerts.Channels, error) {
	var out alerts.Channels
	for _, w := range c.Alerts.Channels.Webhook {
		o := alerts.WebhookOptions{Name: w.Name, URL: w.URL, Timeout: w.Timeout, Retries: deref(w.Retries, alerts.DefaultRetries), Headers: w.Headers,
			Template: w.Template, ContentType: w.ContentType}
		if w.SecretEnv != "" {
			s, err := readSecret(w.SecretEnv, "")
			if err != nil {
				return alerts.Channels{}, fmt.Errorf("alerts webhook %s: secret_env: %w", w.Name, err)
			}
			o.Secret = []byte(s)
		}
		out.Webhook = append(out.Webhook, o)
	}
	for _, e := range c.Alerts.Channels.Email {
		o := alerts.EmailOptions{Name: e.Name, SMTP: e.SMTP, TLS: e.TLSMode(), Auth: e.AuthMode(), Username: e.Username,
			From: e.From, To: e.To, Timeout: e.Timeout, Retries: deref(e.Retries, alerts.DefaultRetries)}
		if e.CAFile != "" {
			pem, err := os.ReadFile(e.CAFile)
			if err != nil {
				return alerts.Channels{}, fmt.Errorf("alerts email %s: ca_file: %w", e.Name, err)
			}
			o.CACerts = pem
		}
		if e.Username != "" {
			// A user without a password must not log in with "" (Validate
			// says so first when the config comes from a file).
			pw, err := requiredSecret(e.PasswordEnv, e.PasswordFile)
			if err != nil {
				return alerts.Channels{}, fmt.Errorf("alerts email %s: password: %w", e.Name, err)
			}
			o.Password = pw
		}
		out.Email = append(out.Email, o)
	}
	for _, tg := range c.Alerts.Channels.Telegram {
		o := alerts.TelegramOptions{Name: tg.Name, BaseURL: tg.BaseURL, ChatID: tg.ChatID, Lang: tg.Lang,
			Timeout: tg.Timeout, Retries: deref(tg.Retries, alerts.DefaultRetries)}
		token, err := requiredSecret(tg.TokenEnv, tg.TokenFile)
		if err != nil {
			return alerts.Channels{}, fmt.Errorf("alerts telegram %s: token: %w", tg.Name, err)
		}
		o.Token = token
		out.Telegram = append(out.Telegram, o)
	}
	return out, nil
}

// requiredSecret is readSecret where no source is an error too.
func requiredSecret(env, file string) (string, error) {
	s, err := readSecret(env, file)
	if err == nil && s == "" {
		err = errors.New("no secret source")
	}
	return s, err
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// MarshalZerologObject logs the section without secrets: header values,
// passwords and HMAC keys are never shown, only where they come from.
func (a *AlertsConfig) MarshalZerologObject(e *zerolog.Event) {
	rules := make([]string, len(a.Rules))
	for i, r := range a.Rules {
		rules[i] = r.Name + ":" + r.Kind
	}
	host := func(s string) string {
		if u, err := url.Parse(s); err == nil {
			return u.Host
		}
		return "?"
	}
	var webhooks, emails, telegram []string
	for _, w := range a.Channels.Webhook {
		webhooks = append(webhooks, w.Name+"→"+host(w.URL))
	}
	for _, m := range a.Channels.Email {
		emails = append(emails, m.Name+"→"+m.SMTP)
	}
	for _, tg := range a.Channels.Telegram {
		telegram = append(telegram, tg.Name+"→"+host(tg.BaseURL)+" chat "+tg.ChatID)
	}
	e.Strs("rules", rules).Strs("webhooks", webhooks).Strs("email", emails).Strs("telegram", telegram)
}
