package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"deskwatch/alerts"
)

const maxAlertRetries = 10

var (
	tlsModes  = []string{alerts.TLSStartTLS, alerts.TLSImplicit, alerts.TLSNone}
	authModes = []string{alerts.AuthPlain, alerts.AuthLogin, alerts.AuthNone}
)

var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$") // RFC 9110 token

// reservedHeaders are set by the notifier and cannot be configured.
var reservedHeaders = []string{"Content-Type", "Content-Length", "Host", "User-Agent",
	alerts.HeaderSignature, alerts.HeaderTimestamp, alerts.HeaderEvent, alerts.HeaderDelivery}

// alerts checks the alerts section. Fields left empty are checked as their
// defaults, and the secrets must be readable now, like the rest of the file.
func (v *validator) alerts() {
	chans := &validator{c: v.c}
	names := chans.alertChannels(&v.c.Alerts.Channels)
	v.alertRules(v.c.Alerts.Rules, names, v.c.AllHotlines())
	v.errs = append(v.errs, chans.errs...) // rules come first in the file
}

func (v *validator) alertRules(rules []AlertRule, channels map[string]bool, known []string) {
	names := map[string]string{}
	for i, r := range rules {
		p := fmt.Sprintf("alerts.rules[%d]", i)
		switch first, dup := names[r.Name]; {
		case r.Name == "":
			v.addf(p+".name", "is required")
		case !urlSafe.MatchString(r.Name):
			v.addf(p+".name", "%q may contain only letters A-Z a-z, digits, '.', '_' and '-' (it is part of the alert id)", r.Name)
		case dup:
			v.addf(p+".name", "%q is already used by %s", r.Name, first)
		default:
			names[r.Name] = p
		}

		kind := r.Kind
		if !slices.Contains(alerts.RuleKinds, kind) {
			if kind == "" {
				v.addf(p+".kind", "is required: one of %s", strings.Join(alerts.RuleKinds, ", "))
			} else {
				v.addf(p+".kind", "unknown kind %q: use one of %s", kind, strings.Join(alerts.RuleKinds, ", "))
			}
		}

		switch {
		case kind == alerts.KindHotlineShort && r.Hotline == "":
			v.addf(p+".hotline", `is required for %s, e.g. "122"`, kind)
		case r.Hotline != "" && kind != alerts.KindHotlineShort && kind != alerts.KindDeskDown && kind != "":
			v.addf(p+".hotline", "is only for %s and %s rules", alerts.KindHotlineShort, alerts.KindDeskDown)
		case r.Hotline != "" && !digits.MatchString(r.Hotline):
			v.addf(p+".hotline", "%q is not a hotline number (digits only)", r.Hotline)
		case r.Hotline != "" && len(known) > 0 && !slices.Contains(known, r.Hotline):
			v.addf(p+".hotline", "unknown hotline %q: known are %s", r.Hotline, strings.Join(known, ", "))
		}

		switch {
		case kind == alerts.KindHotlineShort && r.MinUp < 1:
			v.addf(p+".min_up", "must be at least 1 for %s: the rule fires when fewer desks are up", kind)
		case kind != alerts.KindHotlineShort && r.MinUp != 0 && kind != "":
			v.addf(p+".min_up", "is only for %s rules", alerts.KindHotlineShort)
		}

		switch {
		case kind == alerts.KindReportDue && r.Days < 0:
			v.addf(p+".days", "must not be negative (0: only once overdue)")
		case kind == alerts.KindReportDue && r.Days > 92:
			v.addf(p+".days", "%d is longer than a quarter", r.Days)
		case kind != alerts.KindReportDue && r.Days != 0 && kind != "":
			v.addf(p+".days", "is only for %s rules", alerts.KindReportDue)
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
				v.addf(cp, "unknown channel %q: define it under alerts.channels.webhook, email or telegram", ch)
			}
			seen[ch] = true
		}
	}
}

// alertChannels checks the channel definitions and returns the valid names.
func (v *validator) alertChannels(c *ChannelsConfig) map[string]bool {
	names := map[string]bool{}
	first := map[string]string{}
	name := func(p, n string) {
		switch f, dup := first[n]; {
		case n == "":
			v.addf(p+".name", "is required")
		case !urlSafe.MatchString(n):
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
	for i, tg := range c.Telegram {
		p := fmt.Sprintf("alerts.channels.telegram[%d]", i)
		name(p, tg.Name)
		v.telegram(p, tg)
	}
	return names
}

var (
	botToken = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	chatID   = regexp.MustCompile(`^(-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{3,})$`)
)

func (v *validator) telegram(p string, tg TelegramConfig) {
	if u, err := url.Parse(tg.BaseURL); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		v.addf(p+".base_url", "must be an absolute http:// or https:// URL with a host and no user, query or fragment, e.g. %s", alerts.DefaultTelegramURL)
	}
	switch {
	case tg.ChatID == "":
		v.addf(p+".chat_id", `is required: the chat's number (a group's starts with -100) or "@channelname"`)
	case !chatID.MatchString(tg.ChatID):
		v.addf(p+".chat_id", `%q is neither a chat number nor "@channelname"`, tg.ChatID)
	}
	if tg.Lang != "" && tg.Lang != "ru" && tg.Lang != "en" {
		v.addf(p+".lang", "%q: use ru or en", tg.Lang)
	}
	v.timeoutRetries(p, tg.Timeout, tg.Retries)
	path := p + ".token_env"
	switch {
	case tg.TokenEnv != "" && tg.TokenFile != "":
		v.addf(p+".token_file", "conflicts with token_env: set only one of them")
		return
	case tg.TokenEnv == "" && tg.TokenFile == "":
		v.addf(p, "no bot token source: set token_env or token_file")
		return
	case tg.TokenEnv != "" && !envName.MatchString(tg.TokenEnv):
		v.alertSecretEnv(path, tg.TokenEnv, "the bot token") // says why, without the value
		return
	case tg.TokenFile != "":
		path = p + ".token_file"
	}
	token, err := readSecret(tg.TokenEnv, tg.TokenFile)
	switch {
	case err != nil:
		v.addf(path, "%v", err)
	case !botToken.MatchString(token):
		v.addf(path, "does not hold a bot token (digits, a colon, letters: as @BotFather gives it); not shown")
	}
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
		case !headerName.MatchString(k):
			v.addf(hp, "%q is not a valid header name", k)
		case slices.Contains(reservedHeaders, textproto.CanonicalMIMEHeaderKey(k)):
			v.addf(hp, "is set by deskwatch and cannot be configured")
		case strings.ContainsAny(w.Headers[k], "\r\n"):
			v.addf(hp, "the value must be one line")
		}
	}
	if w.SecretEnv != "" {
		v.alertSecretEnv(p+".secret_env", w.SecretEnv, "the HMAC key")
	}
	if w.Template != "" {
		v.bodyTemplate(p+".template", w.Template)
	}
	if w.ContentType != "" {
		if w.Template == "" {
			v.addf(p+".content_type", "is only for a body template (the JSON event is always %s)", alerts.DefaultWebhookContentType)
		} else if _, _, err := mime.ParseMediaType(w.ContentType); err != nil || strings.ContainsAny(w.ContentType, "\r\n") {
			v.addf(p+".content_type", "%q is not a media type, e.g. text/plain; charset=utf-8", w.ContentType)
		}
	}
}

// bodyTemplate reports a template that does not parse, or fails on a
// sample event, at its own line in the file when it is a block (|).
func (v *validator) bodyTemplate(path, text string) {
	_, err := alerts.ParseBodyTemplate(text, v.c.Location())
	if err == nil {
		return
	}
	line := v.c.line(path)
	var te *alerts.TemplateError
	if first, ok := v.c.blocks[path]; ok && errors.As(err, &te) && te.Line > 0 {
		line = first + te.Line - 1
	}
	v.errs = append(v.errs, &problem{path: path, line: line, msg: err.Error()})
}

func (v *validator) email(p string, e EmailConfig) {
	host := ""
	if e.SMTP == "" {
		v.addf(p+".smtp", "is required: host:port, e.g. mail.example.ru:587")
	} else if h, port, err := net.SplitHostPort(e.SMTP); err != nil || h == "" || !digits.MatchString(port) {
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
		v.alertSecretEnv(p+".password_env", e.PasswordEnv, "the password")
	case e.PasswordFile != "":
		if _, err := readSecret("", e.PasswordFile); err != nil {
			v.addf(p+".password_file", "%v", err)
		}
	}
	v.emailSecurity(p, e, host)
}

// emailSecurity checks tls (or its older spelling starttls), auth and
// ca_file: credentials never go over a plain link except to localhost.
func (v *validator) emailSecurity(p string, e EmailConfig, host string) {
	tlsPath, mode := p+".tls", e.TLSMode()
	if e.TLS == "" && e.StartTLS != nil {
		tlsPath = p + ".starttls"
	}
	switch {
	case e.TLS != "" && e.StartTLS != nil:
		v.addf(p+".starttls", "conflicts with tls: set only tls (starttls is its older spelling)")
	case !slices.Contains(tlsModes, mode):
		v.addf(tlsPath, "unknown mode %q: use %s", mode, strings.Join(tlsModes, ", "))
	}
	auth := e.AuthMode()
	switch {
	case !slices.Contains(authModes, auth):
		v.addf(p+".auth", "unknown mechanism %q: use %s", auth, strings.Join(authModes, ", "))
	case auth != alerts.AuthNone && e.Username == "":
		v.addf(p+".username", "is required with auth: %s", auth)
	case auth == alerts.AuthNone && e.Username != "":
		v.addf(p+".auth", "is none, yet username is set: use plain or login, or remove username")
	case auth != alerts.AuthNone && mode == alerts.TLSNone && host != "" && !isLocalhost(host):
		if tlsPath == p+".starttls" {
			v.addf(tlsPath, "must be true when username is set: the password is never sent unencrypted (except to localhost)")
		} else {
			v.addf(tlsPath, "must be starttls or implicit when username is set: the password is never sent unencrypted (except to localhost)")
		}
	}
	if e.CAFile == "" {
		return
	}
	if mode == alerts.TLSNone {
		v.addf(p+".ca_file", "has no use with tls: none")
	} else if pem, err := os.ReadFile(e.CAFile); err != nil {
		v.addf(p+".ca_file", "cannot read it: %v", err)
	} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		v.addf(p+".ca_file", "%s holds no PEM certificate", e.CAFile)
	}
}

func (v *validator) timeoutRetries(p string, timeout time.Duration, retries *int) {
	if timeout < 0 {
		v.addf(p+".timeout", "%s must not be negative", timeout)
	}
	if retries != nil && (*retries < 0 || *retries > maxAlertRetries) {
		v.addf(p+".retries", "%d must be from 0 to %d", *retries, maxAlertRetries)
	}
}

func (v *validator) alertSecretEnv(path, name, what string) {
	if !envName.MatchString(name) {
		// Not echoed: it may be the secret pasted in the wrong place.
		v.addf(path, "not a valid environment variable name; it must name the variable that holds %s, not %s itself", what, what)
		return
	}
	if _, err := readSecret(name, ""); err != nil {
		v.addf(path, "%v", err)
	}
}

func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
