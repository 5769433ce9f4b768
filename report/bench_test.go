package report

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"deskwatch/health"
)

// The benchmarks render a model of 10,000 desks and a journal of 1,000,000
// rows (a stand-in for a quarter with a million spans):
//
//	go test -run '^$' -bench 'JSON|CSV|XLSX|PDF$' -benchtime 1x -timeout 30m ./report/
//
// (BenchmarkWritePDFFullJournal, which -bench . also runs, takes about two
// minutes and 7 GB.)
// Each reports the output size, the bytes allocated and the peak heap while
// rendering (sampled every 5 ms; the model itself is counted apart as
// model-MB).

const (
	benchDesks   = 10_000
	benchJournal = 1_000_000
)

var (
	bigOnce   sync.Once
	bigReport *Report
)

func bigModel() *Report {
	bigOnce.Do(func() {
		q := health.Quarter{Year: 2026, Q: 3}
		period := q.Range(irkutsk)
		r := &Report{Quarter: q, From: period.Start, To: period.End, Zone: irkutsk, MeasuredTo: period.End,
			Due: q.Due(irkutsk), GeneratedAt: at(2026, 10, 5, 9, 0, 0), Version: 1, Status: StatusReady,
			InputsHash: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Lang: LangRU,
			N: benchDesks, Coverage: Coverage{Treatment: TreatmentNotCounted}}
		lines := [][]string{{"122"}, {"117"}, {"122", "117"}}
		ids := make([]string, benchDesks)
		provided := period.End.Sub(period.Start)
		var sum float64
		for i := range benchDesks {
			ids[i] = fmt.Sprintf("op%05d", i)
			un := time.Duration(i%500) * time.Minute
			d := DeskRow{ID: ids[i], Name: fmt.Sprintf("Оператор, место %d", i), Hotlines: lines[i%3],
				Provided: provided, Unavailable: un, Excluded: time.Duration(i%7) * time.Minute, Unknown: 40 * time.Minute,
				Di: 100 * float64(provided-un) / float64(provided)}
			sum += d.Di
			r.Desks = append(r.Desks, d)
		}
		r.D = sum / benchDesks
		r.Hotlines = []HotlineRow{{"117", benchDesks * 2 / 3, r.D}, {"122", benchDesks * 2 / 3, r.D}}
		for i := range 10_000 {
			s := period.Start.Add(time.Duration(i) * 13 * time.Minute)
			r.Exclusions = append(r.Exclusions, ExclusionRow{SpanID: fmt.Sprintf("span-%d", i), Workstation: ids[i],
				Start: s, End: s.Add(2 * time.Hour), Counted: 2 * time.Hour, Category: "power",
				Reason: "Отключение электроснабжения здания (письмо ОАО «ИЭСК» № 12/345)", By: "Петрова А.С.", At: s.Add(24 * time.Hour)})
		}
		for i := range 100 {
			s := period.Start.Add(time.Duration(i) * 22 * time.Hour)
			r.Coverage.Intervals = append(r.Coverage.Intervals, health.Interval{Start: s, End: s.Add(5 * time.Minute)})
			r.Coverage.Unknown += 5 * time.Minute
		}
		causes := []string{"unregistered", "unreachable", "offline", "manual"}
		faults := []string{FaultInstitution, FaultInstitution, FaultUnknown, FaultExternal}
		detections := [][]string{{"ari"}, {"ari", "sip"}, {"sip"}, {"manual"}}
		step := provided / benchJournal
		r.Journal = make([]JournalRow, benchJournal)
		for i := range r.Journal {
			s := period.Start.Add(time.Duration(i) * step)
			j := JournalRow{Number: i + 1, Start: s, End: s.Add(time.Duration(30+i%600) * time.Second),
				Desks: ids[i%benchDesks : i%benchDesks+1], Hotlines: lines[i%2], Cause: causes[i%4],
				Detection: detections[i%4], Fault: faults[i%4], Actions: "Перезагружен телефонный аппарат", RecordedBy: "deskwatch"}
			if i%4 == 3 {
				j.ExclusionCategory, j.Reason = "carrier", "Авария у оператора связи, заявка № 4711"
			}
			if i%10_000 == 0 { // a PBX-wide incident
				j.Desks, j.Cause, j.Detection = ids, "pbx", detections[1]
			}
			r.Journal[i] = j
		}
		bigReport = r
	})
	return bigReport
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)

func benchWrite(b *testing.B, write func(io.Writer, *Report) error) {
	r := bigModel()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, alloc0 := ms.HeapInuse, ms.TotalAlloc

	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}()
	var out countWriter
	b.ResetTimer()
	for b.Loop() {
		out.n = 0
		if err := write(&out, r); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	const mb = 1 << 20
	b.ReportMetric(float64(out.n)/mb, "out-MB")
	b.ReportMetric(float64(base)/mb, "model-MB")
	b.ReportMetric(float64(peak-min(peak, base))/mb, "peak-heap-over-model-MB")
	b.ReportMetric(float64(ms.TotalAlloc-alloc0)/float64(b.N)/mb, "alloc-MB/op")
	b.ReportMetric(float64(ms.Sys)/mb, "sys-MB")
}

func BenchmarkWriteJSON(b *testing.B) { benchWrite(b, WriteJSON) }
func BenchmarkWriteCSV(b *testing.B)  { benchWrite(b, WriteCSV) }
func BenchmarkWriteXLSX(b *testing.B) { benchWrite(b, WriteXLSX) }
func BenchmarkWritePDF(b *testing.B)  { benchWrite(b, WritePDF) }

// BenchmarkWritePDFFullJournal lifts the PDF's journal limit to print all
// 1,000,000 entries (about 47,000 pages): it takes minutes and gigabytes,
// which is why the PDF summarises such a journal.
func BenchmarkWritePDFFullJournal(b *testing.B) {
	saved := pdfJournalLimit
	pdfJournalLimit = benchJournal
	defer func() { pdfJournalLimit = saved }()
	benchWrite(b, WritePDF)
}
