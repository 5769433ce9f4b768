package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/spool"
)

// BenchmarkSpoolDecisions is the loop's cost of making a decision durable:
// encode a transition (JSON), append it to the spool, hand each batch of
// 1,024 to the kernel, with the flusher fsyncing every 100 ms; the time
// runs until the last one is synced. Reports decisions/s.
func BenchmarkSpoolDecisions(b *testing.B) {
	sp, err := spool.Open(spool.Options{Dir: b.TempDir(), MaxBytes: 8 << 30})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sp.Run(ctx) }()
	bl := &spoolBacklog{sp: sp, log: zerolog.Nop(), st: &status{now: time.Now}}
	t0 := time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC)
	trs := make([]health.Transition, 1024)
	for i := range trs {
		trs[i] = health.Transition{Workstation: "op122-01", At: t0.Add(time.Duration(i) * time.Millisecond), From: health.StateUp,
			To: health.StateDown, Cause: health.CauseUnregistered, Source: health.SourceARI, Detail: "ContactStatusChange Removed"}
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		bl.add(op{kind: opTransition, tr: &trs[i%len(trs)], at: trs[i%len(trs)].At})
		if i%1024 == 1023 {
			bl.commit()
		}
	}
	bl.commit()
	if err := sp.WaitSynced(context.Background(), uint64(b.N)); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	b.StopTimer()
	if n, full := bl.st.unspooledState(); full || n > 0 {
		b.Fatalf("spool refused %d decisions", n)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "decisions/s")
	cancel()
	<-done
	if err := sp.Close(); err != nil {
		b.Fatal(err)
	}
}
