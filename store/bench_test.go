package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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
