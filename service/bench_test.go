package service_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/service"
	"deskwatch/store"
)

// BenchmarkAvailabilityFromRedis is the availability of one quarter as the
// service computes it for the API: spans read from a real redis-server, then the standard's
// arithmetic. history=10x adds ten times more spans outside the quarter,
// which must not make it much slower.
func BenchmarkAvailabilityFromRedis(b *testing.B) {
	for _, outside := range []int{0, 10} {
		b.Run(fmt.Sprintf("desks=100/spans=10k/history=%dx", outside), func(b *testing.B) {
			benchAvailability(b, 100, 10_000, outside)
		})
	}
}

func benchAvailability(b *testing.B, nDesks, nSpans, outside int) {
	srv := redistest.StartServer(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	st := store.New(rdb, "b:", zerolog.Nop())
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	q, _ := health.ParseQuarter("2026Q3")
	p := q.Range(loc)
	wss := make([]health.Workstation, nDesks)
	for i := range wss {
		wss[i] = health.Workstation{ID: fmt.Sprintf("op%03d", i), Hotlines: []string{[]string{"122", "117"}[i%2]}, Endpoints: []string{fmt.Sprintf("PJSIP/op%03d", i)}}
	}
	// Each desk's spans in time order, 100 per desk in the quarter; history
	// lies in the 10 quarters before it.
	rng := rand.New(rand.NewPCG(3, 4))
	seed := func(from time.Time, length time.Duration, perDesk int) {
		var trs []health.Transition
		for _, w := range wss {
			step := length / time.Duration(perDesk)
			for k := 0; k < perDesk; k++ {
				s := from.Add(time.Duration(k)*step + time.Duration(rng.Int64N(int64(step/2))))
				e := s.Add(time.Duration(rng.Int64N(int64(step / 2))))
				trs = append(trs,
					health.Transition{Workstation: w.ID, At: s, From: health.StateUp, To: health.StateDown, Cause: health.CauseUnreachable, Source: health.SourceARI},
					health.Transition{Workstation: w.ID, At: e, From: health.StateDown, To: health.StateUp, Source: health.SourceARI})
				if len(trs) >= 512 {
					if err := st.Apply(context.Background(), trs); err != nil {
						b.Fatal(err)
					}
					trs = trs[:0]
				}
			}
		}
		if err := st.Apply(context.Background(), trs); err != nil {
			b.Fatal(err)
		}
	}
	qlen := p.End.Sub(p.Start)
	if outside > 0 {
		seed(p.Start.Add(-time.Duration(outside)*qlen), time.Duration(outside)*qlen, outside*nSpans/nDesks)
	}
	seed(p.Start, qlen, nSpans/nDesks)
	svc := service.New(service.Options{Workstations: wss, Location: loc, Store: st, Logger: zerolog.Nop(),
		Now: func() time.Time { return p.End.Add(time.Hour) }})
	b.ResetTimer()
	for b.Loop() {
		res, err := svc.Availability(context.Background(), p)
		if err != nil || res.N != nDesks {
			b.Fatalf("N=%d err=%v", res.N, err)
		}
	}
}
