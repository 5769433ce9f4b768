package journal

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"deskwatch/health"
)

// DefaultWindow is how close to an incident's first span another span of the
// same cause must start to join it.
const DefaultWindow = 5 * time.Second

// Group splits spans into incidents, the way Ingest does for spans it has
// not seen: spans that begin together for one cause form one incident. A
// span joins the incident of its cause whose first span started less than
// window before it, unless that incident already has a span of the same
// desk (a desk that fails again is a new incident: a flapping desk gives
// one incident per failure). A manual span is always an incident of its own.
//
// The result depends only on the set of spans, not on their order: spans are
// taken in order of (start, cause, ID), so every incident is anchored at its
// earliest span. Incidents come in the order of their first span, their
// spans in that order too. A non-positive window means DefaultWindow.
func Group(spans []health.Span, window time.Duration) [][]health.Span {
	if window <= 0 {
		window = DefaultWindow
	}
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, compareSpans)
	g := newGrouper[int](window)
	var groups [][]health.Span
	for _, sp := range sorted {
		i, ok := g.find(sp)
		if !ok {
			i = len(groups)
			if !sp.Manual {
				g.add(sp.Cause, sp.Start, i)
			}
			groups = append(groups, nil)
		}
		g.join(i, sp.Workstation)
		groups[i] = append(groups[i], sp)
	}
	return groups
}

// compareSpans orders spans by start, then cause, then ID.
func compareSpans(a, b health.Span) int {
	return cmp.Or(a.Start.Compare(b.Start), strings.Compare(string(a.Cause), string(b.Cause)), strings.Compare(a.ID, b.ID))
}

// grouper assigns spans to incidents by their anchors: the start of each
// incident's first span, per cause. Ingest seeds it with the entries already
// in the journal near the new spans, so that spans ingested in start order
// end up exactly as Group would put them.
type grouper[T comparable] struct {
	window  time.Duration
	anchors map[health.Cause][]anchor[T] // sorted by at
	desks   map[T]map[string]bool
}

type anchor[T any] struct {
	at  time.Time
	ref T
}

func newGrouper[T comparable](window time.Duration) *grouper[T] {
	return &grouper[T]{window: window, anchors: make(map[health.Cause][]anchor[T]), desks: make(map[T]map[string]bool)}
}

// find returns the incident a non-manual span joins: of the incidents of
// its cause anchored less than window away and without a span of its desk,
// the nearest (the earlier on a tie). Taking spans in start order, only
// anchors before the span exist; an anchor after it is in reach only for a
// span that arrives late.
func (g *grouper[T]) find(sp health.Span) (T, bool) {
	var zero T
	if sp.Manual {
		return zero, false
	}
	list := g.anchors[sp.Cause]
	i, _ := slices.BinarySearchFunc(list, sp.Start, func(a anchor[T], t time.Time) int { return a.at.Compare(t) })
	before, after := -1, -1
	for k := i - 1; k >= 0 && sp.Start.Sub(list[k].at) < g.window; k-- {
		if !g.desks[list[k].ref][sp.Workstation] {
			before = k
			break
		}
	}
	for k := i; k < len(list) && list[k].at.Sub(sp.Start) < g.window; k++ {
		if !g.desks[list[k].ref][sp.Workstation] {
			after = k
			break
		}
	}
	switch {
	case before >= 0 && (after < 0 || sp.Start.Sub(list[before].at) <= list[after].at.Sub(sp.Start)):
		return list[before].ref, true
	case after >= 0:
		return list[after].ref, true
	}
	return zero, false
}

// add records a new incident's anchor.
func (g *grouper[T]) add(cause health.Cause, at time.Time, ref T) {
	list := g.anchors[cause]
	i, _ := slices.BinarySearchFunc(list, at, func(a anchor[T], t time.Time) int { return a.at.Compare(t) })
	g.anchors[cause] = slices.Insert(list, i, anchor[T]{at, ref})
}

// join records that an incident has a span of desk.
func (g *grouper[T]) join(ref T, desk string) {
	if g.desks[ref] == nil {
		g.desks[ref] = map[string]bool{}
	}
	g.desks[ref][desk] = true
}
