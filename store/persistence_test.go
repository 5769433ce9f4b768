package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/internal/logtest"
	"deskwatch/internal/redistest"
	"deskwatch/metrics"
	"deskwatch/store"
)

func config(t *testing.T, addr string, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if _, err := redistest.Do(addr, "CONFIG", "SET", kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
}

func checkState(t *testing.T, p *store.PersistenceCheck, want int) {
	t.Helper()
	if got, reached := p.Check(context.Background()); got != want || !reached {
		t.Fatalf("Check() = %d, reached %v; want %d (%+v)", got, reached, want, p.Status())
	}
}

func TestPersistenceOfOneServer(t *testing.T) {
	t.Parallel()
	srv := redistest.StartServer(t) // appendonly no, save ""
	var logged logtest.Buffer
	p := store.NewPersistenceCheck(newClient(t, srv.Addr()), zerolog.New(&logged), store.PersistenceOptions{})
	if p.State() != store.PersistenceUnknown || p.Warnings() != nil {
		t.Fatalf("before the first check: %d %v", p.State(), p.Warnings())
	}
	checkState(t, p, store.NotPersistent)
	checkState(t, p, store.NotPersistent)
	if w := p.Warnings(); len(w) != 1 || w[0] != "redis_not_persistent" {
		t.Fatalf("Warnings() = %v", w)
	}
	if st := p.Status(); st.State != "not_persistent" || st.CheckedAt.IsZero() {
		t.Fatalf("Status() = %+v", st)
	}
	if ms := metrics.Gather(p); len(ms) != 1 || ms[0].Name != "deskwatch_redis_persistent" || ms[0].Value != 0 {
		t.Fatalf("metrics = %+v", ms)
	}
	if n := strings.Count(logged.String(), "keeps nothing on disk"); n != 1 {
		t.Fatalf("warned %d times, want once:\n%s", n, logged.String())
	}

	config(t, srv.Addr(), "save", "3600 1")
	checkState(t, p, store.Persistent)
	config(t, srv.Addr(), "save", "", "appendonly", "yes")
	checkState(t, p, store.Persistent)
	if p.Warnings() != nil || p.Metrics()[0].Value != 1 {
		t.Fatalf("persistent, yet warnings %v, metric %v", p.Warnings(), p.Metrics()[0].Value)
	}
}

// A server that forbids CONFIG (renamed, or an ACL user without it) is
// unknown, said once; an unreachable one is retried sooner.
func TestPersistenceUnknown(t *testing.T) {
	t.Parallel()
	renamed := redistest.StartServer(t, "--rename-command", "CONFIG", "")
	var logged logtest.Buffer
	p := store.NewPersistenceCheck(newClient(t, renamed.Addr()), zerolog.New(&logged), store.PersistenceOptions{})
	for range 3 {
		checkState(t, p, store.PersistenceUnknown)
	}
	if n := strings.Count(logged.String(), "persistence unknown"); n != 1 || strings.Contains(logged.String(), `"warn"`) {
		t.Fatalf("logged %d times, want once at info:\n%s", n, logged.String())
	}
	if p.Warnings() != nil || p.Metrics()[0].Value != -1 || p.Status().State != "unknown" {
		t.Fatalf("unknown: warnings %v, metric %v, status %+v", p.Warnings(), p.Metrics()[0].Value, p.Status())
	}

	acl := redistest.StartServer(t)
	if _, err := redistest.Do(acl.Addr(), "ACL", "SETUSER", "dw", "on", ">pw", "~*", "+@all", "-config"); err != nil {
		t.Fatal(err)
	}
	limited := redis.NewClient(&redis.Options{Addr: acl.Addr(), Username: "dw", Password: "pw"})
	t.Cleanup(func() { _ = limited.Close() })
	checkState(t, store.NewPersistenceCheck(limited, zerolog.Nop(), store.PersistenceOptions{}), store.PersistenceUnknown)

	down := redistest.StartServer(t)
	down.Stop()
	p = store.NewPersistenceCheck(newClient(t, down.Addr()), zerolog.Nop(), store.PersistenceOptions{Retry: 20 * time.Millisecond})
	if st, reached := p.Check(context.Background()); st != store.PersistenceUnknown || reached {
		t.Fatalf("Check() with Redis down = %d, reached %v", st, reached)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	down.Restart()
	deadline := time.Now().Add(30 * time.Second)
	for p.State() != store.NotPersistent { // the retry after Retry, not the hourly one
		if time.Now().After(deadline) {
			t.Fatalf("state %d after Redis came back", p.State())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// On a Cluster every master is read: one keeping nothing is enough to warn.
func TestPersistenceOfEveryClusterMaster(t *testing.T) {
	t.Parallel()
	c := redistest.StartClusterOf(t, 3, 0)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = rdb.Close() })
	p := store.NewPersistenceCheck(rdb, zerolog.Nop(), store.PersistenceOptions{})
	masters := c.Masters()
	for _, m := range masters[:2] {
		config(t, m.Addr(), "appendonly", "yes")
	}
	checkState(t, p, store.NotPersistent)
	if d := p.Status().Detail; !strings.Contains(d, masters[2].Addr()) || strings.Contains(d, masters[0].Addr()) {
		t.Fatalf("detail %q does not name only %s", d, masters[2].Addr())
	}
	config(t, masters[2].Addr(), "appendonly", "yes")
	checkState(t, p, store.Persistent)
}
