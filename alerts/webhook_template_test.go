package alerts

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/internal/logtest"
)

// hookRecorder is a webhook receiver that keeps every request; the first
// fail requests are answered 503.
type hookRecorder struct {
	mu   sync.Mutex
	reqs []capturedRequest
	fail atomic.Int32
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.reqs = append(h.reqs, capturedRequest{r.Header.Clone(), body})
	h.mu.Unlock()
	if h.fail.Add(-1) >= 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
}

func (h *hookRecorder) requests() []capturedRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]capturedRequest(nil), h.reqs...)
}

func TestWebhookBodyTemplate(t *testing.T) {
	rec := &hookRecorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cfg := hookConfig(srv.URL, 0, 0)
	cfg.Webhook[0].Secret = []byte("k")
	cfg.Webhook[0].Template = `{"text": {{json (printf "%s с %s" .SummaryRU (time .Since))}}}`
	_, fire, _ := deliverPair(t, cfg)

	reqs := rec.requests()
	want := `{"text": "` + fire.SummaryRU + ` с ` + fire.Since.In(irkutsk).Format("02.01.2006 15:04") + `"}`
	if got := string(reqs[0].body); got != want {
		t.Fatalf("body %s\nwant %s", got, want)
	}
	if ct := reqs[0].h.Get("Content-Type"); ct != DefaultWebhookContentType {
		t.Errorf("content type %q", ct)
	}
	if err := verifyDelivery([]byte("k"), reqs[0].h, reqs[0].body, time.Now(), map[string]time.Time{}); err != nil {
		t.Errorf("templated body not signed as sent: %v", err)
	}
}

func TestWebhookTemplateContentType(t *testing.T) {
	rec := &hookRecorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cfg := hookConfig(srv.URL, 0, 0)
	cfg.Webhook[0].Template = `{{text "en" .}}`
	cfg.Webhook[0].ContentType = "text/plain; charset=utf-8"
	_, fire, _ := deliverPair(t, cfg)
	r := rec.requests()[0]
	if string(r.body) != plainText(fire, irkutsk, langEN) || r.h.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("%q %q", r.h.Get("Content-Type"), r.body)
	}
}

// A template that fails on an event (here: no desk to index) is logged
// and counted once, the JSON Event goes instead, with its own content
// type, and the retry sends the same bytes.
func TestWebhookTemplateFallsBackToJSON(t *testing.T) {
	rec := &hookRecorder{}
	rec.fail.Store(1)
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cfg := hookConfig(srv.URL, 2, 0)
	cfg.Webhook[0].Template = `{{(index .Desks 0).Name}}`
	cfg.Webhook[0].ContentType = "text/plain"
	cfg.Webhook[0].Secret = []byte("hook-secret-value")
	var logs logtest.Buffer
	n := runNew(t, cfg, zerolog.New(&logs), fastOptions())
	blind := Event{ID: "blind/monitor", Kind: EventFiring, Rule: "blind", RuleKind: KindMonitorBlind,
		Since: sec(0), At: sec(60), SummaryRU: "Мониторинг не видит АРМ", SummaryEN: "Monitoring blind", Channels: []string{"hook"}}
	n.Send(blind)
	waitFor(t, "delivery", func() bool { return stats(n, "hook").Delivered == 1 })

	reqs := rec.requests()
	if len(reqs) != 2 || string(reqs[0].body) != string(reqs[1].body) || !strings.HasPrefix(string(reqs[1].body), `{"id":"blind/monitor"`) ||
		reqs[1].h.Get("Content-Type") != DefaultWebhookContentType {
		t.Fatalf("requests %+v", reqs)
	}
	if s := stats(n, "hook"); s.TemplateFailed != 1 || s.Failed != 0 || s.Retried != 1 {
		t.Fatalf("stats %+v", s)
	}
	if l := logs.String(); strings.Count(l, "body template failed") != 1 || strings.Contains(l, "hook-secret-value") || !strings.Contains(l, "index of untyped nil") && !strings.Contains(l, "out of range") {
		t.Fatalf("logs:\n%s", l)
	}
}

func TestParseBodyTemplateErrors(t *testing.T) {
	for _, tc := range []struct {
		text, want string
		line       int
	}{
		{"{\n  \"text\": {{json .SummaryRU}\n}", "bad character", 2},
		{"{{if .Kind}}\nno end", "unexpected EOF", 2},
		{"ok\n\n{{.Summary}}", "can't evaluate field Summary", 3},
		{"{{nosuch .Kind}}", `function "nosuch" not defined`, 1},
		{"a\n{{text \"fr\" .}}", `lang "fr"`, 2},
	} {
		_, err := ParseBodyTemplate(tc.text, irkutsk)
		var te *TemplateError
		if !errors.As(err, &te) || te.Line != tc.line || !strings.Contains(te.Msg, tc.want) {
			t.Errorf("%q: %v (%+v)", tc.text, err, te)
		}
	}
	if _, err := ParseBodyTemplate(`{{with .Counts}}{{.Up}}/{{.Total}}{{end}} {{range .Desks}}{{.Name}}{{end}} {{time .Until}} {{.Quarter}}`, nil); err != nil {
		t.Fatal(err)
	}
}
