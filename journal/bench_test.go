package journal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

// The benchmarks use a real redis-server on loopback:
//
//	go test -run '^$' -bench . -benchtime 1x ./journal/
//
// benchSpans returns n closed spans of 1,000 desks over a quarter: every
// tenth incident is a PBX outage of 20 desks, the others one desk each.
func benchSpans(n int) []health.Span {
	const desks = 1000
	spans := make([]health.Span, 0, n)
	for k := 0; len(spans) < n; k++ {
		start := t0.Add(time.Duration(k) * 3 * time.Minute)
		size, cause := 1, health.CauseUnreachable
		if k%10 == 0 {
			size, cause = 20, health.CausePBX
		}
		for d := 0; d < size && len(spans) < n; d++ {
			desk := fmt.Sprintf("op%04d", (k*7+d)%desks)
			s := start.Add(time.Duration(d) * 100 * time.Millisecond)
			spans = append(spans, health.Span{ID: desk + "-" + s.Format("20060102T150405.000Z"), Workstation: desk,
				Start: s, End: s.Add(time.Duration(30+k%600) * time.Second), Cause: cause, Sources: []health.Source{health.SourceSIP}})
		}
	}
	return spans
}

// BenchmarkIngest ingests 100,000 new spans into an empty journal in one call.
func BenchmarkIngest(b *testing.B) { benchIngest(b, 0) }

// BenchmarkIngestFenced is BenchmarkIngest as a leader of epoch 1 (ha):
// every append script also checks the journal's fence.
func BenchmarkIngestFenced(b *testing.B) { benchIngest(b, 1) }

// BenchmarkIngestPlanned ingests the same spans with 200 maintenance
// windows declared over the quarter (each for a hotline, 5 desks or all):
// each span record names the windows it fell in.
func BenchmarkIngestPlanned(b *testing.B) {
	src := &windowSource{}
	var list []health.Maintenance
	for k := range 200 {
		m := health.Maintenance{ID: fmt.Sprintf("mw-%d", k+1), From: t0.Add(time.Duration(k) * 11 * time.Hour), Counts: true}
		m.To = m.From.Add(2 * time.Hour)
		switch k % 3 {
		case 0:
			m.Hotlines = []string{"122"}
		case 1:
			for d := range 5 {
				m.Workstations = append(m.Workstations, fmt.Sprintf("op%04d", (k*13+d)%1000))
			}
		default:
			m.All = k%30 == 2
			m.Hotlines = []string{"117"}
		}
		list = append(list, m)
	}
	src.set(list, nil)
	benchIngest(b, 0, func(o *journal.Options) { o.Maintenance = src })
}

func benchIngest(b *testing.B, epoch int64, mods ...func(*journal.Options)) {
	rdb := newClient(b, redistest.Start(b))
	spans := benchSpans(100_000)
	var records int64
	for b.Loop() {
		b.StopTimer()
		rdb.FlushAll(ctx)
		j := newJournal(b, rdb, prefix, mods...)
		j.SetEpoch(epoch)
		if err := j.RaiseFence(ctx, epoch); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := j.Ingest(ctx, spans, later.Add(100*24*time.Hour)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		records, _ = rdb.HGet(ctx, prefix+":{journal}:head", "seq").Int64()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(spans)*b.N)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(records), "records")
}

// BenchmarkIngestKnown ingests the same 100,000 spans again: nothing to
// append, the cost of Follow's rescan.
func BenchmarkIngestKnown(b *testing.B) {
	rdb := newClient(b, redistest.Start(b))
	spans := benchSpans(100_000)
	j := newJournal(b, rdb, prefix)
	now := later.Add(100 * 24 * time.Hour)
	if err := j.Ingest(ctx, spans, now); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := j.Ingest(ctx, spans, now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(spans)*b.N)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkVerify walks a chain of 100,002 records (33,334 one-desk
// incidents of three records each).
func BenchmarkVerify(b *testing.B) { benchVerify(b, nil, false) }

// BenchmarkVerifyKeyed walks the same chain keyed (HMAC-SHA256).
func BenchmarkVerifyKeyed(b *testing.B) {
	benchVerify(b, func(o *journal.Options) { o.Key = []byte("0123456789abcdef0123456789abcdef") }, false)
}

// BenchmarkVerifySpans walks the same chain and compares its 33,334 spans
// with the store's (here a slice): what `deskwatch journal verify` does.
func BenchmarkVerifySpans(b *testing.B) { benchVerify(b, nil, true) }

func benchVerify(b *testing.B, mod func(*journal.Options), withSpans bool) {
	rdb := newClient(b, redistest.Start(b))
	var spans []health.Span
	for k := range 33_334 {
		s := t0.Add(time.Duration(k) * time.Minute)
		spans = append(spans, health.Span{ID: fmt.Sprintf("op%04d-%d", k%1000, k), Workstation: fmt.Sprintf("op%04d", k%1000),
			Start: s, End: s.Add(30 * time.Second), Cause: health.CauseUnregistered, Sources: []health.Source{health.SourceARI}})
	}
	var mods []func(*journal.Options)
	if mod != nil {
		mods = append(mods, mod)
	}
	j := newJournal(b, rdb, prefix, mods...)
	if err := j.Ingest(ctx, spans, later.Add(100*24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	var opts journal.VerifyOptions
	if withSpans {
		opts.Spans = journal.SpanSourceFunc(func(context.Context, time.Time, time.Time) ([]health.Span, error) { return spans, nil })
	}
	var res journal.Result
	for b.Loop() {
		var err error
		if res, err = j.VerifyWith(ctx, opts); err != nil || !res.OK || withSpans && res.Matched != len(spans) {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(res.Count*int64(b.N))/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(res.Count), "records")
}
