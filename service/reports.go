package service

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"deskwatch/health"
	"deskwatch/report"
	"deskwatch/store"
)

// QuarterReport is a quarter's report as it stands now.
type QuarterReport struct {
	// Report is the live build with its status and version: the last
	// submitted version if nothing changed since, else the next.
	Report *report.Report
	// Changed: the inputs differ from the last submitted version's.
	Changed bool
	// Submitted is the number of submitted versions.
	Submitted int
	// Missing counts the quarter's journal entries still lacking a cause
	// or a fault (RecentReports only).
	Missing int
}

// ReportVersion is one version of a quarter's report.
type ReportVersion struct {
	Version     int // 0: live figures not (yet) submitted
	SubmittedAt time.Time
	By, Actor   string // who submitted it, as they wrote and authenticated
	Report      *report.Report
}

// Submission is what Submit did: the version that stands for the inputs,
// whether it was created now, and the journal's chain head it printed.
type Submission struct {
	Version     int
	Created     bool
	JournalHead report.JournalHead
}

// History is a quarter's report over time.
type History struct {
	Status string // of the live report
	// Versions are the submitted ones, oldest first, then the live figures
	// if they differ from the last.
	Versions []ReportVersion
}

// LiveReport builds a quarter's report as it stands now.
func (s *Service) LiveReport(ctx context.Context, q health.Quarter) (QuarterReport, error) {
	qr, _, err := s.live(ctx, q)
	return qr, err
}

// RecentReports lists the current quarter and the four before it, newest
// first.
func (s *Service) RecentReports(ctx context.Context) ([]QuarterReport, error) {
	q := health.QuarterOf(s.now(), s.loc)
	out := make([]QuarterReport, 0, 5)
	for range 5 {
		qr, _, err := s.live(ctx, q)
		if err != nil {
			return nil, err
		}
		if qr.Missing, err = s.missing(ctx, q.Range(s.loc)); err != nil {
			return nil, err
		}
		out = append(out, qr)
		q = q.Prev()
	}
	return out, nil
}

// SubmittedReport is a quarter's submitted version (1, 2, …) as it was
// frozen.
func (s *Service) SubmittedReport(ctx context.Context, q health.Quarter, version int) (*report.Report, error) {
	frozen, err := s.store.SubmittedReports(ctx, q.String())
	if err != nil {
		return nil, classify(err)
	}
	if version < 1 || version > len(frozen) {
		return nil, notFound("no_version", fmt.Sprintf("нет представленной версии %d отчёта за %s", version, q),
			fmt.Sprintf("no submitted version %d of the %s report", version, q))
	}
	return thaw(frozen[version-1])
}

// SubmittedVersions is the number of a quarter's submitted versions.
func (s *Service) SubmittedVersions(ctx context.Context, q health.Quarter) (int, error) {
	frozen, err := s.store.SubmittedReports(ctx, q.String())
	return len(frozen), classify(err)
}

// Submit freezes a quarter's live report as submitted, by (free text) and
// actor (authenticated) recorded with it. It is idempotent: the same inputs
// give the same version (Created false, and the chain head that version
// printed). A quarter still running cannot be submitted.
func (s *Service) Submit(ctx context.Context, q health.Quarter, by, actor string) (Submission, error) {
	now := s.now()
	live, err := s.build(ctx, q, now)
	if err != nil {
		return Submission{}, err
	}
	if now.Before(live.To) {
		return Submission{}, conflict("quarter_open", fmt.Sprintf("квартал %s ещё не закончился", q), fmt.Sprintf("quarter %s has not ended yet", q))
	}
	frozen, err := s.store.SubmittedReports(ctx, q.String())
	if err != nil {
		return Submission{}, classify(err)
	}
	if n := len(frozen); n > 0 && frozen[n-1].InputsHash == live.InputsHash {
		last, err := thaw(frozen[n-1])
		if err != nil {
			return Submission{}, err
		}
		return Submission{Version: n, JournalHead: last.JournalHead}, nil
	}
	live.Status, live.Version = report.StatusSubmitted, len(frozen)+1
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, live); err != nil {
		return Submission{}, reportFailed(fmt.Errorf("freeze the %s report: %w", q, err))
	}
	v, err := s.store.SubmitReport(ctx, q.String(), store.SubmittedReport{SubmittedAt: now, By: by, Actor: actor, InputsHash: live.InputsHash, Report: buf.Bytes()})
	if err != nil {
		return Submission{}, classify(err)
	}
	return Submission{Version: v, Created: true, JournalHead: live.JournalHead}, nil
}

// Versions lists a quarter's submitted versions and, if they differ from
// the last, the live figures.
func (s *Service) Versions(ctx context.Context, q health.Quarter) (History, error) {
	qr, frozen, err := s.live(ctx, q)
	if err != nil {
		return History{}, err
	}
	h := History{Status: qr.Report.Status}
	for _, f := range frozen {
		r, err := thaw(f)
		if err != nil {
			return History{}, err
		}
		h.Versions = append(h.Versions, ReportVersion{Version: f.Version, SubmittedAt: f.SubmittedAt, By: f.By, Actor: f.Actor, Report: r})
	}
	if n := len(frozen); n == 0 || frozen[n-1].InputsHash != qr.Report.InputsHash {
		h.Versions = append(h.Versions, ReportVersion{Report: qr.Report})
	}
	return h, nil
}

// live builds the quarter's report now, with its status and version, and
// returns the submitted versions it was compared with.
func (s *Service) live(ctx context.Context, q health.Quarter) (QuarterReport, []store.SubmittedReport, error) {
	now := s.now()
	r, err := s.build(ctx, q, now)
	if err != nil {
		return QuarterReport{}, nil, err
	}
	frozen, err := s.store.SubmittedReports(ctx, q.String())
	if err != nil {
		return QuarterReport{}, nil, classify(err)
	}
	qr := QuarterReport{Report: r, Submitted: len(frozen)}
	r.Status, qr.Changed = status(now, r, frozen)
	r.Version = len(frozen) + 1
	if r.Status == report.StatusSubmitted {
		r.Version = len(frozen)
	}
	return qr, frozen, nil
}

// status decides a quarter's status from the live build and the submitted
// versions; changed says the inputs moved since the last submission.
func status(now time.Time, live *report.Report, frozen []store.SubmittedReport) (status string, changed bool) {
	if now.Before(live.To) {
		return report.StatusOpen, false
	}
	if n := len(frozen); n > 0 {
		if frozen[n-1].InputsHash == live.InputsHash {
			return report.StatusSubmitted, false
		}
		changed = true
	}
	if !now.Before(live.Due) {
		return report.StatusOverdue, changed
	}
	return report.StatusReady, changed
}

// build computes the quarter's report from its inputs and journal.
func (s *Service) build(ctx context.Context, q health.Quarter, now time.Time) (*report.Report, error) {
	p := q.Range(s.loc)
	in, err := s.load(ctx, p)
	if err != nil {
		return nil, err
	}
	if in.Journal, err = s.journalRows(ctx, p); err != nil {
		return nil, err
	}
	if s.journal != nil { // after the inputs: everything they came from is at or before it
		h, err := s.journal.Head(ctx)
		if err != nil {
			return nil, classify(err)
		}
		in.JournalHead = report.JournalHead{Seq: h.Seq, Hash: h.Hash}
	}
	return report.Build(q, s.loc, now, in), nil
}

// thaw reads a submitted version back as it was frozen.
func thaw(f store.SubmittedReport) (*report.Report, error) {
	r, err := report.ReadJSON(bytes.NewReader(f.Report))
	if err != nil {
		return nil, reportFailed(fmt.Errorf("submitted version %d: %w", f.Version, err))
	}
	r.Version, r.Status = f.Version, report.StatusSubmitted
	return r, nil
}

// reportFailed is a report that could not be encoded or a stored version
// that cannot be decoded: nothing the caller can fix.
func reportFailed(err error) *Error {
	return &Error{Kind: ErrUnavailable, Code: "report_failed", RU: "отчёт не удалось прочитать или записать",
		EN: "the report could not be read or written", Err: err}
}
