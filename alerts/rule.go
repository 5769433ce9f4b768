package alerts

import "time"

// Rule kinds.
const (
	KindHotlineShort = "hotline_short" // a hotline has fewer than min_up desks up
	KindDeskDown     = "desk_down"     // a desk is down (one instance per desk)
	KindMonitorBlind = "monitor_blind" // the monitor cannot see the desks
	KindReportDue    = "report_due"    // a quarterly report is due within days and not ready
)

// RuleKinds lists the valid rule kinds.
var RuleKinds = []string{KindHotlineShort, KindDeskDown, KindMonitorBlind, KindReportDue}

// Rule is one alert rule, as the evaluator runs it; the config package
// reads and checks it from the file. See doc.go for the semantics of each
// kind.
type Rule struct {
	Name string
	Kind string
	// Hotline: required for hotline_short; for desk_down an optional filter
	// (only desks serving it).
	Hotline string
	// MinUp (hotline_short): fire when fewer than MinUp desks are up.
	MinUp int
	// For is how long the condition must hold before the rule fires, and how
	// long it must be false before it resolves (hold-down). 0: at once.
	For time.Duration
	// Days (report_due): fire from Days days before the due date while the
	// report is not ready (and after the due date, as overdue).
	Days     int
	Channels []string
}
