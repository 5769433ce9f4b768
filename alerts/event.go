package alerts

import "time"

// Desk states, as in health.State.
const (
	StateUp      = "up"
	StateDown    = "down"
	StateUnknown = "unknown"
)

// Event kinds.
const (
	EventFiring   = "firing"
	EventResolved = "resolved"
)

// Input is what the evaluator looks at, taken from the monitor at one
// instant.
type Input struct {
	// Desks in service now (leave out desks outside their service window),
	// in configuration order.
	Desks []Desk
	// Blind: the monitor cannot see the PBX (any source blind); BlindSince is
	// when it started.
	Blind      bool
	BlindSince time.Time
	// Reports the daemon owes, e.g. the last finished quarter's.
	Reports []ReportStatus
}

// Desk is one workstation as the monitor shows it (health.DeskView).
type Desk struct {
	ID       string
	Name     string
	Hotlines []string
	State    string    // up | down | unknown (the view: unknown while blind)
	Since    time.Time // when State began; zero if not known
	Cause    string    // health.Cause for down desks; optional
	// OffShift: outside the desk's service schedule; Planned: inside a
	// planned maintenance window. Either silences the desk: desk_down does
	// not hold, and hotline_short leaves it out (see doc.go).
	OffShift bool
	Planned  bool
}

// ReportStatus is one quarterly report.
type ReportStatus struct {
	Quarter string    // "2026Q3"
	Due     time.Time // deadline instant (health.Quarter.Due)
	Ready   bool
}

// Event is a rule instance starting (firing) or ending (resolved).
type Event struct {
	// ID is stable per rule and subject ("short-122/hotline/122",
	// "desk/desk/op122-01", "blind/monitor", "report/report/2026Q3"): the
	// firing and the resolved event of one episode share it, and so does
	// Since.
	ID       string `json:"id"`
	Kind     string `json:"kind"` // firing | resolved
	Rule     string `json:"rule"`
	RuleKind string `json:"rule_kind"`
	Hotline  string `json:"hotline,omitempty"`
	// Desks involved: for hotline_short the desks not up (down or unknown),
	// for desk_down the desk. At the time of the event.
	Desks  []DeskRef `json:"desks,omitempty"`
	Counts *Counts   `json:"counts,omitempty"` // hotline_short
	// report_due
	Quarter string    `json:"quarter,omitempty"`
	Due     time.Time `json:"due,omitzero"`
	// Since is when the condition began; Until (resolved only) when it ended.
	Since time.Time `json:"since"`
	Until time.Time `json:"until,omitzero"`
	// At is the evaluation instant that produced the event.
	At        time.Time `json:"at"`
	SummaryRU string    `json:"summary_ru"`
	SummaryEN string    `json:"summary_en"`
	// Channels to deliver to (the rule's).
	Channels []string `json:"-"`
}

// DeskRef names a desk in an event.
type DeskRef struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	State string    `json:"state"`
	Cause string    `json:"cause,omitempty"`
	Since time.Time `json:"since,omitzero"`
	// Quiet says why the desk raises nothing now: off_shift or planned.
	Quiet string `json:"quiet,omitempty"`
}

// Why a desk is quiet (DeskRef.Quiet).
const (
	QuietOffShift = "off_shift"
	QuietPlanned  = "planned"
)

// Counts are a hotline's desks at the time of a hotline_short event.
type Counts struct {
	Up      int `json:"up"`
	Down    int `json:"down"`
	Unknown int `json:"unknown"`
	Total   int `json:"total"`
	MinUp   int `json:"min_up"` // in force: capped at the desks on shift while some are off
	// Desks of the hotline left out: off shift, or in planned maintenance.
	OffShift int `json:"off_shift,omitempty"`
	Planned  int `json:"planned,omitempty"`
}
