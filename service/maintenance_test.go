package service_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/service"
)

func kindOf(err error) error {
	var se *service.Error
	if errors.As(err, &se) {
		return se.Kind
	}
	return err
}

// A window declared ahead makes outages inside it planned; one that counts
// changes no figure, one that does not count takes the part inside out of
// the formula with its category and reason, which the report lists; the
// journal marks the entries. Ending and cancelling follow the window's
// state.
func TestMaintenanceWindows(t *testing.T) {
	e := newEnv(t)
	t0 := e.now
	h := func(x float64) time.Time { return t0.Add(time.Duration(x * float64(time.Hour))) }
	no := false
	bad := []service.DeclaredMaintenance{
		{Workstations: []string{"d1"}, From: h(-1), To: h(1), Reason: "x", By: "duty"},                            // in the past
		{From: h(1), To: h(2), Reason: "x", By: "duty"},                                                           // no scope
		{Workstations: []string{"d1"}, From: h(1), To: h(2), Reason: "x", By: "duty", Counts: &no},                // no category
		{Workstations: []string{"nope"}, From: h(1), To: h(2), Reason: "x", By: "duty"},                           // unknown desk
		{Hotlines: []string{"999"}, From: h(1), To: h(2), Reason: "x", By: "duty"},                                // unknown hotline
		{Workstations: []string{"d1"}, From: h(2), To: h(1), Reason: "x", By: "duty"},                             // backwards
		{Workstations: []string{"d1"}, From: h(1), To: h(2), Reason: " ", By: "duty"},                             // no reason
		{Workstations: []string{"d1"}, From: h(1), To: h(2), Reason: "x", By: "duty", Counts: &no, Category: "x"}, // bad category
	}
	for i, d := range bad {
		if _, err := e.svc.DeclareMaintenance(ctx, d); kindOf(err) != service.ErrInvalid {
			t.Errorf("bad[%d] accepted: %v", i, err)
		}
	}
	w1, err := e.svc.DeclareMaintenance(ctx, service.DeclaredMaintenance{Workstations: []string{"d1"}, From: h(1), To: h(3),
		Reason: "замена блока питания", Counts: &no, Category: "other", By: "Иванов", Actor: "duty"})
	if err != nil || w1.Counts || w1.Category != "other" {
		t.Fatalf("w1 %+v %v", w1, err)
	}
	w2, err := e.svc.DeclareMaintenance(ctx, service.DeclaredMaintenance{Hotlines: []string{"117"}, From: h(1), To: h(2), Reason: "обновление", By: "Иванов"})
	if err != nil || !w2.Counts || w2.Category != "" {
		t.Fatalf("w2 %+v %v", w2, err)
	}
	w3, err := e.svc.DeclareMaintenance(ctx, service.DeclaredMaintenance{All: true, From: h(10), To: h(11), Reason: "перенос", By: "Иванов", Actor: "duty"})
	if err != nil {
		t.Fatal(err)
	}
	if e.svc.Planned("d1", h(2)) != w1.ID || e.svc.Planned("d3", h(1.5)) != w2.ID || e.svc.Planned("d2", h(2)) != "" || e.svc.Planned("d2", h(10.5)) != w3.ID {
		t.Error("Planned")
	}

	e.now = h(5)
	// An outage still open is not planned for a window yet to begin (w3).
	if got, err := e.svc.PlannedIn(ctx, []health.Span{{ID: "open-d2", Workstation: "d2", Start: h(4)}}); err != nil || len(got["open-d2"]) != 0 {
		t.Errorf("an open outage planned ahead of the window: %v %v", got, err)
	}
	if _, err := e.svc.CancelMaintenance(ctx, w1.ID, "Петров", "board"); kindOf(err) != service.ErrConflict {
		t.Errorf("cancelled after it began: %v", err)
	}
	if _, err := e.svc.EndMaintenance(ctx, w2.ID, "Петров", "board"); kindOf(err) != service.ErrConflict {
		t.Errorf("ended after it was over: %v", err)
	}
	if c, err := e.svc.CancelMaintenance(ctx, w3.ID, "Петров", "board"); err != nil || c.CancelledBy != "Петров" {
		t.Errorf("cancel: %+v %v", c, err)
	}
	if e.svc.Planned("d2", h(10.5)) != "" {
		t.Error("a cancelled window still holds")
	}
	// The journal's chain holds the declarations and the cancellation too,
	// each naming the person as they wrote and the authenticated caller.
	for id, want := range map[string]string{w1.ID: "Иванов/duty", w3.ID: "Иванов/duty Петров/board"} {
		recs, err := e.jr.MaintenanceRecords(ctx, id)
		var got []string
		for _, r := range recs {
			got = append(got, r.By+"/"+r.Actor)
		}
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("journal records of %s: %v, want %s (%v)", id, got, want, err)
		}
	}

	// Outages: d1 from 0.5 h to 2 h (1 h inside w1), d3 from 1 h to 1.5 h (inside w2, which counts).
	s1 := e.outageAt("d1", h(0.5), h(2))
	s3 := e.outageAt("d3", h(1), h(1.5))
	av, err := e.svc.Availability(ctx, health.Interval{Start: t0, End: h(5)})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]health.DeskAvailability{}
	for _, d := range av.Desks {
		byID[d.ID] = d
	}
	if d := byID["d1"]; d.Unavailable != 30*time.Minute || d.Excluded != time.Hour {
		t.Errorf("d1 %+v", d)
	}
	if d := byID["d3"]; d.Unavailable != 30*time.Minute || d.Excluded != 0 {
		t.Errorf("d3 %+v", d)
	}
	planned, err := e.svc.PlannedIn(ctx, []health.Span{s1, s3})
	if err != nil || !slices.Equal(planned[s1.ID], []string{w1.ID}) || !slices.Equal(planned[s3.ID], []string{w2.ID}) {
		t.Errorf("PlannedIn %v %v", planned, err)
	}
	list, err := e.svc.Maintenances(ctx, t0, h(24))
	if err != nil || len(list) != 3 || list[0].ID != w3.ID || list[0].CancelledAt.IsZero() {
		t.Errorf("list %+v %v", list, err)
	}

	if err := e.jr.Ingest(ctx, []health.Span{s1, s3}, h(5)); err != nil {
		t.Fatal(err)
	}
	es, err := e.svc.JournalEntries(ctx, t0, h(5))
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range es {
		want := map[string]string{"d1": w1.ID, "d3": w2.ID}[en.Desks[0]]
		if !slices.Equal(en.Planned, []string{want}) {
			t.Errorf("entry %s of %v planned %v, want %s", en.ID(), en.Desks, en.Planned, want)
		}
		if en.ExclusionCategory != "" { // d1's outage began before the window: not excluded as a whole
			t.Errorf("entry %v excluded %q", en.Desks, en.ExclusionCategory)
		}
	}
	qr, err := e.svc.LiveReport(ctx, health.QuarterOf(t0, e.loc))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, x := range qr.Report.Exclusions {
		if x.SpanID == s1.ID && x.Category == "other" && x.Counted == time.Hour && strings.HasPrefix(x.Reason, w1.ID+": ") && x.By == "Иванов" {
			found = true
		}
	}
	if !found {
		t.Errorf("the report lacks the planned exclusion: %+v", qr.Report.Exclusions)
	}
	for _, row := range qr.Report.Journal {
		if !strings.Contains(row.Reason, "плановые работы") {
			t.Errorf("journal row %+v not marked planned", row)
		}
	}
}

// outageAt writes a detected outage of ws between two instants.
func (e *env) outageAt(ws string, from, to time.Time) health.Span {
	e.t.Helper()
	base := e.p.Start
	return e.outage(ws, from.Sub(base).Hours(), to.Sub(base).Hours())
}

// Services sharing a maintenance cache (the ones a daemon's reloads build)
// see a window declared through either at once, and each tells its
// OnMaintenanceChange; one with its own cache sees it only when its cache
// expires.
func TestSharedMaintenanceCache(t *testing.T) {
	e := newEnv(t)
	wss := []health.Workstation{{ID: "d1", Hotlines: []string{"122"}}}
	var shared service.MaintenanceCache
	changed := 0
	mk := func(c *service.MaintenanceCache) *service.Service {
		return service.New(service.Options{Workstations: wss, Location: e.loc, Store: e.st, Now: func() time.Time { return e.now },
			MaintenanceCache: c, OnMaintenanceChange: func() { changed++ }})
	}
	old, cur, own := mk(&shared), mk(&shared), mk(nil)
	for _, s := range []*service.Service{old, cur, own} {
		if s.Planned("d1", e.now) != "" {
			t.Fatal("planned before any window")
		}
	}
	w, err := cur.DeclareMaintenance(ctx, service.DeclaredMaintenance{Workstations: []string{"d1"}, From: e.now, To: e.now.Add(time.Hour), Reason: "x", By: "duty"})
	if err != nil {
		t.Fatal(err)
	}
	if got := old.Planned("d1", e.now); got != w.ID || changed != 1 {
		t.Errorf("the older service sharing the cache: planned %q, %d changes told", got, changed)
	}
	if own.Planned("d1", e.now) != "" {
		t.Error("a service with its own cache saw the window before its cache expired: the test shows nothing")
	}
	if next, ok := old.NextMaintenanceChange(e.now); !ok || !next.Equal(w.To) {
		t.Errorf("next change %v %v, want the window's end %v", next, ok, w.To)
	}
}
