package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"deskwatch/health"
	"deskwatch/journal"
	"deskwatch/report"
)

var errNoJournal = &Error{Kind: ErrUnavailable, Code: "no_journal", RU: "журнал не ведётся", EN: "no journal is kept"}

// JournalEntries lists the journal entries overlapping [from, to), newest
// first.
func (s *Service) JournalEntries(ctx context.Context, from, to time.Time) ([]journal.Entry, error) {
	if s.journal == nil {
		return nil, errNoJournal
	}
	es, err := s.journal.Entries(ctx, from, to)
	if err != nil {
		return nil, classify(err)
	}
	return es, s.markPlanned(ctx, es)
}

// JournalEntry is one entry by its year and number.
func (s *Service) JournalEntry(ctx context.Context, year, number int) (journal.Entry, error) {
	if s.journal == nil {
		return journal.Entry{}, errNoJournal
	}
	e, err := s.journal.Entry(ctx, year, number)
	if err != nil {
		return e, classify(err)
	}
	one := []journal.Entry{e}
	return one[0], s.markPlanned(ctx, one)
}

// AddNote appends a supervisor's cause, actions or fault to an entry (nil
// fields stay as they are) and returns the entry as it now stands. At is
// now.
func (s *Service) AddNote(ctx context.Context, year, number int, n journal.Note) (journal.Entry, error) {
	if s.journal == nil {
		return journal.Entry{}, errNoJournal
	}
	switch {
	case n.Cause == nil && n.Actions == nil && n.Fault == nil:
		return journal.Entry{}, Invalid("empty_note", "укажите хотя бы одно из: cause, actions, fault", "give at least one of cause, actions, fault")
	case n.Fault != nil && !slices.Contains(journal.Faults, *n.Fault):
		return journal.Entry{}, Invalid("bad_fault", fmt.Sprintf("fault %q: допустимы institution (вина учреждения), external (не по вине учреждения), unknown", *n.Fault),
			fmt.Sprintf("fault %q: want institution, external or unknown", *n.Fault))
	case n.Cause != nil && (strings.TrimSpace(*n.Cause) == "" || chars(*n.Cause) > journal.MaxCause),
		n.Actions != nil && chars(*n.Actions) > journal.MaxActions, chars(n.By) > journal.MaxBy:
		return journal.Entry{}, Invalid("bad_note", fmt.Sprintf("причина не может быть пустой; причина до %d, меры до %d, by до %d символов", journal.MaxCause, journal.MaxActions, journal.MaxBy),
			fmt.Sprintf("cause may not be empty; cause up to %d, actions up to %d, by up to %d characters", journal.MaxCause, journal.MaxActions, journal.MaxBy))
	}
	n.At = s.now()
	e, err := s.journal.AddNote(ctx, year, number, n)
	return e, classify(err)
}

// journalRows is the journal of a period as the report lists it, oldest
// first; none without a journal.
func (s *Service) journalRows(ctx context.Context, p health.Interval) ([]report.JournalRow, error) {
	if s.journal == nil {
		return nil, nil
	}
	es, err := s.journal.Entries(ctx, p.Start, p.End)
	if err != nil {
		return nil, classify(err)
	}
	if err := s.markPlanned(ctx, es); err != nil {
		return nil, err
	}
	rows := make([]report.JournalRow, 0, len(es))
	for _, e := range slices.Backward(es) {
		row := report.JournalRow{Number: e.Number, Start: e.Start, End: e.End, Desks: e.Desks, Hotlines: e.Hotlines,
			Cause: e.Cause, Detection: e.Detection, Fault: e.Fault, ExclusionCategory: e.ExclusionCategory, Reason: e.ExclusionReason,
			Actions: e.Actions, RecordedBy: e.RecordedBy}
		s.plannedRow(&row, e.Planned)
		rows = append(rows, row)
	}
	return rows, nil
}

// missing counts the period's journal entries still lacking a cause or a
// fault.
func (s *Service) missing(ctx context.Context, p health.Interval) (int, error) {
	if s.journal == nil {
		return 0, nil
	}
	es, err := s.journal.Missing(ctx, p.Start, p.End)
	return len(es), classify(err)
}
