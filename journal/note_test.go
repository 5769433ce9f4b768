package journal_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

func TestNotes(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	ingest(t, j, later, sp("op122-01", 0, health.CauseUnregistered))

	e, err := j.AddNote(ctx, 2026, 1, journal.Note{Cause: ptr("Сбой блока питания телефона"), By: "Иванов И.И.", At: later})
	if err != nil {
		t.Fatal(err)
	}
	if e.Cause != "Сбой блока питания телефона" || !e.CauseNoted || e.Fault != journal.FaultUnknown || e.RecordedBy != "Иванов И.И." {
		t.Fatalf("after the first note: %+v", state(e))
	}
	e, err = j.AddNote(ctx, 2026, 1, journal.Note{Actions: ptr("  Заменён блок питания\n"), Fault: ptr(journal.FaultInstitution), By: "Петрова А.С."})
	if err != nil {
		t.Fatal(err)
	}
	e, err = j.AddNote(ctx, 2026, 1, journal.Note{Cause: ptr("Неисправен телефонный аппарат"), By: "Петрова А.С.", At: later.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if e.Cause != "Неисправен телефонный аппарат" || e.Actions != "Заменён блок питания" || e.Fault != journal.FaultInstitution ||
		e.RecordedBy != "Петрова А.С." || e.DetectedCause != health.CauseUnregistered {
		t.Fatalf("latest state: %+v", state(e))
	}
	want := []journal.Kind{journal.KindEntryOpened, journal.KindSpanAdded, journal.KindEntryClosed, journal.KindNote, journal.KindNote, journal.KindNote}
	if !slices.Equal(kinds(e), want) {
		t.Fatalf("history %v", kinds(e))
	}
	if n := e.History[3]; n.By != "Иванов И.И." || !n.At.Equal(later) || string(n.Payload) != `{"cause":"Сбой блока питания телефона"}` {
		t.Errorf("first note kept as %+v (%s)", n, n.Payload)
	}
	if again := entry(t, j, 2026, 1); !reflect.DeepEqual(again, e) {
		t.Errorf("Entry differs from what AddNote returned")
	}

	var ve *journal.ValidationError
	for name, n := range map[string]journal.Note{
		"no by":       {Cause: ptr("x")},
		"blank by":    {Cause: ptr("x"), By: "  "},
		"empty note":  {By: "Иванов"},
		"blank cause": {Cause: ptr(" \n"), By: "Иванов"},
		"bad fault":   {Fault: ptr("carrier"), By: "Иванов"},
		"long cause":  {Cause: ptr(strings.Repeat("я", 2001)), By: "Иванов"},
		"control":     {Actions: ptr("a\x00b"), By: "Иванов"},
		"two-line by": {Cause: ptr("x"), By: "Иванов\nПетров"},
	} {
		if _, err := j.AddNote(ctx, 2026, 1, n); !errors.As(err, &ve) {
			t.Errorf("%s: err = %v, want a ValidationError", name, err)
		}
	}
	if _, err := j.AddNote(ctx, 2026, 99, journal.Note{Cause: ptr("x"), By: "Иванов"}); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("unknown entry: err = %v", err)
	}
	if _, err := j.Entry(ctx, 2025, 1); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Entry of an unknown entry: err = %v", err)
	}
	if len(entry(t, j, 2026, 1).History) != len(want) {
		t.Error("a refused note was recorded")
	}
}
