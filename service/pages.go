package service

import (
	"context"
	"time"

	"deskwatch/health"
	"deskwatch/journal"
	"deskwatch/store"
)

// OutageCursor is where a page of outages goes on: after the span with
// this start and ID, in Outages' order.
type OutageCursor = store.SpanCursor

// OutagesPage is Outages a page at a time: up to limit spans after the
// cursor (nil: from the newest), and whether more follow.
func (s *Service) OutagesPage(ctx context.Context, q OutageQuery, after *OutageCursor, limit int) ([]health.Span, bool, error) {
	sq, none, err := s.spanQuery(q)
	if err != nil || none {
		return []health.Span{}, false, err
	}
	spans, more, err := s.store.SpansPage(ctx, sq, after, limit)
	return spans, more, classify(err)
}

// JournalPage is JournalEntries a page at a time: up to limit entries
// after the cursor (nil: from the newest), and whether more follow.
func (s *Service) JournalPage(ctx context.Context, from, to time.Time, after *journal.EntryCursor, limit int) ([]journal.Entry, bool, error) {
	if s.journal == nil {
		return nil, false, errNoJournal
	}
	es, more, err := s.journal.EntriesPage(ctx, from, to, after, limit)
	return es, more, classify(err)
}
