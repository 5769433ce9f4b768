package journal_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

// mixed is a day of incidents: a PBX outage of five desks, a hotline lost
// at once, a flapping desk, an excluded failure, one still open, a manual
// entry.
func mixed() []health.Span {
	var out []health.Span
	for i := 1; i <= 5; i++ {
		out = append(out, sp(fmt.Sprintf("op122-%02d", i), time.Duration(i)*300*time.Millisecond, health.CausePBX))
	}
	for i := 1; i <= 4; i++ {
		out = append(out, withSources(sp(fmt.Sprintf("op117-%02d", i), time.Hour+time.Duration(i)*time.Second, health.CauseUnreachable), health.SourceSIP))
	}
	for k := range 3 {
		out = append(out, sp("op122-07", 2*time.Hour+time.Duration(k)*2*time.Second, health.CauseUnregistered))
	}
	out = append(out,
		excluded(sp("op122-08", 3*time.Hour, health.CauseOffline), "power", "Отключение электроснабжения", "Петрова А.С."),
		open(sp("op122-09", 4*time.Hour, health.CauseUnregistered)),
		manual("op117-05", 5*time.Hour),
	)
	return out
}

func TestIngestIdempotentAndOrderFree(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := newJournal(t, rdb, prefix)
	spans := mixed()
	ingest(t, j, later, spans...)
	first := chain(t, rdb, prefix)
	if len(first) == 0 {
		t.Fatal("no records")
	}
	es := allEntries(t, j)
	if len(es) != 8 {
		t.Fatalf("%d entries, want 8 (TestMixedDay)", len(es))
	}

	t.Run("again", func(t *testing.T) {
		ingest(t, j, later.Add(time.Hour), spans...)
		if again := chain(t, rdb, prefix); !reflect.DeepEqual(again, first) {
			t.Fatalf("second ingest appended %d records", len(again)-len(first))
		}
	})
	t.Run("shuffled, in one call", func(t *testing.T) {
		j2 := newJournal(t, rdb, "dw2")
		shuffled := slices.Clone(spans)
		rand.New(rand.NewPCG(7, 7)).Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		ingest(t, j2, later, shuffled...)
		if got := chain(t, rdb, "dw2"); !reflect.DeepEqual(got, first) {
			t.Fatalf("shuffled ingest made another chain:\n%v\nwant\n%v", got, first)
		}
	})
	t.Run("live, out of order within Settle", func(t *testing.T) {
		// Each span becomes visible up to 3 s after it starts, as open until
		// its end; each pass sees the visible spans in a random order.
		j3 := newJournal(t, rdb, "dw3")
		r := rand.New(rand.NewPCG(3, 4))
		arrival := map[string]time.Time{}
		for _, s := range spans {
			arrival[s.ID] = s.Start.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
		}
		for now := t0.Add(-time.Second); now.Before(t0.Add(6 * time.Hour)); now = now.Add(time.Duration(500+r.IntN(1500)) * time.Millisecond) {
			if now.Sub(t0) > 10*time.Minute && now.Sub(t0)%time.Hour > 10*time.Minute {
				now = now.Truncate(time.Hour).Add(time.Hour - time.Second) // skip the quiet part of the hours
			}
			var visible []health.Span
			for _, s := range spans {
				if arrival[s.ID].After(now) {
					continue
				}
				if s.End.After(now) {
					s.End = time.Time{}
				}
				if !s.Manual && s.Exclusion != nil && s.Exclusion.At.After(now) {
					s.Exclusion = nil
				}
				visible = append(visible, s)
			}
			r.Shuffle(len(visible), func(a, b int) { visible[a], visible[b] = visible[b], visible[a] })
			ingest(t, j3, now, visible...)
		}
		ingest(t, j3, later, spans...)
		if got, want := states(allEntries(t, j3)), states(es); !reflect.DeepEqual(got, want) {
			t.Fatalf("live ingest:\n%+v\nwant\n%+v", got, want)
		}
	})
}

func TestMixedDay(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	ingest(t, j, later, mixed()...)
	es := allEntries(t, j)
	var got []string
	for _, e := range slices.Backward(es) {
		got = append(got, fmt.Sprintf("%s %s %v %s %s", e.Label(), e.Cause, e.Desks, e.Fault, e.ExclusionCategory))
	}
	want := []string{
		"1/2026 pbx [op122-01 op122-02 op122-03 op122-04 op122-05] unknown ",
		"2/2026 unreachable [op117-01 op117-02 op117-03 op117-04] unknown ",
		"3/2026 unregistered [op122-07] unknown ",
		"4/2026 unregistered [op122-07] unknown ",
		"5/2026 unregistered [op122-07] unknown ",
		"6/2026 offline [op122-08] external power",
		"7/2026 unregistered [op122-09] unknown ",
		"8/2026 manual [op117-05] institution ",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("entries:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !es[1].Ongoing() || es[0].Ongoing() {
		t.Errorf("ongoing: 7/2026 %v, 8/2026 %v", es[1].Ongoing(), es[0].Ongoing())
	}
	if e := es[6]; !slices.Equal(e.Hotlines, []string{"117"}) || !slices.Equal(e.Detection, []string{"sip"}) {
		t.Errorf("2/2026 hotlines %v detection %v", e.Hotlines, e.Detection)
	}
	if e := es[0]; !e.Manual || !slices.Equal(e.Detection, []string{"manual"}) || e.RecordedBy != journal.DefaultSystem {
		t.Errorf("manual entry %+v", state(e))
	}
}

func TestPBXWideIncident(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	var spans []health.Span
	for i := range 20 {
		desk := fmt.Sprintf("op122-%02d", i/2+1)
		if i%2 == 1 {
			desk = fmt.Sprintf("op117-%02d", i/2+1)
		}
		s := sp(desk, time.Duration(i)*150*time.Millisecond, health.CausePBX)
		s.End = s.Start.Add(time.Duration(10+i) * time.Minute)
		if i%3 == 0 {
			s.Sources = []health.Source{health.SourceARI, health.SourceSIP}
		}
		spans = append(spans, s)
	}
	// Half have ended when first seen.
	var first []health.Span
	for i, s := range spans {
		if i >= 10 {
			s = open(s)
		}
		first = append(first, s)
	}
	ingest(t, j, later, first...)
	e := entry(t, j, 2026, 1)
	if len(e.Desks) != 20 || len(e.SpanIDs) != 20 || !e.Ongoing() || e.Cause != "pbx" || e.DetectedCause != health.CausePBX {
		t.Fatalf("entry: %d desks, %d spans, ongoing %v, cause %q", len(e.Desks), len(e.SpanIDs), e.Ongoing(), e.Cause)
	}
	if !slices.Equal(e.Hotlines, []string{"117", "122"}) || !slices.Equal(e.Detection, []string{"ari", "sip"}) {
		t.Errorf("hotlines %v detection %v", e.Hotlines, e.Detection)
	}
	if !e.Start.Equal(t0) {
		t.Errorf("start %v", e.Start)
	}
	if n := len(allEntries(t, j)); n != 1 {
		t.Fatalf("%d entries, want 1", n)
	}

	ingest(t, j, later.Add(time.Minute), spans...)
	e = entry(t, j, 2026, 1)
	if want := spans[19].End; !e.End.Equal(want) {
		t.Errorf("end %v, want the latest span end %v", e.End, want)
	}
	closed := 0
	for _, k := range kinds(e) {
		if k == journal.KindEntryClosed {
			closed++
		}
	}
	if closed != 1 || e.History[0].Kind != journal.KindEntryOpened || len(e.History) != 1+20+10+1 {
		t.Errorf("history kinds %v", kinds(e))
	}
}

func TestFlappingDesk(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	var spans []health.Span
	for k := range 4 {
		s := sp("op122-03", time.Duration(k)*1500*time.Millisecond, health.CauseUnregistered)
		s.End = s.Start.Add(time.Second)
		spans = append(spans, s)
	}
	ingest(t, j, later, spans...)
	es := allEntries(t, j)
	if got := labels(es); !slices.Equal(got, []string{"4/2026", "3/2026", "2/2026", "1/2026"}) {
		t.Fatalf("entries %v", got)
	}
	for _, e := range es {
		if len(e.SpanIDs) != 1 || e.End.Sub(e.Start) != time.Second {
			t.Errorf("%s: spans %v, %v-%v", e.Label(), e.SpanIDs, e.Start, e.End)
		}
	}
}

func TestNumberingByYearInZone(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	local := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, irkutsk) }
	mk := func(desk string, at time.Time) health.Span {
		return health.Span{ID: desk + "-" + at.UTC().Format(time.RFC3339), Workstation: desk, Start: at, End: at.Add(time.Minute),
			Cause: health.CauseUnregistered, Sources: []health.Source{health.SourceARI}}
	}
	// 23:59 and 00:01 Irkutsk are both 31 December in UTC.
	ingest(t, j, local(2027, 2, 1, 0, 0),
		mk("op122-01", local(2026, 3, 1, 10, 0)),
		mk("op122-01", local(2026, 12, 31, 23, 59)),
		mk("op122-02", local(2027, 1, 1, 0, 1)),
		mk("op122-03", local(2027, 1, 15, 9, 30)),
	)
	var got []string
	for _, e := range allEntries(t, j) {
		got = append(got, e.Label()+" "+e.ID()+" "+e.Start.In(irkutsk).Format("2006-01-02 15:04"))
	}
	want := []string{"2/2027 2027-0002 2027-01-15 09:30", "1/2027 2027-0001 2027-01-01 00:01",
		"2/2026 2026-0002 2026-12-31 23:59", "1/2026 2026-0001 2026-03-01 10:00"}
	if !slices.Equal(got, want) {
		t.Fatalf("entries\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestExclusions(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	a := sp("op122-01", 0, health.CausePBX)
	b := sp("op122-02", time.Second, health.CausePBX)
	ingest(t, j, later, a, b)

	exA := excluded(a, "carrier", "Авария у оператора связи", "Петрова А.С.")
	ingest(t, j, later, exA, b)
	if e := entry(t, j, 2026, 1); e.Excluded() || e.Fault != journal.FaultUnknown {
		t.Fatalf("one of two spans excluded: entry excluded %v, fault %s", e.Excluded(), e.Fault)
	}
	exB := excluded(b, "power", "Отключение электроснабжения", "Петрова А.С.")
	exB.Exclusion.At = exB.Exclusion.At.Add(time.Minute)
	ingest(t, j, later, exA, exB)
	e := entry(t, j, 2026, 1)
	if e.ExclusionCategory != "power" || e.ExclusionReason != "Отключение электроснабжения" || e.Fault != journal.FaultExternal {
		t.Fatalf("all excluded: %+v", state(e))
	}
	if r := e.History[len(e.History)-1]; r.Kind != journal.KindExclusion || r.By != "Петрова А.С." {
		t.Errorf("exclusion record %+v", r)
	}
	ingest(t, j, later, a, exB) // a's exclusion revoked
	e = entry(t, j, 2026, 1)
	if e.Excluded() || e.Fault != journal.FaultUnknown {
		t.Fatalf("after revoking: %+v", state(e))
	}
	if r := e.History[len(e.History)-1]; r.Kind != journal.KindExclusionRevoked || !strings.Contains(string(r.Payload), `"category":"carrier"`) {
		t.Errorf("revocation record %+v %s", r, r.Payload)
	}
	// A noted fault wins over the exclusion.
	ingest(t, j, later, exA, exB)
	e, err := j.AddNote(ctx, 2026, 1, journal.Note{Fault: ptr(journal.FaultInstitution), By: "Сидоров"})
	if err != nil || e.Fault != journal.FaultInstitution || !e.Excluded() {
		t.Fatalf("noted fault: %+v, %v", state(e), err)
	}
}

func TestRecordManual(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	m := manual("op117-02", time.Hour)
	m.Note = "Не загружается компьютер оператора"
	e, err := j.RecordManual(ctx, m, "Петрова А.С.", "duty", later)
	if err != nil {
		t.Fatal(err)
	}
	if e.Label() != "1/2026" || !e.Manual || e.RecordedBy != "Петрова А.С." || e.Cause != m.Note || !e.CauseNoted ||
		e.Fault != journal.FaultInstitution || e.DetectedCause != health.CauseManual || e.History[0].Kind != journal.KindManual {
		t.Fatalf("manual entry %+v", state(e))
	}
	again, err := j.RecordManual(ctx, m, "Петрова А.С.", "duty", later.Add(time.Hour))
	if err != nil || !reflect.DeepEqual(again, e) {
		t.Fatalf("recording again: %v, changed %v", err, !reflect.DeepEqual(again, e))
	}
	ingest(t, j, later, m)
	if n := len(allEntries(t, j)); n != 1 {
		t.Fatalf("%d entries", n)
	}
	var ve *journal.ValidationError
	if _, err := j.RecordManual(ctx, sp("x", 0, health.CauseManual), "П", "", later); !errors.As(err, &ve) {
		t.Errorf("detected span: err = %v", err)
	}
	if _, err := j.RecordManual(ctx, manual("x", 0), "", "", later); !errors.As(err, &ve) {
		t.Errorf("no by: err = %v", err)
	}
}

func TestLateSpans(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	a := sp("op122-01", 10*time.Second, health.CauseUnregistered)
	b := open(sp("op122-02", 12*time.Second, health.CauseUnregistered))
	ingest(t, j, later, a)
	if e := entry(t, j, 2026, 1); e.Ongoing() {
		t.Fatal("entry of one closed span is ongoing")
	}
	// Later than Settle: b reopens the entry, c (starting before the
	// anchor) joins it too.
	c := sp("op122-03", 7*time.Second, health.CauseUnregistered)
	ingest(t, j, later, b, c)
	e := entry(t, j, 2026, 1)
	if !e.Ongoing() || !e.Start.Equal(c.Start) || len(e.Desks) != 3 {
		t.Fatalf("after late spans: %+v", state(e))
	}
	b.End = b.Start.Add(time.Hour)
	ingest(t, j, later, b)
	e = entry(t, j, 2026, 1)
	if !e.End.Equal(b.End) {
		t.Fatalf("end %v", e.End)
	}
	want := []journal.Kind{journal.KindEntryOpened, journal.KindSpanAdded, journal.KindEntryClosed,
		journal.KindSpanAdded, journal.KindSpanAdded, journal.KindSpanClosed, journal.KindEntryClosed}
	if !slices.Equal(kinds(e), want) {
		t.Fatalf("history %v", kinds(e))
	}
}

func TestSettle(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	a := open(sp("op122-01", 0, health.CauseUnregistered))
	ingest(t, j, t0.Add(9*time.Second), a, manual("op122-02", 0))
	if es := allEntries(t, j); len(es) != 1 || !es[0].Manual {
		t.Fatalf("before Settle: %v", labels(es))
	}
	ingest(t, j, t0.Add(10*time.Second), a)
	if n := len(allEntries(t, j)); n != 2 {
		t.Fatalf("after Settle: %d entries", n)
	}
}

func TestIngestValidation(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := newJournal(t, rdb, prefix)
	good := sp("op122-01", 0, health.CauseUnregistered)
	noCause := sp("op122-02", 0, "")
	backwards := sp("op122-03", 0, health.CauseOffline)
	backwards.End = backwards.Start.Add(-time.Second)
	var ve *journal.ValidationError
	for name, bad := range map[string]health.Span{"no ID": {Workstation: "a", Start: t0, Cause: "x"}, "no desk": {ID: "a", Start: t0, Cause: "x"},
		"no start": {ID: "a", Workstation: "a", Cause: "x"}, "no cause": noCause, "end before start": backwards} {
		if err := j.Ingest(ctx, []health.Span{good, bad}, later); !errors.As(err, &ve) || !strings.HasPrefix(ve.Field, "spans[1].") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if len(chain(t, rdb, prefix)) != 0 {
		t.Error("a refused batch wrote records")
	}
	if err := j.Ingest(ctx, []health.Span{good}, time.Time{}); !errors.As(err, &ve) {
		t.Errorf("zero now: %v", err)
	}
	if err := j.Ingest(ctx, nil, later); err != nil || len(chain(t, rdb, prefix)) != 0 {
		t.Errorf("nothing to ingest: %v", err)
	}
}

func TestDuplicateSpansInOneCall(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	a := sp("op122-01", 0, health.CauseOffline)
	ex := excluded(a, "carrier", "Авария", "Петрова")
	older := excluded(a, "power", "Свет", "Петрова")
	older.Exclusion.At = older.Exclusion.At.Add(-time.Minute)
	// The most advanced copy wins whatever the order: closed, then the
	// latest exclusion.
	ingest(t, j, later, open(a), older, ex, a)
	e := entry(t, j, 2026, 1)
	if e.Ongoing() || e.ExclusionCategory != "carrier" || len(e.SpanIDs) != 1 {
		t.Fatalf("%+v", state(e))
	}
}
