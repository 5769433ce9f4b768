package service_test

import (
	"strings"
	"testing"

	"deskwatch/health"
	"deskwatch/journal"
	"deskwatch/service"
)

// Limits count characters, as their messages say: Cyrillic text as long as
// a limit is accepted though it takes twice as many bytes, and one
// character more is refused.
func TestLimitsCountCharacters(t *testing.T) {
	e := newEnv(t)
	ru := func(n int) string { return strings.Repeat("ж", n) }
	start := 0.0
	manual := func(cause, note string) error {
		start += 2 // a new entry each time, never a conflicting duplicate
		_, err := e.svc.AddManual(ctx, service.ManualOutage{Workstation: "d1", Start: e.h(start), End: e.h(start + 1), Cause: cause, Note: note, By: "duty"})
		return err
	}
	if err := manual(ru(300), ""); err != nil {
		t.Fatalf("300 Cyrillic characters of cause (600 bytes) refused: %v", err)
	}
	if err := manual(ru(500), ru(2000)); err != nil {
		t.Fatalf("cause and note at their limits refused: %v", err)
	}
	wantKind(t, "501 characters of cause", manual(ru(501), ""), service.ErrInvalid, "bad_cause")
	wantKind(t, "2001 characters of note", manual("pc", ru(2001)), service.ErrInvalid, "bad_note")

	sp := e.outage("d2", 30, 31)
	exclude := func(reason, by string) error {
		_, err := e.svc.Exclude(ctx, sp.ID, health.Exclusion{Category: "power", Reason: reason, By: by})
		return err
	}
	if err := exclude(ru(2000), ru(200)); err != nil {
		t.Fatalf("reason and by at their limits refused: %v", err)
	}
	wantKind(t, "2001 characters of reason", exclude(ru(2001), "duty"), service.ErrInvalid, "bad_reason")
	wantKind(t, "201 characters of by", exclude("x", ru(201)), service.ErrInvalid, "bad_by")

	es, err := e.svc.JournalEntries(ctx, e.p.Start, e.p.End)
	if err != nil || len(es) == 0 {
		t.Fatalf("journal: %v %v", es, err)
	}
	note := func(cause, actions, by string) error {
		_, err := e.svc.AddNote(ctx, es[0].Year, es[0].Number, journal.Note{Cause: &cause, Actions: &actions, By: by})
		return err
	}
	// The journal takes what the service lets through: one limit each.
	if err := note(ru(journal.MaxCause), ru(journal.MaxActions), ru(journal.MaxBy)); err != nil {
		t.Fatalf("a note at the limits refused: %v", err)
	}
	wantKind(t, "cause too long", note(ru(journal.MaxCause+1), "x", "duty"), service.ErrInvalid, "bad_note")
	se := wantKind(t, "actions too long", note("x", ru(journal.MaxActions+1), "duty"), service.ErrInvalid, "bad_note")
	if !strings.Contains(se.RU, "меры до 4000") || !strings.Contains(se.EN, "actions up to 4000") {
		t.Errorf("the message does not state the limit: %q / %q", se.RU, se.EN)
	}
	wantKind(t, "by too long", note("x", "x", ru(journal.MaxBy+1)), service.ErrInvalid, "bad_note")
}
