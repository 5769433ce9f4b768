package report

import (
	"time"

	"deskwatch/health"
)

// plannedExclusions lists the parts of outages taken out of the formula by
// a maintenance window that does not count, as exclusions: the span, the
// part inside the period, and the window's category and reason (its id
// first, so the auditor finds the declaration in the audit trail).
func (in Inputs) plannedExclusions(measured health.Interval) []ExclusionRow {
	if len(in.Maintenance) == 0 {
		return nil
	}
	by := map[string][]health.Span{}
	for _, sp := range in.Spans {
		by[sp.Workstation] = append(by[sp.Workstation], sp)
	}
	var out []ExclusionRow
	for _, w := range in.Desks {
		var own []health.Maintenance
		for _, m := range in.Maintenance {
			if iv, ok := m.Window(); ok && !m.Counts && m.Covers(w) {
				m.From, m.To, m.EndedAt = iv.Start, iv.End, time.Time{}
				own = append(own, m)
			}
		}
		for _, m := range own {
			for _, sp := range health.Uncounted(w, by[w.ID], []health.Maintenance{m}) {
				orig := sp.Exclusion != nil && sp.Exclusion.At.Equal(m.CreatedAt) && sp.Exclusion.Reason == m.Reason
				if !orig || spanExcluded(by[w.ID], sp.ID) {
					continue
				}
				var d time.Duration
				for _, iv := range health.Union([]health.Interval{sp.Interval()}, measured) {
					d += iv.End.Sub(iv.Start)
				}
				out = append(out, ExclusionRow{SpanID: sp.ID, Workstation: w.ID, Start: sp.Start, End: sp.End, Counted: d,
					Category: m.Category, Reason: m.ID + ": " + m.Reason, By: m.By, At: m.CreatedAt})
			}
		}
	}
	return out
}

// spanExcluded reports whether the span was excluded on its own already.
func spanExcluded(spans []health.Span, id string) bool {
	for _, sp := range spans {
		if sp.ID == id {
			return sp.Exclusion != nil
		}
	}
	return false
}
