package service_test

import (
	"strings"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/journal"
	"deskwatch/service"
)

// Every write records the authenticated actor beside the by the person
// gave: in the store's audit trail, the journal and submitted versions.
func TestActorBesideBy(t *testing.T) {
	e := newEnv(t)
	sp, err := e.svc.AddManual(ctx, service.ManualOutage{Workstation: "d3", Start: e.h(5), End: e.h(6), Cause: "блок питания", By: "Сидоров", Actor: "duty"})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := e.svc.Exclude(ctx, sp.ID, health.Exclusion{Category: "other", Reason: "скачок напряжения", By: "Иванов", Actor: "duty"})
	if err != nil || ex.Exclusion.By != "Иванов" || ex.Exclusion.Actor != "duty" {
		t.Fatalf("exclusion %+v %v", ex.Exclusion, err)
	}
	if _, err := e.svc.Revoke(ctx, sp.ID, "Петров", "board"); err != nil {
		t.Fatal(err)
	}
	es, err := e.svc.JournalEntries(ctx, e.p.Start, e.p.End)
	if err != nil || len(es) != 1 {
		t.Fatalf("journal: %v %v", es, err)
	}
	if _, err := e.svc.AddNote(ctx, es[0].Year, es[0].Number, journal.Note{Actions: ptr("заменён"), By: "Сидоров", Actor: "duty"}); err != nil {
		t.Fatal(err)
	}
	e2, _ := e.svc.JournalEntry(ctx, es[0].Year, es[0].Number)
	var got []string
	for _, r := range e2.History {
		got = append(got, string(r.Kind)+" "+r.By+"/"+r.Actor)
	}
	want := "manual Сидоров/duty, span_added Сидоров/duty, entry_closed deskwatch/deskwatch, exclusion Иванов/duty, exclusion_revoked Петров/board, note Сидоров/duty"
	if strings.Join(got, ", ") != want {
		t.Fatalf("history\n%s\nwant\n%s", strings.Join(got, ", "), want)
	}
	audit, err := e.st.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, a := range audit {
		got = append(got, a.Action+" "+a.By+"/"+a.Actor)
	}
	if want := "manual Сидоров/duty, exclude Иванов/duty, revoke Петров/board"; strings.Join(got, ", ") != want {
		t.Fatalf("audit %s, want %s", strings.Join(got, ", "), want)
	}
}

// Reports and submissions carry the journal's chain head as of the build.
func TestReportsCarryTheChainHead(t *testing.T) {
	e := newEnv(t)
	e.outage("d1", 10, 13)
	if err := e.jr.Ingest(ctx, mustSpans(e), e.now); err != nil {
		t.Fatal(err)
	}
	head, err := e.jr.Head(ctx)
	if err != nil || head.Seq == 0 {
		t.Fatalf("head %v %v", head, err)
	}
	live, err := e.svc.LiveReport(ctx, e.q)
	if err != nil || live.Report.JournalHead.Seq != head.Seq || live.Report.JournalHead.Hash != head.Hash {
		t.Fatalf("live report's head %+v, journal's %+v (%v)", live.Report.JournalHead, head, err)
	}
	sub, err := e.svc.Submit(ctx, e.q, "Петров", "cli:petrov")
	if err != nil || !sub.Created || sub.JournalHead.String() != head.String() {
		t.Fatalf("submission %+v %v, want head %s", sub, err, head)
	}
	// More records (another quarter's incident) move the head, not the
	// inputs: submitting again is the same version, with the head it printed.
	q4 := health.Span{ID: "d2-q4", Workstation: "d2", Start: e.now.Add(-2 * time.Hour), End: e.now.Add(-time.Hour),
		Cause: health.CauseUnreachable, Sources: []health.Source{health.SourceARI}}
	if err := e.jr.Ingest(ctx, []health.Span{q4}, e.now); err != nil {
		t.Fatal(err)
	}
	if moved, _ := e.jr.Head(ctx); moved.Seq <= head.Seq {
		t.Fatalf("head did not move: %v", moved)
	}
	again, err := e.svc.Submit(ctx, e.q, "Петров", "cli:petrov")
	if err != nil || again.Created || again.Version != 1 || again.JournalHead != sub.JournalHead {
		t.Fatalf("again %+v %v", again, err)
	}
	frozen, err := e.svc.SubmittedReport(ctx, e.q, 1)
	if err != nil || frozen.JournalHead != sub.JournalHead {
		t.Fatalf("frozen head %+v %v", frozen.JournalHead, err)
	}
	h, err := e.svc.Versions(ctx, e.q)
	if err != nil || h.Versions[0].Actor != "cli:petrov" || h.Versions[0].By != "Петров" {
		t.Fatalf("versions %+v %v", h.Versions, err)
	}
}

func ptr[T any](v T) *T { return &v }

func mustSpans(e *env) []health.Span {
	e.t.Helper()
	spans, err := e.svc.Outages(ctx, service.OutageQuery{From: e.p.Start, To: e.p.End})
	if err != nil {
		e.t.Fatal(err)
	}
	return spans
}
