package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/store"
)

func TestManualExclusionAudit(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	apply(t, s, down("d1", 0, health.SourceARI), up("d1", time.Hour))
	detected := "d1-20261127T160500.212Z"

	manual := health.Span{Workstation: "d1", Start: at(2 * time.Hour), End: at(3 * time.Hour), Note: "headset dead"}
	m, err := s.AddManual(ctx, manual, "supervisor", at(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "d1-m20261127T180500.212Z" || !m.Manual || m.Cause != health.CauseManual ||
		!slices.Equal(m.Sources, []health.Source{health.SourceManual}) || m.Note != "headset dead" {
		t.Fatalf("manual span = %+v", m)
	}
	// Same again: idempotent; different: conflict.
	if again, err := s.AddManual(ctx, manual, "supervisor", at(5*time.Hour)); err != nil || again.ID != m.ID {
		t.Fatalf("same manual span again = %+v, %v", again, err)
	}
	manual.Note = "other"
	if _, err := s.AddManual(ctx, manual, "supervisor", at(5*time.Hour)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("conflicting manual span: err = %v", err)
	}
	if got := ids(spans(t, s, store.SpanQuery{})); !slices.Equal(got, []string{m.ID, detected}) {
		t.Fatalf("spans = %v", got)
	}

	power := health.Exclusion{Category: "power", Reason: "blackout", By: "head", At: at(6 * time.Hour)}
	sp, err := s.SetExclusion(ctx, detected, power)
	if err != nil || sp.Exclusion == nil || *sp.Exclusion != power {
		t.Fatalf("SetExclusion = %+v, %v", sp, err)
	}
	carrier := health.Exclusion{Category: "carrier", Reason: "трасса оборвана", By: "head2", At: at(7 * time.Hour)}
	if sp, err = s.SetExclusion(ctx, detected, carrier); err != nil || *sp.Exclusion != carrier {
		t.Fatalf("replace exclusion = %+v, %v", sp, err)
	}
	if got, _ := s.Span(ctx, detected); got.Exclusion == nil || *got.Exclusion != carrier || !got.End.Equal(at(time.Hour)) {
		t.Fatalf("stored span = %+v", got)
	}
	if sp, err = s.RevokeExclusion(ctx, detected, "auditor", at(8*time.Hour)); err != nil || sp.Exclusion != nil {
		t.Fatalf("RevokeExclusion = %+v, %v", sp, err)
	}
	if _, err = s.RevokeExclusion(ctx, detected, "auditor", at(9*time.Hour)); err != nil {
		t.Fatalf("revoke again: %v", err)
	}

	var ve *store.ValidationError
	if _, err := s.SetExclusion(ctx, detected, health.Exclusion{Category: "weather", By: "x", At: at(0)}); !errors.As(err, &ve) || ve.Field != "Category" {
		t.Fatalf("bad category: err = %v", err)
	}
	if _, err := s.SetExclusion(ctx, detected, health.Exclusion{Category: "power", At: at(0)}); !errors.As(err, &ve) {
		t.Fatalf("no by: err = %v", err)
	}
	if _, err := s.SetExclusion(ctx, "d1-20300101T000000.000Z", power); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing span: err = %v", err)
	}
	if _, err := s.RevokeExclusion(ctx, "x", "a", at(0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke bad ID: err = %v", err)
	}

	audit, err := s.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ action, by, span string }
	var got []row
	for _, r := range audit {
		got = append(got, row{r.Action, r.By, r.SpanID})
		if !json.Valid(r.Detail) || !strings.HasPrefix(r.ID, "d1/") {
			t.Errorf("record %+v", r)
		}
	}
	want := []row{
		{store.ActionManual, "supervisor", m.ID},
		{store.ActionExclude, "head", detected},
		{store.ActionExclude, "head2", detected},
		{store.ActionRevoke, "auditor", detected},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit = %v, want %v", got, want)
	}
	if !audit[0].At.Equal(at(4*time.Hour)) || !audit[3].At.Equal(at(8*time.Hour)) {
		t.Fatalf("audit times = %v, %v", audit[0].At, audit[3].At)
	}
	var replaced struct{ Exclusion, Previous *health.Exclusion }
	if err := json.Unmarshal(audit[2].Detail, &replaced); err != nil || *replaced.Exclusion != carrier || *replaced.Previous != power {
		t.Fatalf("replace detail = %s (%v)", audit[2].Detail, err)
	}
	var revoked struct{ Revoked *health.Exclusion }
	if err := json.Unmarshal(audit[3].Detail, &revoked); err != nil || *revoked.Revoked != carrier {
		t.Fatalf("revoke detail = %s (%v)", audit[3].Detail, err)
	}
}
