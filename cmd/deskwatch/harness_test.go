package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/internal/pbxsim"
	"deskwatch/internal/redistest"
)

// harness runs the real daemon (serve) against pbxsim and a real
// redis-server, over real sockets, and talks to it through its HTTP API.
type harness struct {
	t      *testing.T
	pbx    *pbxsim.Server
	redis  *redistest.Server
	phones []string
	token  string
	api    string
	// extraYAML is appended to the generated config (top-level sections).
	extraYAML string
	// httpYAML is appended to the http section (indented keys).
	httpYAML string
	// inService gives desks an in_service_from (RFC 3339).
	inService map[string]string
	listen    string       // the API's address after the first start: a restart keeps it
	reload    reloader     // reloads of the daemon, if a test sets it
	stateDir  string       // the daemon's state_dir, kept across restarts
	clock     atomic.Int64 // pbxsim's clock (unix ns); 0 = real time
	// deskYAML adds keys to a desk's flow mapping (", schedule: day").
	deskYAML map[string]string

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan error
}

const testARIPassword = "s3cret-ari"

func newHarness(t *testing.T, phones ...string) *harness {
	t.Helper()
	return newHarnessOn(t, redistest.StartServer(t), phones...)
}

// newHarnessOn is newHarness on a given redis-server.
func newHarnessOn(t *testing.T, srv *redistest.Server, phones ...string) *harness {
	t.Helper()
	h := &harness{t: t, phones: phones, token: "test-token-supervisor", stateDir: t.TempDir(), redis: srv}
	h.pbx = pbxsim.New(pbxsim.Options{Username: "deskwatch", Password: testARIPassword, Endpoints: phones, Clock: h.now, Logger: zerolog.Nop()})
	if err := h.pbx.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.pbx.Close)
	t.Setenv("DESKWATCH_TEST_ARI_PASSWORD", testARIPassword)
	t.Cleanup(h.stop)
	return h
}

// now is pbxsim's clock: real time unless a test pinned it.
func (h *harness) now() time.Time {
	if ns := h.clock.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Now()
}

// at pins pbxsim's clock so the event timestamps are known exactly (ms).
func (h *harness) at(t time.Time) time.Time {
	t = t.Truncate(time.Millisecond)
	h.clock.Store(t.UnixNano())
	return t
}

func (h *harness) config() *config.Config {
	h.t.Helper()
	cfg, err := config.Parse([]byte(h.configText()))
	if err != nil {
		h.t.Fatalf("config: %v", err)
	}
	return cfg
}

// configText is the daemon's configuration file for this harness.
func (h *harness) configText() string {
	sum := sha256.Sum256([]byte(h.token))
	vsum := sha256.Sum256([]byte("test-token-viewer"))
	listen := "127.0.0.1:0"
	if h.listen != "" {
		listen = h.listen // a restart listens where the clients (a browser) know it
	}
	var b strings.Builder
	fmt.Fprintf(&b, `timezone: Asia/Irkutsk
ari:
  url: %s
  username: deskwatch
  password_env: DESKWATCH_TEST_ARI_PASSWORD
  app: deskwatch-test
  reconnect_min: 50ms
  reconnect_max: 200ms
  max_skew: 1m # tests pin pbxsim's clock up to 43 s ahead to know event times
redis:
  url: redis://%s/0
  prefix: "dwtest:"
state_dir: %s
http:
  listen: %s
  tokens:
    - {name: duty, role: supervisor, sha256: "%s"}
    - {name: board, role: viewer, sha256: "%s"}
%sworkstations:
`, h.pbx.URL(), h.redis.Addr(), h.stateDir, listen, hex.EncodeToString(sum[:]), hex.EncodeToString(vsum[:]), h.httpYAML)
	for _, p := range h.phones {
		line := p[2:5]
		svc := ""
		if from, ok := h.inService[p]; ok {
			svc = ", in_service_from: " + from
		}
		svc += h.deskYAML[p]
		fmt.Fprintf(&b, "  - {id: %s, name: \"АРМ %s\", hotlines: [\"%s\"], endpoints: [\"PJSIP/%s\"]%s}\n", p, p, line, p, svc)
	}
	b.WriteString(h.extraYAML)
	return b.String()
}

// start runs the daemon and waits until ARI is connected. The first start
// listens on a free port; later ones (after stop) on the same address.
func (h *harness) start() {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var logw io.Writer = io.Discard
	if os.Getenv("DESKWATCH_TEST_LOG") != "" {
		logw = os.Stderr
	}
	cfg := h.config()
	go func() {
		done <- serveWith(ctx, cfg, zerolog.New(logw).With().Timestamp().Logger(), func(a string) { ready <- a }, h.reload)
	}()
	select {
	case a := <-ready:
		h.api = "http://" + a
		h.listen = a
	case err := <-done:
		cancel()
		h.t.Fatalf("daemon exited: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		h.t.Fatal("daemon did not listen")
	}
	h.cancel, h.done = cancel, done
	h.waitFor("ARI connected", func() bool {
		var hz struct {
			ARI struct{ Connected bool } `json:"ari"`
		}
		h.get("/healthz", &hz)
		return hz.ARI.Connected
	})
}

// stop shuts the daemon down as SIGTERM would.
func (h *harness) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("daemon returned %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Error("daemon did not stop within 10 s")
	}
	h.cancel = nil
}

func (h *harness) do(method, path, token string, body any, out any) int {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, h.api+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			h.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

func (h *harness) get(path string, out any) int { return h.do("GET", path, h.token, nil, out) }

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type outage struct {
	ID          string   `json:"id"`
	Workstation string   `json:"workstation"`
	Start       string   `json:"start"`
	End         *string  `json:"end"`
	Cause       string   `json:"cause"`
	Sources     []string `json:"sources"`
	Manual      bool     `json:"manual"`
	Excluded    bool     `json:"excluded"`
}

func (h *harness) outages(query string) []outage {
	h.t.Helper()
	var r struct{ Outages []outage }
	if code := h.get("/api/v1/outages?"+query, &r); code != 200 {
		h.t.Fatalf("outages: %d", code)
	}
	return r.Outages
}

func (h *harness) outagesOf(ws string) []outage {
	q := url.Values{"workstation": {ws}, "from": {time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)}, "to": {time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}}
	return h.outages(q.Encode())
}

type deskState struct {
	ID    string `json:"id"`
	State string `json:"state"`
	Cause string `json:"cause"`
	Since string `json:"since"`
}

func (h *harness) desk(id string) deskState {
	h.t.Helper()
	var r struct{ Workstations []deskState }
	h.get("/api/v1/workstations", &r)
	for _, d := range r.Workstations {
		if d.ID == id {
			return d
		}
	}
	h.t.Fatalf("desk %s not listed", id)
	return deskState{}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (h *harness) metricsText() string {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.api+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
