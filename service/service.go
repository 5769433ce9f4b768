// Package service holds deskwatch's use cases: the availability of a
// period, outages with manual entries, exclusions and revocations (each
// journaled at once), the journal, and the quarterly report's lifecycle
// (live figures, submission, versions, status). The HTTP API and the CLI
// parse, call it and render; it speaks the domain types (health, journal,
// report) and returns *Error values of four kinds: invalid input, not
// found, conflict and unavailable. Every write takes two names: By, free
// text as the person gave it, and Actor, who was authenticated (the API
// token's name, "cli:" and the OS user); both are recorded.
package service

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/journal"
	"deskwatch/report"
	"deskwatch/schedule"
	"deskwatch/store"
)

// Store is what the use cases read and append (*store.Store).
type Store interface {
	Spans(ctx context.Context, q store.SpanQuery) ([]health.Span, error)
	SpansPage(ctx context.Context, q store.SpanQuery, after *store.SpanCursor, limit int) ([]health.Span, bool, error)
	Span(ctx context.Context, id string) (health.Span, error)
	// BlindOf gives the unmonitored intervals of the sources (none: all).
	BlindOf(ctx context.Context, from, to time.Time, only ...health.Source) ([]health.Interval, error)
	AddManualAs(ctx context.Context, sp health.Span, by, actor string, at time.Time) (health.Span, error)
	SetExclusion(ctx context.Context, id string, ex health.Exclusion) (health.Span, error)
	RevokeExclusionAs(ctx context.Context, id, by, actor string, at time.Time) (health.Span, error)
	SubmittedReports(ctx context.Context, quarter string) ([]store.SubmittedReport, error)
	SubmitReport(ctx context.Context, quarter string, r store.SubmittedReport) (int, error)
	Ping(ctx context.Context) error
	Rendered(ctx context.Context, key string) ([]byte, bool, error)
	KeepRendered(ctx context.Context, key string, b []byte, ttl time.Duration) error
}

// Journal is the incident journal (*journal.Journal).
type Journal interface {
	Entries(ctx context.Context, from, to time.Time) ([]journal.Entry, error)
	EntriesPage(ctx context.Context, from, to time.Time, after *journal.EntryCursor, limit int) ([]journal.Entry, bool, error)
	Entry(ctx context.Context, year, number int) (journal.Entry, error)
	Missing(ctx context.Context, from, to time.Time) ([]journal.Entry, error)
	AddNote(ctx context.Context, year, number int, n journal.Note) (journal.Entry, error)
	RecordManual(ctx context.Context, sp health.Span, by, actor string, now time.Time) (journal.Entry, error)
	IngestBy(ctx context.Context, spans []health.Span, by, actor string, now time.Time) error
	Head(ctx context.Context) (journal.Head, error)
}

// Options configure a Service. Store is required.
type Options struct {
	Workstations []health.Workstation
	Location     *time.Location // of quarters and journal years; nil: UTC
	Store        Store
	// Journal, if set, is told at once of manual entries and exclusions,
	// serves the journal and goes into reports.
	Journal Journal
	// ProbeCovered, if set, says which desks our SIP probes watch: ARI's
	// blindness is not unmonitored time for them (see health.Inputs).
	ProbeCovered func(desk string) bool
	// Schedules by name, for the desks that name one: t_provided is the
	// service window ∩ the schedule (nil: every desk around the clock).
	Schedules map[string]*schedule.Schedule
	// MaintenanceCache, if set, is shared with other Services (nil: one of
	// its own).
	MaintenanceCache *MaintenanceCache
	// OnMaintenanceChange, if set, is called after a window is declared,
	// ended or cancelled through this Service (the daemon's board clock
	// then wakes at the window's new start or end).
	OnMaintenanceChange func()
	Now                 func() time.Time // nil: time.Now
	Logger              zerolog.Logger
}

// Service runs the use cases. It is safe for concurrent use.
type Service struct {
	desks    []health.Workstation
	byID     map[string]health.Workstation
	hotlines map[string][]string // hotline → desk ids
	loc      *time.Location
	store    Store
	journal  Journal
	covered  func(desk string) bool
	scheds   map[string]*schedule.Schedule
	maint    *MaintenanceCache
	onMaint  func()
	clock    func() time.Time
	log      zerolog.Logger
}

// New returns a Service over the configured desks.
func New(opt Options) *Service {
	s := &Service{desks: opt.Workstations, byID: map[string]health.Workstation{}, hotlines: map[string][]string{},
		loc: opt.Location, store: opt.Store, journal: opt.Journal, covered: opt.ProbeCovered, scheds: opt.Schedules, onMaint: opt.OnMaintenanceChange, clock: opt.Now, log: opt.Logger}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.maint = opt.MaintenanceCache; s.maint == nil {
		s.maint = &MaintenanceCache{}
	}
	for _, w := range opt.Workstations {
		s.byID[w.ID] = w
		for _, h := range w.Hotlines {
			s.hotlines[h] = append(s.hotlines[h], w.ID)
		}
	}
	return s
}

func (s *Service) now() time.Time { return s.clock().UTC() }

// Ping checks that the store answers.
func (s *Service) Ping(ctx context.Context) error { return classify(s.store.Ping(ctx)) }

// Availability is the standard's indicator over period, time counted up to
// now for a period in progress.
func (s *Service) Availability(ctx context.Context, period health.Interval) (health.AvailabilityResult, error) {
	in, err := s.load(ctx, period)
	if err != nil {
		return health.AvailabilityResult{}, err
	}
	return in.Availability(period, s.now()), nil
}

// load reads what the figures of a period come from, once: the spans, the
// blind time and (with probes) the probes' own blind time. Reports add the
// journal.
func (s *Service) load(ctx context.Context, p health.Interval) (report.Inputs, error) {
	in := report.Inputs{Desks: s.desks, ProbeCovered: s.covered, Schedules: map[string]report.Schedule{}}
	for name, sc := range s.scheds {
		in.Schedules[name] = sc
	}
	var err error
	if in.Spans, err = s.store.Spans(ctx, store.SpanQuery{From: p.Start, To: p.End}); err != nil {
		return in, classify(err)
	}
	if in.Maintenance, err = s.maintenanceOf(ctx, p); err != nil {
		return in, err
	}
	if in.Blind, err = s.store.BlindOf(ctx, p.Start, p.End); err != nil {
		return in, classify(err)
	}
	if s.covered != nil {
		if in.ProbeBlind, err = s.store.BlindOf(ctx, p.Start, p.End, health.SourceMonitor, health.SourceSIP); err != nil {
			return in, classify(err)
		}
	}
	return in, nil
}
