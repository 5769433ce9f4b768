package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/internal/slowclient"
)

// Short limits, so that the test waits little for the cuts.
const (
	testHeaderTimeout = 2 * time.Second
	testReadTimeout   = 2 * time.Second
	testWriteTimeout  = 2 * time.Second
	testIdleTimeout   = time.Second
	testPerClient     = 16
)

// An anonymous client on the LAN cannot blind the monitor: a flood of
// connections from one address is capped at once, idle and trickling
// connections are cut within their timeouts, and meanwhile authorized
// requests are answered, the event stream outlives every timeout and the
// ARI connection stays up.
func TestAnonymousFloodLeavesTheMonitorUp(t *testing.T) {
	h := newHarness(t, "op122-01")
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.httpYAML = fmt.Sprintf("  read_header_timeout: %s\n  read_timeout: %s\n  write_timeout: %s\n  idle_timeout: %s\n  max_connections: 256\n  max_connections_per_client: %d\n",
		testHeaderTimeout, testReadTimeout, testWriteTimeout, testIdleTimeout, testPerClient)
	h.start()
	addr := strings.TrimPrefix(h.api, "http://")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := h.stream(ctx)
	streamSince := time.Now()
	if ev := next(t, events, slowclient.Generous); ev.event != "snapshot" {
		t.Fatalf("first event %+v", ev)
	}

	// A flood from one address: the cap holds, the rest are closed at once.
	fdsBefore := openFiles(t)
	const flood = 200
	start := time.Now()
	conns := make([]net.Conn, flood)
	for i := range conns {
		conns[i] = slowclient.Dial(t, "127.0.0.2", addr)
	}
	dialed := time.Since(start)
	fdsDuring := openFiles(t)
	if code := h.get("/api/v1/workstations", nil); code != 200 {
		t.Fatalf("an authorized request during the flood: %d", code)
	}
	var longest time.Duration
	for _, c := range conns {
		longest = max(longest, slowclient.ClosedWithin(t, c, testHeaderTimeout+slowclient.Generous))
	}
	t.Logf("flood of %d: dialed in %v, all closed within %v; the daemon held %d of them (this process's open files during the flood, less the flood's own sockets and those before)",
		flood, dialed, longest, fdsDuring-fdsBefore-flood)
	refused := refusedByCap(t, h.metricsText(), "max_connections_per_client")
	if dialed < testHeaderTimeout && refused != flood-testPerClient {
		t.Errorf("%v connections refused by max_connections_per_client, want %d", refused, flood-testPerClient)
	} else if refused < flood/2 {
		t.Errorf("only %v of %d connections refused", refused, flood)
	}

	// Keep-alive connections left idle are cut.
	idle := slowclient.Dial(t, "127.0.0.3", addr)
	slowclient.MustServe(t, idle, "/healthz")
	t.Logf("idle keep-alive connection cut after %v", slowclient.ClosedWithin(t, idle, testIdleTimeout+slowclient.Generous))

	// Headers and bodies that trickle in are cut, even with a token.
	stop := make(chan struct{})
	defer close(stop)
	headers := slowclient.Dial(t, "127.0.0.4", addr)
	fmt.Fprint(headers, "GET /api/v1/workstations HTTP/1.1\r\nHost: test\r\n")
	go slowclient.Trickle(headers, []byte("X-Slow: aaaaaaaaaaaa\r\n"), 200*time.Millisecond, stop)
	t.Logf("trickled headers cut after %v", slowclient.ClosedWithin(t, headers, testHeaderTimeout+slowclient.Generous))
	body := slowclient.Dial(t, "127.0.0.4", addr)
	fmt.Fprintf(body, "POST /api/v1/outages HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\nContent-Length: 1000\r\n\r\n", h.token)
	go slowclient.Trickle(body, []byte(`{"cause":"`), 200*time.Millisecond, stop)
	t.Logf("trickled body cut after %v", slowclient.ClosedWithin(t, body, testReadTimeout+slowclient.Generous))

	// The stream opened before all this still carries the desk's changes,
	// and ARI never had to reconnect.
	if open := time.Since(streamSince); open < testReadTimeout+testWriteTimeout {
		t.Fatalf("the stream has been open only %v: the test proves nothing", open)
	}
	h.pbx.Unregister("op122-01")
	// Earlier changes of the desk (its contact learned after the snapshot)
	// may still be on their way: the down one must follow.
	for d := (deskState{}); d.State != "down"; {
		if ev := next(t, events, slowclient.Generous); ev.event != "workstation" || json.Unmarshal([]byte(ev.data), &d) != nil {
			t.Fatalf("change %+v", ev)
		}
	}
	m := h.metricsText()
	for _, want := range []string{"deskwatch_ari_connected 1\n", "deskwatch_ari_reconnects_total 0\n", "deskwatch_http_connections_max 256\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// The daemon does not start when the open files limit leaves no room for
// the API beside ARI, SIP and Redis, and lowers the cap when it leaves
// little.
func TestOpenFilesLimitBoundsConnections(t *testing.T) {
	h := newHarness(t, "op122-01")
	cfg := h.config()
	rdb, err := redisClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reserve := fdReserve(cfg, redisPoolSize(rdb))
	rdb.Close()
	defer func(f func() (uint64, error)) { fileLimit = f }(fileLimit)

	fileLimit = func() (uint64, error) { return uint64(reserve + 10), nil }
	if d, err := newDaemon(cfg, zerolog.Nop()); err == nil || d != nil || !strings.Contains(err.Error(), "RLIMIT_NOFILE") {
		t.Fatalf("room for 10 connections: daemon %v, error %v", d, err)
	}
	fileLimit = func() (uint64, error) { return uint64(reserve + 100), nil }
	d, err := newDaemon(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n := d.conns.Total(); n != 100 {
		t.Errorf("cap %d, want 100: the limit less the reserve (%d)", n, reserve)
	}
}

// refusedByCap reads deskwatch_http_connections_refused_total{cap=...}.
func refusedByCap(t *testing.T, metrics, cap string) int {
	t.Helper()
	m := regexp.MustCompile(`deskwatch_http_connections_refused_total\{cap="` + cap + `"\} (\d+)`).FindStringSubmatch(metrics)
	if m == nil {
		t.Fatalf("no refusals by %s in the metrics", cap)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func openFiles(t *testing.T) int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
