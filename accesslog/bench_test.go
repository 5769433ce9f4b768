package accesslog

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// How fast the writer stores records in a real Redis (batches of up to
// 256 in one pipeline, lines to nowhere): b.N records queued, then written.
//
//	go test -run x -bench Writer -benchtime 200000x ./accesslog
func BenchmarkWriter(b *testing.B) {
	l, _, _ := newLog(b, Options{Logger: zerolog.Nop(), Queue: b.N})
	r := rec("board", time.Now())
	for range b.N {
		l.Record(r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.ResetTimer()
	go func() { l.Run(ctx); close(done) }()
	for l.Health().Written < uint64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if h := l.Health(); h.Dropped > 0 || h.Failed > 0 {
		b.Fatalf("%+v", h)
	}
}
