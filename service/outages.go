package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"deskwatch/health"
	"deskwatch/journal"
	"deskwatch/store"
)

// Limits of what a supervisor enters, in characters (runes), as the
// messages say. Who made a change is journaled: its limit is the journal's.
const (
	maxCause  = 500
	maxNote   = 2000
	maxReason = 2000
	maxBy     = journal.MaxBy
)

// OutageQuery selects the outages overlapping [From, To).
type OutageQuery struct {
	From, To     time.Time
	Workstations []string // empty: every desk
	Hotline      string   // empty: every hotline
	Open         *bool    // nil: open and closed
}

// Outages lists the spans the query selects, newest first.
func (s *Service) Outages(ctx context.Context, q OutageQuery) ([]health.Span, error) {
	sq, none, err := s.spanQuery(q)
	if err != nil || none {
		return []health.Span{}, err
	}
	spans, err := s.store.Spans(ctx, sq)
	return spans, classify(err)
}

// spanQuery is the store's query for q; none: q selects no desk.
func (s *Service) spanQuery(q OutageQuery) (sq store.SpanQuery, none bool, err error) {
	sq = store.SpanQuery{From: q.From, To: q.To, Open: q.Open}
	for _, id := range q.Workstations {
		if _, ok := s.byID[id]; !ok {
			return sq, false, unknownDesk(id)
		}
		sq.Workstations = append(sq.Workstations, id)
	}
	if q.Hotline != "" {
		ids, ok := s.hotlines[q.Hotline]
		if !ok {
			return sq, false, Invalid("unknown_hotline", fmt.Sprintf("неизвестная линия %q", q.Hotline), fmt.Sprintf("unknown hotline %q", q.Hotline))
		}
		if sq.Workstations == nil {
			sq.Workstations = slices.Clone(ids)
		} else if sq.Workstations = slices.DeleteFunc(sq.Workstations, func(id string) bool { return !slices.Contains(ids, id) }); len(sq.Workstations) == 0 {
			return sq, true, nil // no desk is on both lists (an empty list would mean all)
		}
	}
	return sq, false, nil
}

// Outage is one span by its id.
func (s *Service) Outage(ctx context.Context, id string) (health.Span, error) {
	sp, err := s.store.Span(ctx, id)
	return sp, classify(err)
}

func unknownDesk(id string) *Error {
	return Invalid("unknown_workstation", fmt.Sprintf("неизвестное рабочее место %q", id), fmt.Sprintf("unknown workstation %q", id))
}

// ManualOutage is a failure the monitor cannot see (a computer that does
// not start while the phone stays registered), entered by a supervisor.
type ManualOutage struct {
	Workstation string
	Start, End  time.Time
	Cause, Note string
	By          string // who entered it, as they wrote
	Actor       string // who entered it, authenticated
}

// AddManual records a manual outage and its journal entry. Entering the
// same outage again returns the stored one; another with the same desk and
// start is a conflict.
func (s *Service) AddManual(ctx context.Context, m ManualOutage) (health.Span, error) {
	ws, ok := s.byID[m.Workstation]
	if !ok {
		return health.Span{}, unknownDesk(m.Workstation)
	}
	now := s.now()
	var err error
	switch {
	case !m.End.After(m.Start):
		err = Invalid("bad_range", "end должно быть позже start", "end must be after start")
	case m.End.After(now.Add(time.Minute)):
		err = Invalid("future", "отказ не может заканчиваться в будущем", "a failure cannot end in the future")
	case strings.TrimSpace(m.Cause) == "" || chars(m.Cause) > maxCause:
		err = Invalid("bad_cause", "укажите причину (cause), не длиннее 500 символов", "cause is required, at most 500 characters")
	case chars(m.Note) > maxNote:
		err = Invalid("bad_note", "примечание длиннее 2000 символов", "note is longer than 2000 characters")
	case ws.InServiceFrom.After(m.Start) || (!ws.InServiceUntil.IsZero() && !ws.InServiceUntil.After(m.Start)):
		err = Invalid("out_of_service", "рабочее место в это время не было в эксплуатации", "the workstation was not in service at that time")
	}
	if err != nil {
		return health.Span{}, err
	}
	sp := health.Span{Workstation: ws.ID, Start: m.Start, End: m.End, Cause: health.Cause(strings.TrimSpace(m.Cause)), Note: m.Note,
		Manual: true, Sources: []health.Source{health.SourceManual}}
	if sp, err = s.store.AddManualAs(ctx, sp, m.By, m.Actor, now); err != nil {
		return health.Span{}, classify(err)
	}
	if s.journal != nil {
		_, err = s.journal.RecordManual(ctx, sp, m.By, m.Actor, now)
		s.journalLate(sp, err)
	}
	return sp, nil
}

// Exclude takes an outage out of the formula: the failure was not the
// institution's fault. At is now; ex.By and ex.Actor say who.
func (s *Service) Exclude(ctx context.Context, id string, ex health.Exclusion) (health.Span, error) {
	ex.Reason, ex.By, ex.At = strings.TrimSpace(ex.Reason), strings.TrimSpace(ex.By), s.now()
	cats := strings.Join(health.ExclusionCategories, ", ")
	switch {
	case !slices.Contains(health.ExclusionCategories, ex.Category):
		return health.Span{}, Invalid("bad_category", fmt.Sprintf("категория %q неизвестна: допустимы %s", ex.Category, cats),
			fmt.Sprintf("unknown category %q: want one of %s", ex.Category, cats))
	case ex.Reason == "" || chars(ex.Reason) > maxReason:
		return health.Span{}, Invalid("bad_reason", "укажите обоснование (reason), не длиннее 2000 символов", "reason is required, at most 2000 characters")
	case chars(ex.By) > maxBy:
		return health.Span{}, Invalid("bad_by", fmt.Sprintf("поле by длиннее %d символов", maxBy), fmt.Sprintf("by is longer than %d characters", maxBy))
	}
	sp, err := s.store.SetExclusion(ctx, id, ex)
	if err != nil {
		return health.Span{}, classify(err)
	}
	s.journalChange(ctx, sp, ex.By, ex.Actor)
	return sp, nil
}

// Revoke puts an excluded outage back into the formula; the audit keeps
// both. by is free text, actor the authenticated caller.
func (s *Service) Revoke(ctx context.Context, id, by, actor string) (health.Span, error) {
	sp, err := s.store.RevokeExclusionAs(ctx, id, by, actor, s.now())
	if err != nil {
		return health.Span{}, classify(err)
	}
	s.journalChange(ctx, sp, by, actor)
	return sp, nil
}

// journalChange tells the journal at once of a changed exclusion.
func (s *Service) journalChange(ctx context.Context, sp health.Span, by, actor string) {
	if s.journal != nil {
		s.journalLate(sp, s.journal.IngestBy(ctx, []health.Span{sp}, by, actor, s.now()))
	}
}

// journalLate logs a journal that was not told: the span is stored, and the
// journal's follower will find it, so the use case still succeeded.
func (s *Service) journalLate(sp health.Span, err error) {
	if err != nil {
		s.log.Warn().Err(err).Str("span", sp.ID).Msg("journal not told at once; its follower will catch up")
	}
}

// chars counts what people call characters: 300 Cyrillic letters are 300,
// not the 600 bytes they take.
func chars(s string) int { return utf8.RuneCountInString(s) }
