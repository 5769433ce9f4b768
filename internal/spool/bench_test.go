package spool

import (
	"testing"
	"time"
)

// BenchmarkAppend appends decisions the size of the monitor's (a
// transition as JSON, ~190 bytes) with the flusher fsyncing every 100 ms,
// handing them to the kernel every 1,024 (the loop's batch) and
// acknowledging each batch, as with Redis up. Reports decisions/s.
func BenchmarkAppend(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(Options{Dir: dir, MaxBytes: 8 << 30})
	if err != nil {
		b.Fatal(err)
	}
	stop := runFlusher(s)
	p := []byte(`{"op":"transition","ws":"op122-01","at":"2026-11-27T16:05:00.212Z","from":"up","to":"down",` +
		`"cause":"unregistered","source":"ari","detail":"ContactStatusChange Removed roundtrip_usec=0"}`)
	b.SetBytes(int64(len(p)))
	b.ResetTimer()
	start := time.Now()
	for i := 1; i <= b.N; i++ {
		if _, err := s.Append(p); err != nil {
			b.Fatal(err)
		}
		if i%1024 == 0 {
			if err := s.Write(); err != nil {
				b.Fatal(err)
			}
			s.Ack(uint64(i - 512)) // half the batch is in Redis
		}
	}
	if err := s.Write(); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "decisions/s")
	b.ReportMetric(float64(s.Stats().Syncs), "fsyncs")
	stop()
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}
