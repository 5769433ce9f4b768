package alerts

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/template"
	"time"
)

// Webhook request headers set by deskwatch.
const (
	HeaderSignature = "X-Deskwatch-Signature" // sha256=<hex HMAC-SHA256(key, timestamp.delivery.body)>
	HeaderTimestamp = "X-Deskwatch-Timestamp" // Unix seconds of this attempt
	HeaderEvent     = "X-Deskwatch-Event"     // firing | resolved
	HeaderDelivery  = "X-Deskwatch-Delivery"  // same for every attempt of one event
)

// WebhookOptions are a JSON POST receiver.
type WebhookOptions struct {
	Name    string
	URL     string
	Timeout time.Duration // per attempt; 0: DefaultWebhookTimeout
	Retries int           // after the first attempt
	// Headers are added to every request (e.g. Authorization); their values
	// are never logged.
	Headers map[string]string
	// Secret, if set, is the HMAC key: every request then carries
	// X-Deskwatch-Signature (see Sign).
	Secret []byte
	// Template, if set, renders the body instead of the JSON Event (see
	// ParseBodyTemplate), sent as ContentType (default
	// DefaultWebhookContentType).
	Template    string
	ContentType string
}

type webhook struct {
	cfg    WebhookOptions
	client *http.Client
	tmpl   *template.Template
	// fallback is told when the template fails on an event (the JSON
	// Event goes instead).
	fallback func(Event, error)

	// The body of the last event, so that its retries send the same bytes
	// and a template failure is reported once per event.
	lastID, lastType string
	lastBody         []byte
}

func newWebhook(cfg WebhookOptions, client *http.Client, loc *time.Location, fallback func(Event, error)) (*webhook, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultWebhookTimeout
	}
	if cfg.ContentType == "" {
		cfg.ContentType = DefaultWebhookContentType
	}
	w := &webhook{cfg: cfg, client: client, fallback: fallback}
	if cfg.Template != "" {
		t, err := ParseBodyTemplate(cfg.Template, loc)
		if err != nil {
			return nil, err
		}
		w.tmpl = t
	}
	return w, nil
}

// body renders ev: by the template if there is one and it works, else as
// the JSON Event.
func (w *webhook) body(ev Event, id string) ([]byte, string, error) {
	if id == w.lastID {
		return w.lastBody, w.lastType, nil
	}
	body, ctype := []byte(nil), w.cfg.ContentType
	if w.tmpl != nil {
		var err error
		if body, err = render(w.tmpl, ev); err != nil {
			w.fallback(ev, err)
		}
	}
	if body == nil {
		var err error
		if body, err = json.Marshal(ev); err != nil {
			return nil, "", fmt.Errorf("encode: %w", err)
		}
		ctype = DefaultWebhookContentType
	}
	w.lastID, w.lastType, w.lastBody = id, ctype, body
	return body, ctype, nil
}

// Sign returns the X-Deskwatch-Signature value of one attempt: the HMAC
// covers its timestamp and the delivery id as well as the body, so that a
// receiver that refuses old timestamps and ids it has seen cannot be fed a
// captured request again (README: "Webhook signatures").
func Sign(key []byte, timestamp, delivery string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp + "." + delivery + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w *webhook) deliver(ctx context.Context, ev Event) (bool, time.Duration, error) {
	id := deliveryID(ev, ev.Kind)
	body, ctype, err := w.body(ev, id)
	if err != nil {
		return false, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, 0, errors.New("invalid webhook URL") // not echoed: it may hold a token
	}
	for k, v := range w.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("User-Agent", "deskwatch")
	// A retry keeps the delivery id but gets a fresh timestamp: it is a new
	// request, not a replay.
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set(HeaderEvent, ev.Kind)
	req.Header.Set(HeaderDelivery, id)
	req.Header.Set(HeaderTimestamp, ts)
	if len(w.cfg.Secret) > 0 {
		req.Header.Set(HeaderSignature, Sign(w.cfg.Secret, ts, id, body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", w.cfg.Timeout)
		}
		return true, 0, fmt.Errorf("POST: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return false, 0, nil
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return true, retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("receiver answered %s", resp.Status)
	default:
		return false, 0, fmt.Errorf("receiver answered %s (not retried)", resp.Status)
	}
}

// retryAfter reads a Retry-After in seconds (the HTTP-date form is ignored).
func retryAfter(s string) time.Duration {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}
