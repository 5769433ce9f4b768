package ari

import (
	"context"
	"deskwatch/internal/logtest"
	"encoding/json"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"deskwatch/health"

	"github.com/rs/zerolog"
)

var t0 = time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time   { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time)  { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func newClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

type harness struct {
	c     *Client
	out   chan health.Observation
	clock *fakeClock
	logs  *logtest.Buffer
	stop  func() // cancels Run and fails the test unless it returns promptly
}

func startClient(t *testing.T, f *fakeARI, mod func(*Options)) *harness {
	t.Helper()
	h := &harness{out: make(chan health.Observation), clock: newClock(t0), logs: &logtest.Buffer{}}
	tr := &http.Transport{}
	opts := Options{
		URL: f.url(), Username: testUser, Password: testPassword, App: testApp,
		Endpoints:    []string{"op122-01", "PJSIP/op117-01", "op999-01"},
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 40 * time.Millisecond,
		Logger:     zerolog.New(h.logs).Level(zerolog.DebugLevel),
		HTTPClient: &http.Client{Transport: tr, Timeout: 5 * time.Second},
		Now:        h.clock.Now,
	}
	if mod != nil {
		mod(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, h.out) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v", err)
				}
			case <-time.After(3 * time.Second):
				t.Error("Run did not return after cancel")
			}
			tr.CloseIdleConnections()
		})
	}
	t.Cleanup(h.stop)
	return h
}

func (h *harness) next(t *testing.T) health.Observation {
	t.Helper()
	select {
	case o := <-h.out:
		return o
	case <-time.After(5 * time.Second):
		t.Fatal("no observation")
		return health.Observation{}
	}
}

// expectSnapshot reads the observations of one snapshot of ari-endpoints.json,
// then the contact of the one registered AOR the fake knows.
func (h *harness) expectSnapshot(t *testing.T, at time.Time) {
	t.Helper()
	var eps []struct{ Resource, State string }
	if err := json.Unmarshal(readTestdata(t, "ari-endpoints.json"), &eps); err != nil {
		t.Fatal(err)
	}
	var want []health.Observation
	for _, ep := range eps {
		kind := map[string]health.Kind{"online": health.KindOnline, "offline": health.KindOffline}[ep.State]
		want = append(want, health.Observation{Endpoint: "PJSIP/" + ep.Resource, Source: health.SourceARI,
			Kind: kind, At: at, Detail: "snapshot " + ep.State, Snapshot: true})
	}
	want = append(want,
		health.Observation{Endpoint: "PJSIP/op999-01", Source: health.SourceARI, Kind: health.KindMissing,
			At: at, Detail: "absent from GET /endpoints/PJSIP", Snapshot: true},
		health.Observation{Source: health.SourceARI, Kind: health.KindSighted, At: at, Detail: "snapshot of 20 endpoints"},
		health.Observation{Endpoint: "PJSIP/op122-01", Source: health.SourceARI, Kind: health.KindAORContact,
			At: at, Contact: "sip:op122-01@127.0.0.1:5101", Detail: "AOR contact"})
	for i, w := range want {
		if got := h.next(t); !reflect.DeepEqual(got, w) {
			t.Fatalf("snapshot item %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
}

func (h *harness) expectBlind(t *testing.T, at time.Time, mention string) {
	t.Helper()
	o := h.next(t)
	if o.Kind != health.KindBlind || o.Source != health.SourceARI || o.Endpoint != "" || !o.At.Equal(at) {
		t.Fatalf("got %+v, want Blind at %v", o, at)
	}
	if !strings.Contains(o.Detail, mention) {
		t.Errorf("Blind detail %q does not mention %q", o.Detail, mention)
	}
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

// translateAll is what the client emits for lines read at t0 (the fake
// clock's time unless a test moves it).
func translateAll(t *testing.T, lines [][]byte) []health.Observation {
	var all []health.Observation
	for _, l := range lines {
		obs, err := Translate(l)
		if err != nil {
			t.Fatal(err)
		}
		for i := range obs {
			obs[i].Received = t0
		}
		all = append(all, obs...)
	}
	return all
}

// Every event carries the time it was read by our clock beside the PBX's
// own timestamp, for the monitor to check one against the other.
func TestClientStampsReceipt(t *testing.T) {
	f := newFakeARI(t)
	h := startClient(t, f, nil)
	conn := f.accept(t)
	h.expectSnapshot(t, t0)
	t1 := t0.Add(time.Hour)
	h.clock.Set(t1)
	line := fixtureLines(t, "run2-tech-subscription.jsonl")[0]
	conn.send(t, line)
	want, _ := Translate(line)
	got := h.next(t)
	if !got.Received.Equal(t1) || !got.At.Equal(want[0].At) || got.At.Equal(t1) {
		t.Fatalf("event read at %v: got At %v, Received %v; want At %v (the PBX's)", t1, got.At, got.Received, want[0].At)
	}
}

// The whole life of a connection: subscribe, snapshot, stream (with junk in
// the middle), drop, reconnect, ApplicationReplaced, reconnect, shutdown.
func TestClientLifecycle(t *testing.T) {
	f := newFakeARI(t)
	h := startClient(t, f, nil)

	conn := f.accept(t)
	h.expectSnapshot(t, t0)
	if up, since := h.c.Connected(); !up || !since.Equal(t0) {
		t.Errorf("Connected() = %v, %v; want true, %v", up, since, t0)
	}
	f.mu.Lock()
	if q := f.eventsQueries[0]; q != "app="+testApp {
		t.Errorf("events query %q, want app=%s only", q, testApp)
	}
	if q := f.subscriptions[0]; q != "eventSource=endpoint:PJSIP" {
		t.Errorf("subscription query %q", q)
	}
	f.mu.Unlock()

	lines := fixtureLines(t, "run2-tech-subscription.jsonl")
	stream := append([][]byte{}, lines[:7]...)
	stream = append(stream,
		[]byte(`{"type":"ContactStatusChange","timestamp":`), // cut short
		[]byte(`{"type":"ChannelCreated","timestamp":"2026-11-27T16:07:55.000+0000","channel":{"id":"c1"}}`),
		[]byte(`{"type":"ChannelToneDetected","timestamp":"2026-11-27T16:07:55.000+0000"}`))
	stream = append(stream, lines[7:]...)
	conn.send(t, stream...)
	for i, w := range translateAll(t, lines) {
		if got := h.next(t); !reflect.DeepEqual(got, w) {
			t.Fatalf("event %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	waitFor(t, "stats", func() bool {
		s := h.c.Stats()
		return s.Messages == uint64(len(stream)) && s.Malformed == 1 && s.UnknownTypes == 2 &&
			s.Observations == 23+uint64(len(translateAll(t, lines)))
	})

	// The PBX goes away: one Blind at the moment of loss, then a fresh
	// subscription and snapshot on the new socket.
	t1 := t0.Add(time.Minute)
	h.clock.Set(t1)
	conn.drop()
	h.expectBlind(t, t1, "")
	conn = f.accept(t)
	h.expectSnapshot(t, t1)
	if _, _, subs, snaps := f.counts(); subs != 2 || snaps != 2 {
		t.Errorf("subscriptions %d, snapshots %d; want 2, 2", subs, snaps)
	}
	if s := h.c.Stats(); s.Reconnects != 1 || !s.Connected || !s.LastDisconnect.Equal(t1) {
		t.Errorf("stats after reconnect: %+v", s)
	}

	// Another monitor takes the application: stop reading this socket (the
	// event after ApplicationReplaced must not appear) and reconnect.
	t2 := t1.Add(time.Minute)
	h.clock.Set(t2)
	// The client may close the socket before the second write: ignore its error.
	_ = conn.trySend(fixtureLines(t, "run3-application-replaced.jsonl")[0], lines[0])
	h.expectBlind(t, t2, "replaced")
	f.accept(t)
	h.expectSnapshot(t, t2)
	if !strings.Contains(h.logs.String(), "must never share an application name") {
		t.Error("ApplicationReplaced not logged loudly")
	}

	h.stop()
	if up, _ := h.c.Connected(); up {
		t.Error("still connected after Run returned")
	}
}

func TestClientUnauthorizedBacksOff(t *testing.T) {
	f := newFakeARI(t)
	f.reject.Store(3)
	h := startClient(t, f, func(o *Options) { o.ReconnectMin = 20 * time.Millisecond })

	h.expectBlind(t, t0, "401") // once for the whole outage, not per attempt
	f.accept(t)
	h.expectSnapshot(t, t0)

	unauth, events, _, _ := f.counts()
	if unauth != 3 || events != 1 {
		t.Errorf("401s %d, accepted event requests %d; want 3, 1", unauth, events)
	}
	if s := h.c.Stats(); s.Reconnects != 3 {
		t.Errorf("reconnects %d, want 3", s.Reconnects)
	}
	f.mu.Lock()
	for i := 1; i < len(f.dialTimes); i++ {
		if gap := f.dialTimes[i].Sub(f.dialTimes[i-1]); gap < 20*time.Millisecond {
			t.Errorf("attempt %d came %s after the previous one, under ReconnectMin", i, gap)
		}
	}
	f.mu.Unlock()
	logs := h.logs.String()
	if strings.Count(logs, "ARI authentication error") != 3 {
		t.Errorf("want 3 authentication errors logged:\n%s", logs)
	}
	if strings.Contains(logs, testPassword) {
		t.Errorf("password in logs:\n%s", logs)
	}
}

// Events that arrive while the snapshot is in flight come after it.
func TestClientBuffersEventsDuringSnapshot(t *testing.T) {
	f := newFakeARI(t)
	f.snapshotGate, f.snapshotHeld = make(chan struct{}), make(chan struct{}, 1)
	h := startClient(t, f, nil)
	conn := f.accept(t)
	<-f.snapshotHeld
	lines := fixtureLines(t, "ari-events.jsonl")[:3]
	conn.send(t, lines...)
	// The reader has them (counted when read off the socket) before the
	// snapshot is let through: they raced it.
	waitFor(t, "the reader to read the 3 messages", func() bool { return h.c.Stats().Messages >= 3 })
	close(f.snapshotGate)
	h.expectSnapshot(t, t0)
	for _, w := range translateAll(t, lines) {
		w.Raced = true // they arrived while the snapshot was in flight
		if got := h.next(t); !reflect.DeepEqual(got, w) {
			t.Fatalf("got %+v, want %+v", got, w)
		}
	}
	// A message after the snapshot is not marked.
	conn.send(t, lines[0])
	if got := h.next(t); got.Raced {
		t.Fatalf("a message received after the snapshot is marked raced: %+v", got)
	}
}

// A slow consumer stalls the reader (and its pongs) but loses nothing and
// is not mistaken for a dead PBX.
func TestClientSlowConsumerLosesNothing(t *testing.T) {
	f := newFakeARI(t)
	h := startClient(t, f, func(o *Options) { o.PingInterval = 100 * time.Millisecond })
	conn := f.accept(t)
	h.expectSnapshot(t, t0)

	var lines [][]byte
	for _, l := range fixtureLines(t, "run2-tech-subscription.jsonl") {
		if obs, _ := Translate(l); len(obs) == 1 {
			lines = append(lines, l)
		}
	}
	var stream [][]byte
	for len(stream) < 300 {
		stream = append(stream, lines...)
	}
	go conn.send(t, stream...)
	time.Sleep(300 * time.Millisecond) // the reader fills its queue and waits through pings
	want := translateAll(t, stream)
	for i, w := range want {
		got := h.next(t)
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("observation %d:\n got %+v\nwant %+v", i, got, w)
		}
		if i%50 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if s := h.c.Stats(); s.Reconnects != 0 || !s.Connected {
		t.Errorf("a slow consumer caused a reconnect: %+v", s)
	}
}

// A PBX that stops answering (half-open TCP) is found by pings.
func TestClientPingFindsDeadPeer(t *testing.T) {
	f := newFakeARI(t)
	f.deaf.Store(1)
	h := startClient(t, f, func(o *Options) { o.PingInterval = 50 * time.Millisecond })
	f.accept(t)
	for { // the snapshot may or may not finish before the first ping fails
		o := h.next(t)
		if o.Kind == health.KindBlind {
			if !strings.Contains(o.Detail, "no pong") {
				t.Errorf("Blind detail %q", o.Detail)
			}
			break
		}
	}
	f.accept(t)
	h.expectSnapshot(t, t0)
}

func TestClientStopsWhileConsumerBlocked(t *testing.T) {
	f := newFakeARI(t)
	before := runtime.NumGoroutine()
	h := startClient(t, f, nil)
	conn := f.accept(t)
	h.next(t) // the rest of the snapshot is stuck in the send
	conn.send(t, fixtureLines(t, "ari-events.jsonl")...)
	h.stop()
	f.close()
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}

func TestClientStopsDuringBackoff(t *testing.T) {
	f := newFakeARI(t)
	f.reject.Store(1 << 30)
	h := startClient(t, f, func(o *Options) { o.ReconnectMin, o.ReconnectMax = time.Hour, time.Hour })
	h.expectBlind(t, t0, "401")
	start := time.Now()
	h.stop()
	if d := time.Since(start); d > time.Second {
		t.Errorf("stop took %s", d)
	}
}

func TestClientSubscriptionFailure(t *testing.T) {
	f := newFakeARI(t)
	f.failSubs.Store(1)
	h := startClient(t, f, nil)
	f.accept(t)
	h.expectBlind(t, t0, "HTTP 500")
	f.accept(t)
	h.expectSnapshot(t, t0)
}

func TestClientSnapshotOddEntries(t *testing.T) {
	f := newFakeARI(t)
	f.endpointsB = []byte(`[{"technology":"PJSIP","resource":"op122-01","state":"unknown"},` +
		`{"technology":"PJSIP","resource":"","state":"online"},` +
		`{"technology":"PJSIP","resource":"op117-01","state":"online"}]`)
	h := startClient(t, f, func(o *Options) { o.Endpoints = []string{"op122-01", "op117-01"} })
	f.accept(t)
	// op122-01 is listed, so not Missing, but its state says nothing.
	want := []health.Kind{health.KindOnline, health.KindSighted}
	for _, w := range want {
		if o := h.next(t); o.Kind != w {
			t.Fatalf("got %+v, want %s", o, w)
		}
	}
	if s := h.c.Stats(); s.UnknownStatuses != 1 || s.Malformed != 1 {
		t.Errorf("stats %+v", s)
	}
}
