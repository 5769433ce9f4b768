package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/store"
)

// The audit trail and the span's exclusion keep the authenticated actor
// beside the by the person gave.
func TestAuditActor(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	apply(t, s, down("d1", 0, health.SourceARI), up("d1", time.Hour))
	detected := "d1-20261127T160500.212Z"

	manual := health.Span{Workstation: "d1", Start: at(2 * time.Hour), End: at(3 * time.Hour)}
	if _, err := s.AddManualAs(ctx, manual, "Иванов", "duty", at(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ex := health.Exclusion{Category: "power", Reason: "blackout", By: "Иванов", Actor: "duty", At: at(5 * time.Hour)}
	sp, err := s.SetExclusion(ctx, detected, ex)
	if err != nil || sp.Exclusion == nil || *sp.Exclusion != ex {
		t.Fatalf("SetExclusion = %+v, %v", sp, err)
	}
	if got, _ := s.Span(ctx, detected); got.Exclusion == nil || got.Exclusion.Actor != "duty" {
		t.Fatalf("stored exclusion %+v", got.Exclusion)
	}
	if _, err := s.RevokeExclusionAs(ctx, detected, "Петров", "board", at(6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeExclusion(ctx, detected, "x", at(7*time.Hour)); err != nil { // nothing to revoke: no record
		t.Fatal(err)
	}
	if _, err := s.SetExclusion(ctx, detected, health.Exclusion{Category: "power", Reason: "r", By: "old caller", At: at(8 * time.Hour)}); err != nil {
		t.Fatal(err)
	}

	audit, err := s.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range audit {
		got = append(got, r.Action+" "+r.By+" "+r.Actor)
	}
	want := []string{"manual Иванов duty", "exclude Иванов duty", "revoke Петров board", "exclude old caller "}
	if !slices.Equal(got, want) {
		t.Fatalf("audit %q, want %q", got, want)
	}

	var ve *store.ValidationError
	if _, err := s.RevokeExclusionAs(ctx, detected, "a", "two\nlines", at(9*time.Hour)); !errors.As(err, &ve) {
		t.Errorf("actor of two lines: %v", err)
	}
	if _, err := s.AddManualAs(ctx, manual, "a", strings.Repeat("x", 201), at(9*time.Hour)); !errors.As(err, &ve) {
		t.Errorf("actor too long: %v", err)
	}
}

func TestSubmittedReportActor(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if _, err := s.SubmitReport(ctx, "2026Q3", store.SubmittedReport{SubmittedAt: at(0), By: "Петров", Actor: "cli:petrov", InputsHash: "h", Report: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SubmittedReports(ctx, "2026Q3")
	if err != nil || len(got) != 1 || got[0].By != "Петров" || got[0].Actor != "cli:petrov" {
		t.Fatalf("%+v %v", got, err)
	}
}
