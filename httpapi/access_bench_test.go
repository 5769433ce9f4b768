package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/accesslog"
	"deskwatch/health"
	"deskwatch/httpapi"
	"deskwatch/internal/redistest"
	"deskwatch/service"
	"deskwatch/store"
)

// What an access record adds to a request: two servers over one Redis and
// one service, one with the access log (writing to Redis and a log line
// to /dev/null), the other without, asked in turn so that both see the
// same machine; p50 and p99 of each, and the p99 added.
//
//	go test -run x -bench AccessLogLatency -benchtime 20000x ./httpapi
func BenchmarkAccessLogLatency(b *testing.B) {
	for _, path := range []string{"/api/v1/workstations", "/api/v1/outages?period=2026Q3"} {
		b.Run("GET "+path, func(b *testing.B) { benchAccessLatency(b, path) })
	}
}

func benchAccessLatency(b *testing.B, path string) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(b)})
	b.Cleanup(func() { rdb.Close() })
	var wss []health.Workstation
	for i := range 20 {
		id := fmt.Sprintf("d%02d", i)
		wss = append(wss, health.Workstation{ID: id, Name: "АРМ " + id, Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/" + id}})
	}
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	st := store.New(rdb, "b:", zerolog.Nop())
	q3, _ := health.ParseQuarter("2026Q3")
	var trs []health.Transition
	for i, w := range wss { // one outage a desk
		at := q3.Range(loc).Start.Add(time.Duration(i) * time.Hour)
		trs = append(trs, health.Transition{Workstation: w.ID, At: at, From: health.StateUp, To: health.StateDown, Cause: health.CauseUnreachable, Source: health.SourceARI},
			health.Transition{Workstation: w.ID, At: at.Add(time.Minute), From: health.StateDown, To: health.StateUp, Source: health.SourceARI})
	}
	if err := st.Apply(context.Background(), trs); err != nil {
		b.Fatal(err)
	}
	opt := httpapi.Options{Workstations: wss, Location: loc, Tokens: []httpapi.Token{{Name: "board", Role: "viewer", SHA256: sum(viewTok)}},
		Service: service.New(service.Options{Workstations: wss, Location: loc, Store: st}), Live: live{health.NewTracker(wss)}}
	without := httptest.NewServer(httpapi.New(opt))
	b.Cleanup(without.Close)

	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { devnull.Close() })
	l := accesslog.New(accesslog.Options{Redis: rdb, Key: "b:access", Logger: zerolog.New(devnull).With().Timestamp().Str("component", "access").Logger()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	opt.Access = &httpapi.Access{Log: l}
	with := httptest.NewServer(httpapi.New(opt))
	b.Cleanup(with.Close)

	get := func(base string) time.Duration {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+viewTok)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return time.Since(start)
	}
	for range 200 { // warm the connections and the pools
		get(with.URL)
		get(without.URL)
	}
	lat := map[bool][]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		logged := i%2 == 0
		srv := without
		if logged {
			srv = with
		}
		lat[logged] = append(lat[logged], get(srv.URL))
	}
	b.StopTimer()
	pct := func(ds []time.Duration, p float64) float64 {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000
	}
	p99w, p99o := pct(lat[true], 0.99), pct(lat[false], 0.99)
	b.ReportMetric(pct(lat[false], 0.5), "p50-without-ms")
	b.ReportMetric(pct(lat[true], 0.5), "p50-with-ms")
	b.ReportMetric(p99o, "p99-without-ms")
	b.ReportMetric(p99w, "p99-with-ms")
	b.ReportMetric(p99w-p99o, "p99-added-ms")
	if h := l.Health(); h.Dropped > 0 || !h.OK {
		b.Fatalf("access log %+v", h)
	}
}
