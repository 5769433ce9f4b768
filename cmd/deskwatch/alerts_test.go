package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Alerts reach a webhook exactly once when a condition starts and once when
// it ends, and a flap shorter than the hold-down sends nothing.
func TestE2EAlertsWebhookOncePerStartAndEnd(t *testing.T) {
	hookURL, events := webhookRecorder(t)

	h := newHarness(t, "op122-01", "op122-02")
	h.extraYAML = deskDownAlertYAML(hookURL, "2s")
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.pbx.Register("op122-02", "sip:op122-02@127.0.0.1:5102")
	h.start()
	h.waitFor("desks up", func() bool { return h.desk("op122-01").State == "up" && h.desk("op122-02").State == "up" })

	// A flap of op122-02 shorter than the hold-down: nothing.
	h.pbx.Unreachable("op122-02")
	time.Sleep(500 * time.Millisecond)
	h.pbx.Reachable("op122-02")

	h.pbx.Unregister("op122-01")
	h.waitFor("firing", func() bool { return len(events()) >= 1 })
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.waitFor("resolved", func() bool { return len(events()) >= 2 })
	time.Sleep(3 * time.Second) // nothing more may come
	evs := events()
	if len(evs) != 2 || evs[0]["kind"] != "firing" || evs[1]["kind"] != "resolved" || evs[0]["id"] != evs[1]["id"] {
		t.Fatalf("webhook got %d events: %v", len(evs), evs)
	}
	desks, _ := evs[0]["desks"].([]any)
	if len(desks) != 1 || desks[0].(map[string]any)["id"] != "op122-01" {
		t.Fatalf("firing names %v", evs[0]["desks"])
	}
}

// deskDownAlertYAML is an alerts section: desk_down after hold, to the
// webhook at url.
func deskDownAlertYAML(url, hold string) string {
	return `alerts:
  rules:
    - {name: desk-down, kind: desk_down, for: ` + hold + `, channels: [hook]}
  channels:
    webhook:
      - {name: hook, url: "` + url + `", timeout: 2s}
`
}

// webhookRecorder is a webhook that keeps the JSON events it receives.
func webhookRecorder(t *testing.T) (url string, events func() []map[string]any) {
	var mu sync.Mutex
	var got []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev map[string]any
		if json.Unmarshal(b, &ev) == nil {
			mu.Lock()
			got = append(got, ev)
			mu.Unlock()
		}
	}))
	t.Cleanup(hook.Close)
	return hook.URL, func() []map[string]any {
		mu.Lock()
		defer mu.Unlock()
		return append([]map[string]any(nil), got...)
	}
}
