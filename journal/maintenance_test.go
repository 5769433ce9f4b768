package journal_test

import (
	"encoding/json"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

// A window's declaration and end go into the chain under its id, with
// whether it counts and why not; the chain still verifies, and the
// journal's entries are untouched.
func TestRecordMaintenance(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := build(t, rdb, prefix)
	before, err := j.Entries(ctx, time.Time{}, time.Now().AddDate(10, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	m := health.Maintenance{ID: "mw-7", Hotlines: []string{"122"}, From: at.Add(time.Hour), To: at.Add(3 * time.Hour),
		Reason: "замена коммутатора", Counts: false, Category: "other", By: "Иванов", CreatedAt: at}
	if err := j.RecordMaintenance(ctx, m, journal.MaintenanceDeclare, "Иванов", "duty", at); err != nil {
		t.Fatal(err)
	}
	m.EndedAt, m.EndedBy = at.Add(2*time.Hour), "Петров"
	if err := j.RecordMaintenance(ctx, m, journal.MaintenanceEnd, "Петров", "board", m.EndedAt); err != nil {
		t.Fatal(err)
	}
	if err := j.RecordMaintenance(ctx, m, "delete", "x", "duty", at); err == nil {
		t.Error("an unknown action was recorded")
	}
	if err := j.RecordMaintenance(ctx, m, journal.MaintenanceEnd, "x", "two\nlines", at); err == nil {
		t.Error("an actor of two lines was recorded")
	}
	recs, err := j.MaintenanceRecords(ctx, "mw-7")
	if err != nil || len(recs) != 2 {
		t.Fatalf("records %+v %v", recs, err)
	}
	var pl struct {
		Action string
		Window health.Maintenance
	}
	if err := json.Unmarshal(recs[1].Payload, &pl); err != nil || recs[1].Kind != journal.KindMaintenance || recs[1].By != "Петров" || recs[1].Actor != "board" || recs[0].Actor != "duty" ||
		pl.Action != journal.MaintenanceEnd || pl.Window.Counts || pl.Window.Category != "other" || !pl.Window.EndedAt.Equal(m.EndedAt) {
		t.Errorf("record %+v payload %+v %v", recs[1], pl, err)
	}
	if res, err := j.Verify(ctx); err != nil || !res.OK {
		t.Fatalf("verify: %+v %v", res, err)
	}
	after, err := j.Entries(ctx, time.Time{}, time.Now().AddDate(10, 0, 0))
	if err != nil || len(after) != len(before) {
		t.Errorf("entries %d, were %d: %v", len(after), len(before), err)
	}
}
