package report

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"deskwatch/health"
)

// Report statuses.
const (
	StatusOpen      = "open"      // the quarter is still running
	StatusReady     = "ready"     // the quarter is over, the report not yet submitted
	StatusSubmitted = "submitted" // sent to the ministry
	StatusOverdue   = "overdue"   // not submitted by the due date (п.31)
)

// Fault of a journal entry.
const (
	FaultInstitution = "institution" // the institution's fault: counted in t_недоступности
	FaultExternal    = "external"    // not the institution's fault (footnote * of п.28)
	FaultUnknown     = "unknown"     // not established yet
)

// TreatmentNotCounted is the treatment of unmonitored time that health
// applies: not a failure (outside t_недоступности), reported apart.
const TreatmentNotCounted = "not_counted"

// Languages of the rendered text. The JSON field names do not depend on it.
const (
	LangRU = "ru"
	LangEN = "en"
)

// Report is a quarterly report on indicator 2 of п.28, ready to render. It is
// plain data: every figure is computed before rendering, and all renderers
// show the same figures.
type Report struct {
	Quarter     health.Quarter
	From, To    time.Time      // the period [From, To), UTC instants
	Zone        *time.Location // the zone times are shown in; nil means UTC
	MeasuredTo  time.Time      // figures count time up to here (To once the quarter is over)
	Due         time.Time      // the deadline instant, as health.Quarter.Due returns it (zero: computed)
	GeneratedAt time.Time
	Version     int
	Status      string // StatusOpen, StatusReady, StatusSubmitted or StatusOverdue
	InputsHash  string // hash of the inputs the figures come from
	// JournalHead is the journal's chain head as of the build, printed so
	// that `deskwatch journal verify -anchor` can later tell a rewritten
	// chain; zero without a journal. Not in InputsHash: it moves with every
	// record, of any quarter.
	JournalHead JournalHead
	Lang        string // LangRU (default when empty) or LangEN

	N        int     // Количество автоматизированных рабочих мест
	D        float64 // percent, unrounded
	Hotlines []HotlineRow
	Desks    []DeskRow

	Exclusions []ExclusionRow
	Journal    []JournalRow
	Coverage   Coverage
}

// JournalHead is the journal's last record when a report was built.
type JournalHead struct {
	Seq  int64
	Hash string
}

// String is the head as `deskwatch journal verify -anchor` takes it,
// "SEQ:HASH"; "" for none.
func (h JournalHead) String() string {
	if h.Seq == 0 {
		return ""
	}
	return strconv.FormatInt(h.Seq, 10) + ":" + h.Hash
}

// HotlineRow is D over the desks serving one hotline.
type HotlineRow struct {
	Number string
	N      int
	D      float64 // percent
}

// DeskRow is one desk's share of the formula.
type DeskRow struct {
	ID, Name       string
	Hotlines       []string
	InServiceFrom  time.Time     // zero: unbounded
	InServiceUntil time.Time     // zero: unbounded
	Schedule       string        // the service schedule's name; empty: around the clock
	Provided       time.Duration // t_provided: the service window ∩ the schedule
	Unavailable    time.Duration
	Excluded       time.Duration
	Unknown        time.Duration
	Di             float64 // percent
}

// ExclusionRow is a failure left out of the formula (footnote * of п.28).
type ExclusionRow struct {
	SpanID, Workstation string
	Start, End          time.Time     // zero End: ongoing
	Counted             time.Duration // the part inside the period
	Category            string        // one of health.ExclusionCategories
	Reason, By          string
	At                  time.Time // when the exclusion was recorded
}

// JournalRow is one entry of the журнал учета работы автоматизированных
// рабочих мест (п.29, п.30).
type JournalRow struct {
	Number            int
	Start, End        time.Time // zero End: ongoing
	Desks, Hotlines   []string
	Cause             string   // a health.Cause or free text
	Detection         []string // health.Source values: ari, sip, manual
	Fault             string   // FaultInstitution, FaultExternal or FaultUnknown
	ExclusionCategory string   // empty when not excluded
	Reason            string
	Actions           string
	RecordedBy        string
}

// Coverage is the monitoring coverage of the period.
type Coverage struct {
	Unknown   time.Duration     // total unmonitored (blind) time in the period
	Intervals []health.Interval // zero End: still blind
	Treatment string            // TreatmentNotCounted, or free text
}

// FromAvailability starts a report from health.Availability's result: period,
// zone, due date, N, D, the hotlines (sorted by number) and the desks (in
// res's order) with names, hotlines and service windows taken from desks.
// Status is open while the measured part is shorter than the period, ready
// otherwise. The caller adds the rest (journal, exclusions, coverage
// intervals, version, hash, generation time).
func FromAvailability(q health.Quarter, loc *time.Location, res health.AvailabilityResult, desks []health.Workstation) *Report {
	if loc == nil {
		loc = time.UTC
	}
	byID := make(map[string]*health.Workstation, len(desks))
	for i := range desks {
		byID[desks[i].ID] = &desks[i]
	}
	r := &Report{
		Quarter:    q,
		From:       res.Period.Start,
		To:         res.Period.End,
		Zone:       loc,
		MeasuredTo: res.Measured.End,
		Due:        q.Due(loc),
		Status:     StatusReady,
		Lang:       LangRU,
		N:          res.N,
		D:          res.D,
		Coverage:   Coverage{Treatment: TreatmentNotCounted},
	}
	if r.MeasuredTo.Before(r.To) {
		r.Status = StatusOpen
	}
	for _, h := range slices.Sorted(maps.Keys(res.Hotlines)) {
		g := res.Hotlines[h]
		r.Hotlines = append(r.Hotlines, HotlineRow{Number: h, N: g.N, D: g.D})
	}
	r.Desks = make([]DeskRow, 0, len(res.Desks))
	for _, a := range res.Desks {
		row := DeskRow{ID: a.ID, Provided: a.Provided, Unavailable: a.Unavailable,
			Excluded: a.Excluded, Unknown: a.Unknown, Di: a.Di}
		if w := byID[a.ID]; w != nil {
			row.Name = w.Name
			row.Hotlines = slices.Clone(w.Hotlines)
			row.InServiceFrom = w.InServiceFrom
			row.InServiceUntil = w.InServiceUntil
			row.Schedule = w.Schedule
		}
		r.Desks = append(r.Desks, row)
	}
	return r
}

// DueDate is the last day the report may be submitted (п.31), at midnight
// in the report's zone: 15 Oct for the third quarter.
func (r *Report) DueDate() time.Time {
	d := r.due().Add(-time.Nanosecond).In(r.zone())
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, r.zone())
}

func (r *Report) due() time.Time {
	if r.Due.IsZero() {
		return r.Quarter.Due(r.zone())
	}
	return r.Due
}

func (r *Report) lang() string {
	if r.Lang == "" {
		return LangRU
	}
	return r.Lang
}

func (r *Report) zone() *time.Location {
	if r.Zone == nil {
		return time.UTC
	}
	return r.Zone
}

// check validates what the renderers rely on and returns the labels.
func (r *Report) check() (*labels, error) {
	if r == nil {
		return nil, errors.New("report: nil report")
	}
	switch r.Lang {
	case "", LangRU:
		return &ru, nil
	case LangEN:
		return &en, nil
	}
	return nil, fmt.Errorf("report: unknown language %q (want %q or %q)", r.Lang, LangRU, LangEN)
}
