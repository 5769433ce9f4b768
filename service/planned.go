package service

import (
	"context"
	"slices"
	"strings"

	"deskwatch/health"
	"deskwatch/journal"
	"deskwatch/report"
)

// markPlanned adds to each entry's Planned (the windows its span records
// name, kept in the chain since write-time marking) the maintenance windows
// it falls in now, for records written before; and for a window that does
// not count (and an entry not excluded on its own) the window's category
// and reason, as the figures treat it.
func (s *Service) markPlanned(ctx context.Context, es []journal.Entry) error {
	ms := s.maintStore()
	if ms == nil || len(es) == 0 {
		return nil
	}
	all, err := ms.Maintenances(ctx)
	if err != nil {
		return classify(err)
	}
	for i := range es {
		e := &es[i]
		iv := s.sofar(health.Interval{Start: e.Start, End: e.End})
		for _, m := range all {
			if !s.coversAny(m, e.Desks, iv) {
				continue
			}
			if !slices.Contains(e.Planned, m.ID) {
				e.Planned = append(e.Planned, m.ID)
			}
			// The entry as a whole is excluded only when it lies inside the
			// window; the figures cut a longer one at the window's edges.
			win, _ := m.Window()
			inside := !e.Start.Before(win.Start) && !e.End.IsZero() && !e.End.After(win.End)
			if !m.Counts && inside && e.ExclusionCategory == "" {
				e.ExclusionCategory, e.ExclusionReason = m.Category, plannedWord(m)
			}
		}
		slices.SortFunc(e.Planned, health.CompareMaintenanceIDs)
	}
	return nil
}

// sofar is iv with an open end taken as now: an ongoing outage is not
// planned for a window that has not begun yet.
func (s *Service) sofar(iv health.Interval) health.Interval {
	if iv.End.IsZero() {
		iv.End = s.now()
	}
	return iv
}

func (s *Service) coversAny(m health.Maintenance, desks []string, iv health.Interval) bool {
	for _, id := range desks {
		if m.Overlaps(s.byID[id], iv) {
			return true
		}
	}
	return false
}

// plannedWord is how the journal and the report name a window.
func plannedWord(m health.Maintenance) string {
	return "плановые работы / planned maintenance " + m.ID + ": " + m.Reason
}

// plannedRow marks a report's journal row that fell in counted windows
// (uncounted ones already set its exclusion).
func (s *Service) plannedRow(row *report.JournalRow, ids []string) {
	if len(ids) == 0 || row.ExclusionCategory != "" && strings.Contains(row.Reason, "плановые работы") {
		return
	}
	note := "плановые работы / planned maintenance " + strings.Join(ids, ", ")
	if row.Reason == "" {
		row.Reason = note
	} else {
		row.Reason += "; " + note
	}
}
