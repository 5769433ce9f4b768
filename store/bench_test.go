package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/store"
)

const benchBatch = 256

// flapping returns transition i of desks that go down and up in turn.
func flapping(i, desks int) health.Transition {
	cycle := i / desks
	tr := health.Transition{
		Workstation: fmt.Sprintf("op%05d", i%desks),
		At:          t0.Add(time.Duration(cycle)*10*time.Second + time.Duration(i%desks)*time.Microsecond),
		From:        health.StateUp, To: health.StateDown, Cause: health.CauseUnreachable, Source: health.SourceSIP,
	}
	if cycle%2 == 1 {
		tr.From, tr.To = tr.To, tr.From
	}
	return tr
}

// BenchmarkApply measures pipelined Apply in batches of 256 transitions.
func BenchmarkApply(b *testing.B) {
	for _, desks := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("desks=%d", desks), func(b *testing.B) {
			ctx := context.Background()
			s := store.New(newClient(b, redistest.Start(b)), prefix, zerolog.Nop())
			batch := make([]health.Transition, benchBatch)
			n := 0
			for b.Loop() {
				for j := range batch {
					batch[j] = flapping(n+j, desks)
				}
				if err := s.Apply(ctx, batch); err != nil {
					b.Fatal(err)
				}
				n += benchBatch
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "transitions/s")
		})
	}
}

// BenchmarkSpansRange queries a range holding 1,000 spans of 100 desks, with
// no other history and with 10x as many spans before and after the range.
func BenchmarkSpansRange(b *testing.B) {
	const (
		desks   = 100
		inRange = 10 // spans per desk in the range
		every   = 10 * time.Minute
	)
	from := t0
	to := t0.Add(inRange * every)
	for _, history := range []int{0, 10} {
		b.Run(fmt.Sprintf("history=%dx", history), func(b *testing.B) {
			ctx := context.Background()
			s := store.New(newClient(b, redistest.Start(b)), prefix, zerolog.Nop())
			outside := history * inRange / 2 // per desk, before and after the range each
			var ts []health.Transition
			for k := -outside; k < inRange+outside; k++ {
				for d := range desks {
					ws := fmt.Sprintf("op%03d", d)
					start := t0.Add(time.Duration(k)*every + time.Duration(d)*time.Second)
					ts = append(ts,
						health.Transition{Workstation: ws, At: start, From: health.StateUp, To: health.StateDown, Source: health.SourceARI},
						health.Transition{Workstation: ws, At: start.Add(time.Minute), From: health.StateDown, To: health.StateUp, Source: health.SourceARI})
				}
			}
			for i := 0; i < len(ts); i += benchBatch {
				if err := s.Apply(ctx, ts[i:min(i+benchBatch, len(ts))]); err != nil {
					b.Fatal(err)
				}
			}
			for _, q := range []struct {
				name string
				q    store.SpanQuery
				want int
			}{
				{"all desks", store.SpanQuery{From: from, To: to}, desks * inRange},
				{"10 desks", store.SpanQuery{From: from, To: to, Workstations: benchDesks(10)}, 10 * inRange},
			} {
				b.Run(q.name, func(b *testing.B) {
					for b.Loop() {
						got, err := s.Spans(ctx, q.q)
						if err != nil {
							b.Fatal(err)
						}
						if len(got) != q.want {
							b.Fatalf("got %d spans, want %d", len(got), q.want)
						}
					}
					b.ReportMetric(float64(q.want), "spans/op")
				})
			}
		})
	}
}

func benchDesks(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("op%03d", i)
	}
	return out
}

// quarterSpans returns perDesk closed spans for each of desks workstations
// in [from, from+length), grouped by workstation, as in httpapi's
// availability benchmark: each starts at random in its slot and lasts up to
// half a slot.
func quarterSpans(desks, perDesk int, from time.Time, length time.Duration) []health.Span {
	rng := rand.New(rand.NewPCG(3, 4))
	step := length / time.Duration(perDesk)
	out := make([]health.Span, 0, desks*perDesk)
	for d := range desks {
		ws := fmt.Sprintf("op%05d", d)
		for k := range perDesk {
			start := from.Add(time.Duration(k)*step + time.Duration(rng.Int64N(int64(step/2)))).Truncate(time.Millisecond)
			end := start.Add(time.Duration(rng.Int64N(int64(step / 2)))).Truncate(time.Millisecond)
			out = append(out, health.Span{Workstation: ws, Start: start, End: end, Cause: health.CauseUnreachable, Sources: []health.Source{health.SourceARI}})
		}
	}
	return out
}

var quarter = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

const quarterLen = 92 * 24 * time.Hour

// TestSeedSpansLikeApply checks that the benchmarks' seeding leaves what
// Apply leaves for the same spans.
func TestSeedSpansLikeApply(t *testing.T) {
	ctx := context.Background()
	seeded, _ := newStore(t)
	applied, _ := newStore(t)
	sps := quarterSpans(3, 20, quarter, quarterLen)
	if err := store.SeedSpans(ctx, seeded, sps); err != nil {
		t.Fatal(err)
	}
	var ts []health.Transition
	for _, sp := range sps {
		ts = append(ts,
			health.Transition{Workstation: sp.Workstation, At: sp.Start, From: health.StateUp, To: health.StateDown, Cause: sp.Cause, Source: sp.Sources[0]},
			health.Transition{Workstation: sp.Workstation, At: sp.End, From: health.StateDown, To: health.StateUp, Source: sp.Sources[0]})
	}
	apply(t, applied, ts...)
	for _, q := range []store.SpanQuery{
		{},
		{From: quarter.Add(quarterLen / 3), To: quarter.Add(quarterLen / 2)},
		{Workstations: []string{"op00001"}, From: quarter.Add(quarterLen / 3)},
	} {
		want := spans(t, applied, q)
		if got := spans(t, seeded, q); len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("query %+v: seeded %v, applied %v", q, ids(got), ids(want))
		}
	}
}

// BenchmarkSpansQuarter reads a quarter's spans of all desks, as the
// availability report does; the stores are seeded directly (SeedSpans), as
// a million spans would take minutes through Apply.
func BenchmarkSpansQuarter(b *testing.B) {
	for _, size := range []struct{ desks, spans int }{{100, 10_000}, {10_000, 1_000_000}} {
		b.Run(fmt.Sprintf("desks=%d/spans=%d", size.desks, size.spans), func(b *testing.B) {
			if size.spans > 100_000 && testing.Short() {
				b.Skip("large: not with -short")
			}
			ctx := context.Background()
			rdb := newClient(b, redistest.Start(b))
			s := store.New(rdb, prefix, zerolog.Nop())
			start := time.Now()
			if err := store.SeedSpans(ctx, s, quarterSpans(size.desks, size.spans/size.desks, quarter, quarterLen)); err != nil {
				b.Fatal(err)
			}
			b.Logf("seeded %d spans in %v", size.spans, time.Since(start).Round(time.Millisecond))
			q := store.SpanQuery{From: quarter, To: quarter.Add(quarterLen)}
			cpu0 := redisCPU(b, rdb)
			for b.Loop() {
				got, err := s.Spans(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != size.spans {
					b.Fatalf("got %d spans, want %d", len(got), size.spans)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size.spans), "ns/span")
			b.ReportMetric(float64((redisCPU(b, rdb)-cpu0).Milliseconds())/float64(b.N), "redis-cpu-ms/op")
		})
	}
}

// redisCPU returns the CPU time the server has used.
func redisCPU(b *testing.B, rdb *redis.Client) time.Duration {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var sum time.Duration
	for line := range strings.Lines(info) {
		for _, name := range []string{"used_cpu_user:", "used_cpu_sys:"} {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), name); ok {
				sec, err := strconv.ParseFloat(v, 64)
				if err != nil {
					b.Fatalf("INFO cpu: %s", line)
				}
				sum += time.Duration(sec * float64(time.Second))
			}
		}
	}
	return sum
}
