package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/store"
)

const haLease = time.Second

// haInstance is one daemon of several sharing the harness's PBX and Redis,
// each with its own ari.app, its own monitor and its own HTTP port.
type haInstance struct {
	h      *harness
	d      *Daemon
	api    string
	cancel context.CancelFunc
	done   chan error
	roles  chan bool // every role change: true when it leads
}

func (h *harness) haConfig(instance, app string) (*config.Config, error) {
	text, err := h.haConfigText(instance, app)
	if err != nil {
		return nil, err
	}
	return config.Parse([]byte(text))
}

// haConfigText is the configuration of one instance: the harness's, with
// its own ari.app and state_dir and the ha section.
func (h *harness) haConfigText(instance, app string) (string, error) {
	text := strings.Replace(h.configText(), "app: deskwatch-test", "app: "+app, 1)
	// Each instance spools on its own host: its own state_dir.
	dir := filepath.Join(h.stateDir, instance)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	text = strings.Replace(text, "state_dir: "+h.stateDir+"\n", "state_dir: "+dir+"\n", 1)
	return text + "ha: {enabled: true, instance: " + instance + ", lease: " + haLease.String() + "}\n", nil
}

func (h *harness) startInstance(instance, app string) *haInstance {
	h.t.Helper()
	cfg, err := h.haConfig(instance, app)
	if err != nil {
		h.t.Fatal(err)
	}
	var logw io.Writer = io.Discard
	if os.Getenv("DESKWATCH_TEST_LOG") != "" {
		logw = os.Stderr
	}
	d, err := newDaemon(cfg, zerolog.New(logw).With().Timestamp().Str("instance", instance).Logger())
	if err != nil {
		h.t.Fatal(err)
	}
	in := &haInstance{h: h, d: d, api: "http://" + d.ln.Addr().String(), done: make(chan error, 1), roles: make(chan bool, 64)}
	d.ha.onRole = func(leading bool, _ int64) { in.roles <- leading }
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() { in.done <- d.Run(ctx) }()
	h.t.Cleanup(in.stop)
	in.waitFor("ARI connected", func() bool {
		var hz struct {
			ARI struct{ Connected bool } `json:"ari"`
		}
		in.get("/healthz", &hz)
		return hz.ARI.Connected
	})
	return in
}

// stop is a clean shutdown (SIGTERM); safe to call again.
func (in *haInstance) stop() {
	if in.cancel == nil {
		return
	}
	in.cancel()
	select {
	case err := <-in.done:
		if err != nil {
			in.h.t.Errorf("daemon returned %v", err)
		}
	case <-time.After(10 * time.Second):
		in.h.t.Error("daemon did not stop within 10 s")
	}
	in.cancel = nil
}

// crash is kill -9 as far as Redis can tell: renewals and writes stop at
// once, and nothing is released on the way out.
func (in *haInstance) crash() {
	in.d.ha.stopped.Store(true)
	in.d.ha.gate.crashed.Store(true)
	in.stop()
}

// pause stops renewals and holds writes (a frozen process). resume lets
// the held writes go first, as a thawed process sends what it had in hand
// before its next renewal; renewals resume with renew.
func (in *haInstance) pause() (resume, renew func()) {
	ch := make(chan struct{})
	in.d.ha.stopped.Store(true)
	in.d.ha.gate.paused.Store(&ch)
	return func() { close(ch) }, func() { in.d.ha.stopped.Store(false) }
}

// waitRole waits for the instance to lead (or stand by) and returns when.
func (in *haInstance) waitRole(leading bool, within time.Duration) time.Time {
	in.h.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l := <-in.roles:
			if l == leading {
				return time.Now()
			}
		case <-deadline:
			in.h.t.Fatalf("no role change to leading=%v within %s", leading, within)
		}
	}
}

func (in *haInstance) get(path string, out any) int {
	api := in.h.api
	defer func() { in.h.api = api }()
	in.h.api = in.api
	return in.h.get(path, out)
}

func (in *haInstance) waitFor(what string, cond func() bool) {
	in.h.t.Helper()
	in.h.waitFor(what, cond)
}

func (in *haInstance) deskState(id string) string {
	var r struct{ Workstations []deskState }
	in.get("/api/v1/workstations", &r)
	for _, d := range r.Workstations {
		if d.ID == id {
			return d.State
		}
	}
	return ""
}

func (in *haInstance) metricsText() string {
	api := in.h.api
	defer func() { in.h.api = api }()
	in.h.api = in.api
	return in.h.metricsText()
}

// haStore reads what the instances wrote, straight from Redis.
func (h *harness) haStore() *store.Store {
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr()})
	h.t.Cleanup(func() { _ = rdb.Close() })
	return store.New(rdb, "dwtest:", zerolog.Nop())
}
