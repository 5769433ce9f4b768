package service_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
	"deskwatch/report"
	"deskwatch/service"
	"deskwatch/store"
)

var ctx = context.Background()

type env struct {
	t     *testing.T
	redis *redistest.Server
	st    *store.Store
	jr    *journal.Journal
	svc   *service.Service
	loc   *time.Location
	q     health.Quarter  // 2026Q3
	p     health.Interval // its range in Irkutsk
	now   time.Time
}

// newEnv: three desks over a real store and journal; "now" is after
// 2026Q3's report was due (15 Oct).
func newEnv(t *testing.T) *env {
	loc, err := time.LoadLocation("Asia/Irkutsk")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, loc: loc, q: health.Quarter{Year: 2026, Q: 3}, now: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	e.p = e.q.Range(loc)
	e.redis = redistest.StartServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: e.redis.Addr(), MaxRetries: -1, DialTimeout: 300 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	e.st = store.New(rdb, "t:", zerolog.Nop())
	wss := []health.Workstation{
		{ID: "d1", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d1"}},
		{ID: "d2", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d2"}},
		{ID: "d3", Hotlines: []string{"117"}, Endpoints: []string{"PJSIP/d3"}},
	}
	if e.jr, err = journal.New(rdb, journal.Options{Prefix: "t:", Location: loc, Workstations: wss}, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	e.svc = service.New(service.Options{Workstations: wss, Location: loc, Store: e.st, Journal: e.jr, Now: func() time.Time { return e.now }, Logger: zerolog.Nop()})
	return e
}

// h is hours after the quarter's start.
func (e *env) h(hours float64) time.Time {
	return e.p.Start.Add(time.Duration(hours * float64(time.Hour)))
}

// outage writes a detected outage of ws between two hours of the quarter.
func (e *env) outage(ws string, from, to float64) health.Span {
	e.t.Helper()
	if err := e.st.Apply(ctx, []health.Transition{
		{Workstation: ws, At: e.h(from), From: health.StateUp, To: health.StateDown, Cause: health.CauseUnreachable, Source: health.SourceARI},
		{Workstation: ws, At: e.h(to), From: health.StateDown, To: health.StateUp, Source: health.SourceARI},
	}); err != nil {
		e.t.Fatal(err)
	}
	spans, err := e.st.Spans(ctx, store.SpanQuery{From: e.h(from), To: e.h(to), Workstations: []string{ws}})
	if err != nil || len(spans) != 1 {
		e.t.Fatalf("seeded outage: %v %v", spans, err)
	}
	return spans[0]
}

// wantKind checks an error's kind and code and that it reads in both
// languages.
func wantKind(t *testing.T, what string, err, kind error, code string) *service.Error {
	t.Helper()
	var se *service.Error
	if !errors.As(err, &se) || !errors.Is(err, kind) || se.Code != code {
		t.Fatalf("%s: %v (%#v), want %v with code %q", what, err, err, kind, code)
	}
	if se.RU == se.EN || se.RU == "" || se.EN == "" || !strings.HasPrefix(se.Error(), se.EN) {
		t.Fatalf("%s: messages ru %q en %q error %q", what, se.RU, se.EN, se.Error())
	}
	return se
}

// Each kind of failure comes back typed, whichever layer found it: the
// use case's own checks, the store's validation and sentinels, the
// journal's, and Redis not answering.
func TestErrorKinds(t *testing.T) {
	e := newEnv(t)
	sp := e.outage("d1", 1, 2)
	manual := service.ManualOutage{Workstation: "d2", Start: e.h(10), End: e.h(11), Cause: "компьютер не загружается", By: "duty"}
	if _, err := e.svc.AddManual(ctx, manual); err != nil {
		t.Fatal(err)
	}

	_, err := e.svc.AddManual(ctx, service.ManualOutage{Workstation: "nope", Start: e.h(1), End: e.h(2), Cause: "x", By: "duty"})
	wantKind(t, "unknown desk", err, service.ErrInvalid, "unknown_workstation")
	old := time.Date(1960, 7, 1, 0, 0, 0, 0, time.UTC)
	_, err = e.svc.AddManual(ctx, service.ManualOutage{Workstation: "d1", Start: old, End: old.Add(time.Hour), Cause: "x", By: "duty"})
	if se := wantKind(t, "start in 1960", err, service.ErrInvalid, "invalid"); !strings.Contains(se.RU, "1970") || se.Err != nil {
		t.Errorf("the store's refusal: %q (cause %v): want its reason shown, no hidden cause", se.RU, se.Err)
	}
	_, err = e.svc.Outages(ctx, service.OutageQuery{From: old, To: old.Add(time.Hour)})
	wantKind(t, "query in 1960", err, service.ErrInvalid, "invalid")
	_, err = e.svc.Outages(ctx, service.OutageQuery{From: e.p.Start, To: e.p.End, Hotline: "911"})
	wantKind(t, "unknown hotline", err, service.ErrInvalid, "unknown_hotline")
	_, err = e.svc.Exclude(ctx, sp.ID, health.Exclusion{Category: "aliens", Reason: "r", By: "duty"})
	wantKind(t, "bad category", err, service.ErrInvalid, "bad_category")

	_, err = e.svc.Exclude(ctx, "d1-20260701T000000.000Z", health.Exclusion{Category: "power", Reason: "r", By: "duty"})
	wantKind(t, "unknown span", err, service.ErrNotFound, "not_found")
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the store's sentinel is lost: %v", err)
	}
	_, err = e.svc.JournalEntry(ctx, 2026, 99)
	wantKind(t, "unknown entry", err, service.ErrNotFound, "not_found")
	_, err = e.svc.SubmittedReport(ctx, e.q, 1)
	wantKind(t, "no submitted version", err, service.ErrNotFound, "no_version")

	manual.Cause = "другая причина"
	_, err = e.svc.AddManual(ctx, manual)
	wantKind(t, "same desk and start, other cause", err, service.ErrConflict, "conflict")
	_, err = e.svc.Submit(ctx, e.q.Next(), "duty", "duty")
	wantKind(t, "a quarter still running", err, service.ErrConflict, "quarter_open")

	fault := "nobody"
	_, err = e.svc.AddNote(ctx, 2026, 1, journal.Note{Fault: &fault, By: "duty"})
	wantKind(t, "unknown fault", err, service.ErrInvalid, "bad_fault")

	e.redis.Stop()
	_, err = e.svc.Availability(ctx, e.p)
	if se := wantKind(t, "Redis down", err, service.ErrUnavailable, "store_unavailable"); se.Err == nil || !strings.Contains(se.Error(), se.Err.Error()) {
		t.Errorf("the cause is not kept for the logs: %v", se.Err)
	}
	if err := e.svc.Ping(ctx); !errors.Is(err, service.ErrUnavailable) {
		t.Errorf("ping with Redis down: %v", err)
	}
}

// The availability of a period and the report of the quarter come from the
// same inputs, loaded once each: the same figures, desk by desk.
func TestAvailabilityIsTheReportsFigures(t *testing.T) {
	e := newEnv(t)
	e.outage("d1", 10, 13)
	power := e.outage("d2", 100, 104)
	if _, err := e.svc.Exclude(ctx, power.ID, health.Exclusion{Category: "power", Reason: "отключение электроснабжения", By: "Иванов И.И."}); err != nil {
		t.Fatal(err)
	}
	av, err := e.svc.Availability(ctx, e.p)
	if err != nil {
		t.Fatal(err)
	}
	live, err := e.svc.LiveReport(ctx, e.q)
	if err != nil {
		t.Fatal(err)
	}
	r := live.Report
	Q := e.p.End.Sub(e.p.Start).Seconds()
	if av.N != 3 || r.N != 3 || av.D != r.D || math.Abs(av.D-(100*(Q-3*3600)/Q+200)/3) > 1e-9 {
		t.Fatalf("availability N=%d D=%v, report N=%d D=%v", av.N, av.D, r.N, r.D)
	}
	for i, d := range av.Desks {
		if row := r.Desks[i]; row.ID != d.ID || row.Di != d.Di || row.Unavailable != d.Unavailable || row.Excluded != d.Excluded {
			t.Errorf("%s: availability %+v, report %+v", d.ID, d, row)
		}
	}
	// The exclusion told the journal of d2's outage at once; d1's waits for
	// the follower, which does not run here.
	if len(r.Exclusions) != 1 || r.Exclusions[0].By != "Иванов И.И." || len(r.Journal) != 1 || r.Journal[0].ExclusionCategory != "power" {
		t.Errorf("exclusions %+v, journal %+v", r.Exclusions, r.Journal)
	}
}

// A quarter's report: ready, then submitted (idempotently), then changed
// by a late exclusion; the frozen version keeps its figures.
func TestReportLifecycle(t *testing.T) {
	e := newEnv(t)
	e.now = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC) // before the due date
	late := e.outage("d1", 10, 13)
	live, err := e.svc.LiveReport(ctx, e.q)
	if err != nil || live.Report.Status != report.StatusReady || live.Report.Version != 1 || live.Submitted != 0 || live.Changed {
		t.Fatalf("before submission: %+v %v", live, err)
	}
	sub, err := e.svc.Submit(ctx, e.q, "Петров П.П.", "cli:petrov")
	if v, created := sub.Version, sub.Created; err != nil || v != 1 || !created {
		t.Fatalf("submit: %d %v %v", v, created, err)
	}
	if sub, err = e.svc.Submit(ctx, e.q, "Петров П.П.", "cli:petrov"); err != nil || sub.Version != 1 || sub.Created {
		t.Fatalf("submit again: %d %v %v", sub.Version, sub.Created, err)
	}
	if live, _ = e.svc.LiveReport(ctx, e.q); live.Report.Status != report.StatusSubmitted || live.Report.Version != 1 {
		t.Fatalf("after submission: status %s version %d", live.Report.Status, live.Report.Version)
	}
	frozenD := live.Report.D

	e.now = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) // after the due date
	if _, err := e.svc.Exclude(ctx, late.ID, health.Exclusion{Category: "carrier", Reason: "авария у оператора связи", By: "duty"}); err != nil {
		t.Fatal(err)
	}
	live, _ = e.svc.LiveReport(ctx, e.q)
	if live.Report.Status != report.StatusOverdue || !live.Changed || live.Report.Version != 2 || live.Report.D != 100 {
		t.Fatalf("after a late exclusion: status %s changed %v version %d D %v", live.Report.Status, live.Changed, live.Report.Version, live.Report.D)
	}
	h, err := e.svc.Versions(ctx, e.q)
	if err != nil || h.Status != report.StatusOverdue || len(h.Versions) != 2 {
		t.Fatalf("versions: %+v %v", h, err)
	}
	if v1, lv := h.Versions[0], h.Versions[1]; v1.Version != 1 || v1.By != "Петров П.П." || v1.Report.D != frozenD || lv.Version != 0 || lv.Report.D != 100 {
		t.Fatalf("versions: v1 %d by %q D %v, live %d D %v", v1.Version, v1.By, v1.Report.D, lv.Version, lv.Report.D)
	}
	frozen, err := e.svc.SubmittedReport(ctx, e.q, 1)
	if err != nil || frozen.D != frozenD || frozen.Status != report.StatusSubmitted || frozen.Version != 1 {
		t.Fatalf("frozen v1: %v %v", frozen, err)
	}
	if n, err := e.svc.SubmittedVersions(ctx, e.q); err != nil || n != 1 {
		t.Fatalf("submitted versions: %d %v", n, err)
	}

	recent, err := e.svc.RecentReports(ctx)
	if err != nil || len(recent) != 5 {
		t.Fatalf("recent: %d %v", len(recent), err)
	}
	if got := recent[1]; got.Report.Quarter != e.q || !got.Changed || got.Submitted != 1 || got.Missing != 1 {
		t.Errorf("2026Q3 in the list: quarter %s changed %v submitted %d missing %d", got.Report.Quarter, got.Changed, got.Submitted, got.Missing)
	}
	if recent[0].Report.Status != report.StatusOpen {
		t.Errorf("the current quarter is %s", recent[0].Report.Status)
	}
}

// A manual outage, an exclusion and its revocation reach the journal at
// once, signed by who made them, not by the system.
func TestChangesAreJournaledAtOnce(t *testing.T) {
	e := newEnv(t)
	sp, err := e.svc.AddManual(ctx, service.ManualOutage{Workstation: "d3", Start: e.h(5), End: e.h(6), Cause: " блок питания ", Note: "заменён", By: "duty"})
	if err != nil || !sp.Manual || sp.Cause != "блок питания" {
		t.Fatalf("manual: %+v %v", sp, err)
	}
	if _, err := e.svc.Exclude(ctx, sp.ID, health.Exclusion{Category: "other", Reason: " скачок напряжения ", By: "Иванов И.И."}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Revoke(ctx, sp.ID, "duty", "duty"); err != nil {
		t.Fatal(err)
	}
	es, err := e.svc.JournalEntries(ctx, e.p.Start, e.p.End)
	if err != nil || len(es) != 1 {
		t.Fatalf("journal: %d entries, %v", len(es), err)
	}
	var got []string
	for _, r := range es[0].History {
		if r.Kind == journal.KindManual || r.Kind == journal.KindExclusion || r.Kind == journal.KindExclusionRevoked {
			got = append(got, string(r.Kind)+" by "+r.By)
		}
	}
	want := "manual by duty, exclusion by Иванов И.И., exclusion_revoked by duty"
	if strings.Join(got, ", ") != want {
		t.Fatalf("history %v, want %s", got, want)
	}
	cause := "неисправен блок питания"
	e2, err := e.svc.AddNote(ctx, es[0].Year, es[0].Number, journal.Note{Cause: &cause, By: "duty"})
	if err != nil || e2.Cause != cause || !e2.CauseNoted {
		t.Fatalf("note: %+v %v", e2, err)
	}
}
