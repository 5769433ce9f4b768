package journal_test

import (
	"slices"
	"testing"

	"deskwatch/health"
	"deskwatch/internal/redistest"
)

// Desks added by a reload get their hotlines in the entries they join;
// entries recorded before keep theirs.
func TestSetWorkstationsGivesNewDesksTheirHotlines(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	ingest(t, j, later, sp("op112-01", 0, health.CauseUnregistered))
	j.SetWorkstations(append(workstations(), health.Workstation{ID: "op112-01", Hotlines: []string{"112", "117", "112"}}))
	ingest(t, j, later, sp("op112-01", 3600e9, health.CauseUnreachable))
	es := allEntries(t, j) // newest first
	if len(es) != 2 || !slices.Equal(es[0].Hotlines, []string{"112", "117"}) || len(es[1].Hotlines) != 0 {
		t.Fatalf("hotlines %v and %v", es[0].Hotlines, es[1].Hotlines)
	}
}
