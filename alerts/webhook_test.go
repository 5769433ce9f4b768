package alerts

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// sampleEvents are a firing and its resolution on channel ch.
func sampleEvents(ch ...string) (Event, Event) {
	w := newWorld("122", 1)
	e := NewEvaluator([]Rule{{Name: "desk", Kind: KindDeskDown, For: time.Second, Channels: ch}}, irkutsk)
	w.set("op122-01", StateDown, sec(0))
	e.Evaluate(sec(0), w.input())
	f := e.Evaluate(sec(1), w.input())
	w.set("op122-01", StateUp, sec(2))
	e.Evaluate(sec(2), w.input())
	r := e.Evaluate(sec(3), w.input())
	if len(f) != 1 || len(r) != 1 {
		panic("sample script")
	}
	return f[0], r[0]
}

func hookConfig(url string, retries int, timeout time.Duration) Channels {
	return Channels{Webhook: []WebhookOptions{{Name: "hook", URL: url, Retries: retries, Timeout: timeout}}}
}

// startNotifier runs n until the test ends.
func startNotifier(t *testing.T, n *Notifier) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = n.Run(ctx, nil) }()
	t.Cleanup(func() { cancel(); <-done })
}

func fastOptions() NotifierOptions {
	return NotifierOptions{BackoffMin: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond, Location: irkutsk}
}

// runNew builds a notifier and runs it until the test ends.
func runNew(t *testing.T, cfg Channels, log zerolog.Logger, opt NotifierOptions) *Notifier {
	t.Helper()
	n, err := NewNotifier(cfg, log, opt)
	if err != nil {
		t.Fatal(err)
	}
	startNotifier(t, n)
	return n
}

// deliverPair runs a notifier on cfg (one channel) until the test ends,
// sends it a firing and its resolution and waits until both are delivered.
func deliverPair(t *testing.T, cfg Channels) (*Notifier, Event, Event) {
	t.Helper()
	n := runNew(t, cfg, zerolog.Nop(), fastOptions())
	name := n.order[0].name
	fire, res := sampleEvents(name)
	n.Send(fire)
	n.Send(res)
	waitFor(t, "2 deliveries", func() bool { return stats(n, name).Delivered == 2 })
	return n, fire, res
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func stats(n *Notifier, name string) ChannelStats {
	for _, s := range n.Stats() {
		if s.Name == name {
			return s
		}
	}
	return ChannelStats{}
}

func TestWebhookDeliversSignedJSON(t *testing.T) {
	var mu sync.Mutex
	var got []Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if sig := r.Header.Get(HeaderSignature); sig != Sign([]byte("hmac-key"), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderDelivery), body) {
			t.Errorf("signature %q", sig)
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
			r.Header.Get("Authorization") != "Bearer t" || r.Header.Get(HeaderDelivery) == "" {
			t.Errorf("request %s %v", r.Method, r.Header)
		}
		var ev Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		if r.Header.Get(HeaderEvent) != ev.Kind {
			t.Errorf("event header %q for %q", r.Header.Get(HeaderEvent), ev.Kind)
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer srv.Close()

	cfg := hookConfig(srv.URL, 3, 0)
	cfg.Webhook[0].Secret = []byte("hmac-key")
	cfg.Webhook[0].Headers = map[string]string{"Authorization": "Bearer t"}
	n, fire, res := deliverPair(t, cfg)

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].Kind != EventFiring || got[1].Kind != EventResolved || got[0].ID != got[1].ID ||
		got[0].ID != "desk/desk/op122-01" || got[0].SummaryRU != fire.SummaryRU || !got[1].Until.Equal(res.Until) {
		t.Fatalf("received %+v", got)
	}
	if s := stats(n, "hook"); s.Failed+s.Retried+s.Dropped != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestWebhookRetriesServerErrors(t *testing.T) {
	var calls atomic.Int32
	var deliveries sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deliveries.Store(r.Header.Get(HeaderDelivery), true)
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	n, err := NewNotifier(hookConfig(srv.URL, 3, 0), zerolog.Nop(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	startNotifier(t, n)
	fire, _ := sampleEvents("hook")
	n.Send(fire)
	waitFor(t, "delivery", func() bool { return stats(n, "hook").Delivered == 1 })
	if s := stats(n, "hook"); calls.Load() != 3 || s.Retried != 2 || s.Failed != 0 {
		t.Fatalf("calls %d, stats %+v", calls.Load(), s)
	}
	ids := 0
	deliveries.Range(func(any, any) bool { ids++; return true })
	if ids != 1 {
		t.Fatalf("%d delivery ids across retries, want 1", ids)
	}
}

func TestWebhookGivesUp(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		retries   int
		wantCalls int32
	}{
		{"500 retried until spent", http.StatusInternalServerError, 2, 3},
		{"429 retried", http.StatusTooManyRequests, 1, 2},
		{"400 not retried", http.StatusBadRequest, 3, 1},
		{"404 not retried", http.StatusNotFound, 3, 1},
		{"redirect not followed", http.StatusFound, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if tc.status == http.StatusFound {
					w.Header().Set("Location", "/elsewhere")
				}
				if tc.status == http.StatusTooManyRequests {
					w.Header().Set("Retry-After", "1") // capped at BackoffMax
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			n, err := NewNotifier(hookConfig(srv.URL, tc.retries, 0), zerolog.Nop(), fastOptions())
			if err != nil {
				t.Fatal(err)
			}
			startNotifier(t, n)
			fire, _ := sampleEvents("hook")
			n.Send(fire)
			waitFor(t, "failure", func() bool { return stats(n, "hook").Failed == 1 })
			s := stats(n, "hook")
			if calls.Load() != tc.wantCalls || s.Retried != uint64(tc.wantCalls-1) || s.Delivered != 0 || s.LastError == "" {
				t.Fatalf("calls %d, stats %+v", calls.Load(), s)
			}
		})
	}
}

func TestWebhookTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // then the server notices the client hanging up
		if calls.Add(1) == 1 {
			select { // too slow the first time
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}
	}))
	defer srv.Close()
	n, err := NewNotifier(hookConfig(srv.URL, 1, 50*time.Millisecond), zerolog.Nop(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	startNotifier(t, n)
	fire, _ := sampleEvents("hook")
	n.Send(fire)
	waitFor(t, "delivery", func() bool { return stats(n, "hook").Delivered == 1 })
	if s := stats(n, "hook"); calls.Load() != 2 || s.Retried != 1 {
		t.Fatalf("calls %d, stats %+v", calls.Load(), s)
	}
}

// A stuck receiver fills its own bounded queue: Send never blocks, drops
// are counted, and once the receiver recovers what was queued goes out.
func TestFullQueueDropsWithoutBlocking(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
	}))
	defer srv.Close()
	opt := fastOptions()
	opt.QueueSize = 1
	n, err := NewNotifier(hookConfig(srv.URL, 0, 10*time.Second), zerolog.Nop(), opt)
	if err != nil {
		t.Fatal(err)
	}
	startNotifier(t, n)
	fire, res := sampleEvents("hook")
	n.Send(fire)
	waitFor(t, "first request in flight", func() bool { return calls.Load() == 1 })
	start := time.Now()
	for range 3 {
		n.Send(res) // one queued, two dropped
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("Send blocked for %s", d)
	}
	if s := stats(n, "hook"); s.Dropped != 2 || s.Queued != 1 {
		t.Fatalf("stats %+v", s)
	}
	close(release)
	waitFor(t, "queued delivery", func() bool { return stats(n, "hook").Delivered == 2 })
}

// Run with an events channel drains the queues when the channel closes,
// and runs again after it returned.
func TestRunDrainsWhenEventsClose(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer srv.Close()
	n, err := NewNotifier(hookConfig(srv.URL, 0, 0), zerolog.Nop(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan Event, 2)
	fire, res := sampleEvents("hook")
	events <- fire
	events <- res
	close(events)
	if err := n.Run(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || stats(n, "hook").Delivered != 2 {
		t.Fatalf("calls %d, stats %+v", calls.Load(), stats(n, "hook"))
	}
	// Run again once it has returned (an ha instance's second tenure).
	again := make(chan Event, 1)
	again <- fire
	close(again)
	if err := n.Run(context.Background(), again); err != nil || stats(n, "hook").Delivered != 3 {
		t.Fatalf("second Run: %v, stats %+v", err, stats(n, "hook"))
	}
}
