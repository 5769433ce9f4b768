package httplimit

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"deskwatch/internal/logtest"
	"deskwatch/internal/slowclient"
	"deskwatch/metrics"
)

// servedCapped serves a quick 200 on a capped listener; closed gets a value
// each time the server has closed a connection (and so released its place).
func servedCapped(t *testing.T, total, perClient int, logs *logtest.Buffer) (*Listener, string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	capped := NewListener(ln, total, perClient, zerolog.New(logs))
	closed := make(chan struct{}, 100)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateClosed {
				closed <- struct{}{}
			}
		},
	}
	go srv.Serve(capped)
	t.Cleanup(func() { srv.Close() })
	return capped, ln.Addr().String(), closed
}

func metric(ms []metrics.Metric, name, capLabel string) float64 {
	for _, m := range ms {
		if m.Name == name && m.Labels["cap"] == capLabel {
			return m.Value
		}
	}
	return -1
}

// Connections over a cap, per client or in all, are closed at once and
// counted; the refusals make one log line, not one each; a place freed is
// taken again.
func TestListenerCaps(t *testing.T) {
	var logs logtest.Buffer
	l, addr, closed := servedCapped(t, 3, 2, &logs)
	a1 := slowclient.Dial(t, "127.0.0.1", addr)
	slowclient.MustServe(t, a1, "/")
	slowclient.MustServe(t, slowclient.Dial(t, "127.0.0.1", addr), "/")
	slowclient.ClosedWithin(t, slowclient.Dial(t, "127.0.0.1", addr), slowclient.Generous) // a third from one client
	slowclient.MustServe(t, slowclient.Dial(t, "127.0.0.2", addr), "/")                    // another client, up to the total
	slowclient.ClosedWithin(t, slowclient.Dial(t, "127.0.0.3", addr), slowclient.Generous) // a fourth in all
	slowclient.ClosedWithin(t, slowclient.Dial(t, "127.0.0.2", addr), slowclient.Generous)

	ms := l.Metrics()
	if open, max := metric(ms, "deskwatch_http_connections", ""), metric(ms, "deskwatch_http_connections_max", ""); open != 3 || max != 3 {
		t.Errorf("open %v max %v, want 3 and 3", open, max)
	}
	if total, per := metric(ms, "deskwatch_http_connections_refused_total", "max_connections"),
		metric(ms, "deskwatch_http_connections_refused_total", "max_connections_per_client"); total != 2 || per != 1 {
		t.Errorf("refused: %v by max_connections, %v by max_connections_per_client; want 2 and 1", total, per)
	}
	if lines := strings.Count(logs.String(), "connection cap reached"); lines != 1 {
		t.Errorf("%d log lines for three refusals within %v, want 1:\n%s", lines, LogEvery, logs.String())
	}
	if !strings.Contains(logs.String(), `"cap":"max_connections_per_client","client":"127.0.0.1"`) {
		t.Errorf("the log line does not say which cap and client: %s", logs.String())
	}

	a1.Close()
	<-closed // the server has given a1's place back
	slowclient.MustServe(t, slowclient.Dial(t, "127.0.0.3", addr), "/")
	if open := metric(l.Metrics(), "deskwatch_http_connections", ""); open != 3 {
		t.Errorf("open %v after one closed and one came, want 3", open)
	}
}

func TestFit(t *testing.T) {
	for _, c := range []struct {
		limit            uint64
		want, reserve    int
		n                int
		lowered, refused bool
	}{
		{limit: 1 << 20, want: 512, reserve: 200, n: 512},
		{limit: 712, want: 512, reserve: 200, n: 512},
		{limit: 1024, want: 1000, reserve: 200, n: 824, lowered: true},
		{limit: 215, want: 512, reserve: 200, refused: true},
		{limit: 100, want: 512, reserve: 200, refused: true},
		{limit: ^uint64(0), want: 512, reserve: 200, n: 512}, // RLIM_INFINITY
	} {
		n, lowered, err := Fit(c.limit, c.want, c.reserve)
		if n != c.n || lowered != c.lowered || (err != nil) != c.refused {
			t.Errorf("Fit(%d, %d, %d) = %d, %v, %v; want %d, %v, refused %v", c.limit, c.want, c.reserve, n, lowered, err, c.n, c.lowered, c.refused)
		}
		if err != nil && !strings.Contains(err.Error(), "LimitNOFILE") {
			t.Errorf("the refusal does not say what to raise: %v", err)
		}
	}
	if n, err := FileLimit(); err != nil || n < 64 {
		t.Errorf("FileLimit() = %d, %v", n, err)
	}
}
