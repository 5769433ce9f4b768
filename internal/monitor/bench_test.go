package monitor_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/monitor"
	"deskwatch/internal/redistest"
	"deskwatch/store"
)

// BenchmarkObservationToRedis measures observation → persisted transition
// through the real loop and a real redis-server: every observation flips a
// desk, so each is one transition written to Redis. Reports transitions/s
// and the latency from the observation's time to the end of its write.
//
// rate 0 offers observations as fast as the loop takes them (throughput,
// and the latency of a saturated queue); a rate offers that many per second
// in 1 ms ticks (the latency a steady load sees).
func BenchmarkObservationToRedis(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		for _, rate := range []int{0, 5_000, 20_000} {
			name := fmt.Sprintf("endpoints=%d/rate=max", n)
			if rate > 0 {
				name = fmt.Sprintf("endpoints=%d/rate=%d", n, rate)
			}
			b.Run(name, func(b *testing.B) { benchPipeline(b, n, rate, false, 0) })
		}
	}
}

// BenchmarkObservationToRedisSpooled is the same through the spool (every
// write read back from disk before it goes to Redis), unfenced (a single
// instance, epoch 0) and fenced (epoch 7, as an HA leader writes: every
// script checks and raises the desk's fence).
func BenchmarkObservationToRedisSpooled(b *testing.B) {
	for _, epoch := range []int64{0, 7} {
		for _, rate := range []int{0, 20_000} {
			name := "endpoints=10000/"
			if epoch > 0 {
				name += "fenced/"
			}
			if rate > 0 {
				name += fmt.Sprintf("rate=%d", rate)
			} else {
				name += "rate=max"
			}
			b.Run(name, func(b *testing.B) { benchPipeline(b, 10_000, rate, true, epoch) })
		}
	}
}

func benchPipeline(b *testing.B, n, rate int, spooled bool, epoch int64) {
	srv := redistest.StartServer(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 4})
	defer rdb.Close()
	countTrips(rdb)
	st := store.New(rdb, "b:", zerolog.Nop())
	st.SetEpoch(epoch)
	ws := make([]health.Workstation, n)
	eps := make([]string, n)
	for i := range ws {
		eps[i] = fmt.Sprintf("PJSIP/op%05d", i)
		ws[i] = health.Workstation{ID: fmt.Sprintf("op%05d", i), Hotlines: []string{"122"}, Endpoints: []string{eps[i]}}
	}
	lat := make([]time.Duration, 0, b.N+n)
	var persisted atomic.Int64
	dir := ""
	if spooled {
		dir = b.TempDir()
	}
	m := monitor.New(monitor.Options{Workstations: ws, Store: st, Logger: zerolog.Nop(), Heartbeat: time.Hour, SpoolDir: dir,
		OnPersisted: func(trs []health.Transition) {
			now := time.Now()
			for _, t := range trs {
				lat = append(lat, now.Sub(t.At))
			}
			persisted.Add(int64(len(trs)))
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	// wait until k more transitions than before are persisted; the
	// callback runs on the writer, so it must never block.
	var seen int64
	wait := func(k int) {
		seen += int64(k)
		for persisted.Load() < seen {
			time.Sleep(time.Millisecond)
		}
	}
	// Every desk up first.
	for _, ep := range eps {
		m.Input() <- health.Observation{Endpoint: ep, Source: health.SourceARI, Kind: health.KindOnline, Snapshot: true, At: time.Now()}
	}
	wait(n)
	lat = lat[:0]
	kinds := [2]health.Kind{health.KindContactUnreachable, health.KindContactAvailable}
	before := sampleCost(b, rdb)
	b.ResetTimer()
	start := time.Now()
	perTick := rate / 1000
	for i := 0; i < b.N; i++ {
		if perTick > 0 && i%perTick == 0 {
			// Pace against the schedule, not the last send, so stalls do not slow the offered rate.
			if d := time.Until(start.Add(time.Duration(i/perTick) * time.Millisecond)); d > 0 {
				time.Sleep(d)
			}
		}
		m.Input() <- health.Observation{Endpoint: eps[i%n], Source: health.SourceARI, Kind: kinds[(i/n)%2], Contact: "sip:x", At: time.Now()}
	}
	wait(b.N)
	el := time.Since(start)
	b.StopTimer()
	sampleCost(b, rdb).report(b, before, b.N)
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/el.Seconds(), "transitions/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
