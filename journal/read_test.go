package journal_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

func TestEntriesRange(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	long := sp("op122-01", 0, health.CauseUnregistered)
	long.End = long.Start.Add(72 * time.Hour)
	ongoing := open(sp("op122-02", time.Hour, health.CauseUnreachable))
	short := sp("op122-03", 50*time.Hour, health.CauseOffline)
	instant := sp("op122-04", 60*time.Hour, health.CauseOffline)
	instant.End = instant.Start
	ingest(t, j, t0.Add(100*time.Hour), long, ongoing, short, instant)

	for _, tt := range []struct {
		from, to time.Duration
		want     []string
	}{
		{-time.Hour, 0, nil},
		{-time.Hour, time.Millisecond, []string{"1/2026"}},
		{48 * time.Hour, 49 * time.Hour, []string{"2/2026", "1/2026"}},
		{50 * time.Hour, 51 * time.Hour, []string{"3/2026", "2/2026", "1/2026"}},
		{51 * time.Hour, 60 * time.Hour, []string{"2/2026", "1/2026"}},
		{60 * time.Hour, 61 * time.Hour, []string{"4/2026", "2/2026", "1/2026"}},
		{72 * time.Hour, 1000 * time.Hour, []string{"2/2026"}},
	} {
		es, err := j.Entries(ctx, t0.Add(tt.from), t0.Add(tt.to))
		if err != nil {
			t.Fatal(err)
		}
		if got := labels(es); !slices.Equal(got, tt.want) {
			t.Errorf("[%v, %v): %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
	var ve *journal.ValidationError
	if _, err := j.Entries(ctx, t0, t0.Add(-time.Second)); !errors.As(err, &ve) {
		t.Errorf("to before from: %v", err)
	}
}

func TestMissing(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	m := manual("op117-01", 3*time.Hour)
	m.Note = "Сломан компьютер"
	ingest(t, j, later,
		sp("op122-01", 0, health.CauseUnregistered),
		sp("op122-02", time.Hour, health.CauseUnregistered),
		excluded(sp("op122-03", 2*time.Hour, health.CauseOffline), "power", "Отключение", "Петрова"),
		m,
	)
	missing := func() []string {
		es, err := j.Missing(ctx, t0, t0.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return labels(es)
	}
	if got := missing(); !slices.Equal(got, []string{"3/2026", "2/2026", "1/2026"}) {
		t.Fatalf("missing %v", got)
	}
	if _, err := j.AddNote(ctx, 2026, 1, journal.Note{Cause: ptr("Сбой"), By: "Иванов"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.AddNote(ctx, 2026, 2, journal.Note{Cause: ptr("Сбой"), Fault: ptr(journal.FaultExternal), By: "Иванов"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.AddNote(ctx, 2026, 3, journal.Note{Cause: ptr("Авария сети"), By: "Иванов"}); err != nil {
		t.Fatal(err)
	}
	if got := missing(); !slices.Equal(got, []string{"1/2026"}) {
		t.Fatalf("missing after notes %v (1/2026 still lacks a fault)", got)
	}
}
