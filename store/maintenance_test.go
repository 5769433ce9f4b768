package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/store"
)

// Windows are declared, listed, ended early or cancelled; every change is
// an audit record with who and when, and a wrong change leaves both as
// they were.
func TestMaintenanceLifecycleAndAudit(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	m := health.Maintenance{Hotlines: []string{"122"}, From: at(time.Hour), To: at(3 * time.Hour), Reason: "замена коммутатора",
		Counts: false, Category: "other", By: "Иванов", CreatedAt: at(0)}
	a, err := s.DeclareMaintenance(ctx, m)
	if err != nil || a.ID != "mw-1" {
		t.Fatalf("declare: %+v %v", a, err)
	}
	m.Reason = "обновление АТС"
	b, err := s.DeclareMaintenance(ctx, m)
	if err != nil || b.ID != "mw-2" {
		t.Fatalf("declare: %+v %v", b, err)
	}
	if _, err := s.EndMaintenance(ctx, "mw-1", "Петров", at(30*time.Minute)); !errors.Is(err, store.ErrMaintenanceState) {
		t.Fatalf("ended before it began: %v", err)
	}
	ended, err := s.EndMaintenance(ctx, "mw-1", "Петров", at(2*time.Hour))
	if err != nil || !ended.EndedAt.Equal(at(2*time.Hour)) || ended.EndedBy != "Петров" {
		t.Fatalf("end: %+v %v", ended, err)
	}
	if _, err := s.EndMaintenance(ctx, "mw-1", "Петров", at(2*time.Hour+time.Minute)); !errors.Is(err, store.ErrMaintenanceState) {
		t.Fatalf("ended twice: %v", err)
	}
	if _, err := s.CancelMaintenance(ctx, "mw-2", "Петров", at(2*time.Hour)); !errors.Is(err, store.ErrMaintenanceState) {
		t.Fatalf("cancelled after it began: %v", err)
	}
	cancelled, err := s.CancelMaintenance(ctx, "mw-2", "Сидоров", at(10*time.Minute))
	if err != nil || cancelled.CancelledBy != "Сидоров" {
		t.Fatalf("cancel: %+v %v", cancelled, err)
	}
	if _, err := s.CancelMaintenance(ctx, "mw-9", "x", at(0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	all, err := s.Maintenances(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "mw-1" || all[0].EndedAt.IsZero() || all[1].CancelledAt.IsZero() || all[1].Reason != "обновление АТС" {
		t.Fatalf("list: %+v %v", all, err)
	}
	one, err := s.MaintenanceByID(ctx, "mw-2")
	if err != nil || one.ID != "mw-2" || one.Category != "other" || one.Counts {
		t.Fatalf("get: %+v %v", one, err)
	}
	audit, err := s.MaintenanceAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ action, id, by string }{
		{store.ActionMaintenanceDeclare, "mw-1", "Иванов"}, {store.ActionMaintenanceDeclare, "mw-2", "Иванов"},
		{store.ActionMaintenanceEnd, "mw-1", "Петров"}, {store.ActionMaintenanceCancel, "mw-2", "Сидоров"},
	}
	if len(audit) != len(want) {
		t.Fatalf("audit %+v", audit)
	}
	for i, w := range want {
		if r := audit[i]; r.Action != w.action || r.SpanID != w.id || r.By != w.by || len(r.Detail) == 0 {
			t.Errorf("audit[%d] = %+v, want %+v", i, r, w)
		}
	}
	if _, err := s.DeclareMaintenance(ctx, health.Maintenance{From: at(time.Hour), To: at(time.Hour), By: "x", CreatedAt: at(0)}); err == nil {
		t.Error("an empty window was accepted")
	}
}
