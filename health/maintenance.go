package health

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Maintenance is a planned maintenance window declared ahead by a
// supervisor. Outages inside it are planned (плановые работы): alerts keep
// quiet, and the views mark them. By default they count, as the standard's
// letter asks; a window that does not count takes the outages inside it out
// of the formula with its category and reason, like an exclusion.
type Maintenance struct {
	ID string `json:"id"`
	// Scope: every desk (All), or the desks listed and those serving the
	// hotlines listed.
	All          bool      `json:"all"`
	Workstations []string  `json:"workstations,omitempty"`
	Hotlines     []string  `json:"hotlines,omitempty"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"` // as declared
	Reason       string    `json:"reason"`
	// Counts: outages inside count in t_unavailable (the default). When
	// false, Category (an ExclusionCategories value) and Reason justify it.
	Counts    bool      `json:"counts"`
	Category  string    `json:"category,omitempty"`
	By        string    `json:"by"`
	CreatedAt time.Time `json:"created_at"`
	// EndedAt: ended early (the window stops there); CancelledAt: voided
	// before it began. Each with who did it.
	EndedAt     time.Time `json:"ended_at,omitzero"`
	EndedBy     string    `json:"ended_by,omitempty"`
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	CancelledBy string    `json:"cancelled_by,omitempty"`
}

// CompareMaintenanceIDs orders window ids ("mw-N") by N, which is the
// order they were declared in.
func CompareMaintenanceIDs(a, b string) int {
	na, _ := strconv.Atoi(strings.TrimPrefix(a, "mw-"))
	nb, _ := strconv.Atoi(strings.TrimPrefix(b, "mw-"))
	return cmp.Or(cmp.Compare(na, nb), strings.Compare(a, b))
}

// Window is the time the maintenance holds: [From, To), cut at EndedAt;
// false when cancelled or empty.
func (m Maintenance) Window() (Interval, bool) {
	iv := Interval{Start: m.From, End: m.To}
	if !m.EndedAt.IsZero() && m.EndedAt.Before(iv.End) {
		iv.End = m.EndedAt
	}
	return iv, m.CancelledAt.IsZero() && iv.End.After(iv.Start)
}

// Covers reports whether the window applies to the desk.
func (m Maintenance) Covers(w Workstation) bool {
	if m.All || slices.Contains(m.Workstations, w.ID) {
		return true
	}
	for _, h := range m.Hotlines {
		if slices.Contains(w.Hotlines, h) {
			return true
		}
	}
	return false
}

// Active reports whether the window holds for the desk at t.
func (m Maintenance) Active(w Workstation, t time.Time) bool {
	iv, ok := m.Window()
	return ok && m.Covers(w) && !t.Before(iv.Start) && t.Before(iv.End)
}

// Overlaps reports whether the window applies to the desk somewhere in
// [iv.Start, iv.End) (an open iv runs on).
func (m Maintenance) Overlaps(w Workstation, iv Interval) bool {
	win, ok := m.Window()
	return ok && m.Covers(w) && win.End.After(iv.Start) && (iv.End.IsZero() || iv.End.After(win.Start))
}

// Uncounted splits a desk's spans at the windows that do not count and
// apply to it: the parts inside come back excluded with the window's
// category and reason (as the exclusion of footnote *), the rest as they
// were. Spans already excluded keep their own exclusion. Pure; spans is
// not modified.
func Uncounted(w Workstation, spans []Span, windows []Maintenance) []Span {
	var cut []Interval
	var why []*Exclusion
	for _, m := range windows {
		if iv, ok := m.Window(); ok && !m.Counts && m.Covers(w) {
			cut = append(cut, iv)
			why = append(why, &Exclusion{Category: m.Category, Reason: m.Reason, By: m.By, At: m.CreatedAt})
		}
	}
	if len(cut) == 0 {
		return spans
	}
	out := make([]Span, 0, len(spans))
	for _, sp := range spans {
		if sp.Exclusion != nil {
			out = append(out, sp)
			continue
		}
		rest := []Interval{sp.Interval()}
		for i, iv := range cut {
			var next []Interval
			for _, r := range rest {
				in, before, after := splitAt(r, iv)
				if in != nil {
					part := sp
					part.Start, part.End, part.Exclusion = in.Start, in.End, why[i]
					out = append(out, part)
				}
				next = append(next, before...)
				next = append(next, after...)
			}
			rest = next
		}
		for _, r := range rest {
			part := sp
			part.Start, part.End = r.Start, r.End
			out = append(out, part)
		}
	}
	return out
}

// splitAt cuts r (End zero: open) by the closed window iv into the part
// inside and the parts before and after it.
func splitAt(r, iv Interval) (in *Interval, before, after []Interval) {
	open := r.End.IsZero()
	if !open && !r.End.After(iv.Start) || !r.Start.Before(iv.End) {
		return nil, []Interval{r}, nil // no overlap
	}
	s, e := r.Start, iv.End
	if iv.Start.After(s) {
		s = iv.Start
		before = append(before, Interval{Start: r.Start, End: iv.Start})
	}
	if !open && r.End.Before(e) {
		e = r.End
	}
	if open || r.End.After(iv.End) {
		after = append(after, Interval{Start: iv.End, End: r.End})
	}
	return &Interval{Start: s, End: e}, before, after
}
