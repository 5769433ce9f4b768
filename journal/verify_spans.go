package journal

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"deskwatch/health"
	"deskwatch/spanindex"
)

// Verify's span check: the chain's span records folded into each span's
// last recorded content, each record checked to make a change deskwatch
// makes, then the store's spans compared with the fold.

// SpanDiff is one field of a span that differs between the store and what
// the chain last recorded of the span.
type SpanDiff struct {
	Span string
	// Field: desk, start, end, cause, sources, manual, note, exclusion;
	// "span" when one side lacks the span (its value there is "").
	Field   string
	Store   string // the value in Redis: times RFC 3339, "" for none (an open end, no exclusion)
	Journal string // the value the chain last recorded
	Seq     int64  // that record; 0 when the chain never recorded the span
}

// maxDiffs bounds Result.Differ and Result.Pending.
const maxDiffs = 100

// spanFields are the fields compared, in the order they are reported.
var spanFields = []string{"desk", "start", "end", "cause", "sources", "manual", "note", "exclusion"}

// spanContent is a span as the chain and the store are compared.
type spanContent struct {
	desk, start, end, cause, note string
	sources                       []string
	manual                        bool
	ex                            *exclusionBody
}

func (c *spanContent) value(field string) string {
	switch field {
	case "desk":
		return c.desk
	case "start":
		return c.start
	case "end":
		return c.end
	case "cause":
		return c.cause
	case "sources":
		return strings.Join(c.sources, ",")
	case "manual":
		return fmt.Sprint(c.manual)
	case "note":
		return c.note
	case "exclusion":
		if c.ex == nil {
			return ""
		}
		return strings.Join([]string{c.ex.Category, c.ex.Reason, c.ex.By, c.ex.Actor, c.ex.At}, " | ")
	}
	return ""
}

// diffFields lists the fields where a and b differ.
func diffFields(a, b *spanContent) []string {
	var out []string
	for _, f := range spanFields {
		if a.value(f) != b.value(f) {
			out = append(out, f)
		}
	}
	return out
}

// illegalStep is the first field in which next departs from prev in a way
// deskwatch never records ("" if none): only the fields allowed may change,
// an end only from open, sources only by growing while open.
func illegalStep(prev, next *spanContent, allowed ...string) string {
	for _, f := range diffFields(prev, next) {
		switch {
		case !slices.Contains(allowed, f),
			f == "end" && prev.end != "",
			f == "sources" && (prev.end != "" || !isSuperset(next.sources, prev.sources)):
			return f
		}
	}
	return ""
}

func contentOfBody(b spanBody) spanContent {
	return spanContent{desk: b.Desk, start: b.Start, end: b.End, cause: b.Cause, note: b.Note, sources: sortedSet(slices.Clone(b.Sources)), manual: b.Manual}
}

// contentOf is a store's span as the planner journals it.
func contentOf(sp health.Span) spanContent {
	c := spanContent{desk: sp.Workstation, start: fmtTime(sp.Start), cause: string(sp.Cause), note: sp.Note, sources: sources(sp), manual: sp.Manual}
	if !sp.Open() {
		c.end = fmtTime(sp.End)
	}
	if sp.Exclusion != nil {
		c.ex = exclusionOf(sp)
	}
	return c
}

type recordedSpan struct {
	seq int64 // the last record of the span
	c   spanContent
}

type spanCheck struct {
	spans map[string]*recordedSpan
	began time.Time // the first record's time; zero: an empty chain
}

func newSpanCheck() *spanCheck { return &spanCheck{spans: map[string]*recordedSpan{}} }

// record folds one record into its span's content; it returns why the
// record cannot be one deskwatch wrote, or "".
func (sc *spanCheck) record(seq int64, kind Kind, payload string) string {
	var (
		id      string
		next    spanContent
		allowed []string
	)
	switch kind {
	case KindSpanAdded, KindSpanClosed, KindSpanChanged:
		var p spanPayload
		if err := json.Unmarshal([]byte(payload), &p); err != nil {
			return fmt.Sprintf("%s payload: %v", kind, err)
		}
		id = p.Span
		if kind == KindSpanAdded {
			if sc.spans[id] != nil {
				return "span " + id + " is added a second time"
			}
			c := contentOfBody(p.spanBody)
			c.ex = p.Exclusion
			sc.spans[id] = &recordedSpan{seq, c}
			return ""
		}
		r := sc.spans[id]
		if r == nil {
			return "span " + id + " was not added before"
		}
		next = r.c
		if p.full() {
			next, next.ex = contentOfBody(p.spanBody), p.Exclusion
		} else { // format 1: span_closed with end and sources
			next.end, next.sources = p.End, sortedSet(slices.Clone(p.Sources))
		}
		allowed = []string{"sources"}
		if kind == KindSpanClosed {
			if next.end == "" {
				return "span_closed of span " + id + " has no end"
			}
			allowed = append(allowed, "end")
		}
	case KindExclusion, KindExclusionRevoked:
		var p exclusionPayload
		if err := json.Unmarshal([]byte(payload), &p); err != nil {
			return fmt.Sprintf("%s payload: %v", kind, err)
		}
		id = p.Span
		r := sc.spans[id]
		if r == nil {
			return "span " + id + " was not added before"
		}
		next = r.c
		if p.Desk != "" { // format 2: the span after the record
			next = contentOfBody(p.spanBody)
		}
		next.ex = nil
		if kind == KindExclusion {
			ex := p.exclusionBody
			next.ex = &ex
		} else if r.c.ex == nil {
			return "span " + id + " has no exclusion to revoke"
		}
		allowed = []string{"exclusion"}
	default:
		return ""
	}
	r := sc.spans[id]
	if f := illegalStep(&r.c, &next, allowed...); f != "" {
		return fmt.Sprintf("%s of span %s changes its %s from %q to %q", kind, id, f, r.c.value(f), next.value(f))
	}
	r.seq, r.c = seq, next
	return ""
}

// compareSpans compares the store's spans with the fold. A difference the
// follower still records (a legal change of a span in its reach: open, or
// ended within Lookback) is pending; any other is a finding.
func (j *Journal) compareSpans(ctx context.Context, src SpanSource, sc *spanCheck, res *Result) error {
	spans, err := src.Spans(ctx, fromMs(0), fromMs(spanindex.Shift-1)) // all the time the store's index holds
	if err != nil {
		return fmt.Errorf("read the store's spans: %w", err)
	}
	now := j.now()
	reach := now.Add(-j.lookback)
	// The follower's first pass read back Lookback from its start: spans
	// that ended before that were never journaled.
	began := now
	if !sc.began.IsZero() {
		began = sc.began
	}
	began = began.Add(-j.lookback)
	seen := make(map[string]bool, len(spans))
	var differ, pending []SpanDiff
	for _, sp := range spans {
		sp = normalize(sp)
		seen[sp.ID] = true
		c := contentOf(sp)
		legal := checkSpan(sp) == nil
		var diffs []SpanDiff
		if r := sc.spans[sp.ID]; r == nil {
			if !sp.Open() && sp.End.Before(began) {
				res.Older++
				continue
			}
			diffs = []SpanDiff{{Span: sp.ID, Field: "span", Store: sp.ID}}
		} else {
			for _, f := range diffFields(&r.c, &c) {
				diffs = append(diffs, SpanDiff{Span: sp.ID, Field: f, Store: c.value(f), Journal: r.c.value(f), Seq: r.seq})
			}
			legal = legal && illegalStep(&r.c, &c, "end", "sources", "exclusion") == ""
		}
		if len(diffs) == 0 {
			res.Matched++
			continue
		}
		if legal && (sp.Open() || !sp.End.Before(reach)) {
			pending = append(pending, diffs...)
		} else {
			differ = append(differ, diffs...)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(sc.spans)) {
		if !seen[id] {
			differ = append(differ, SpanDiff{Span: id, Field: "span", Journal: id, Seq: sc.spans[id].seq})
		}
	}
	order := func(a, b SpanDiff) int {
		return cmp.Or(strings.Compare(a.Span, b.Span), slices.Index(spanFields, a.Field)-slices.Index(spanFields, b.Field))
	}
	slices.SortFunc(differ, order)
	slices.SortFunc(pending, order)
	res.Spans = len(spans)
	res.DifferCount, res.PendingCount = len(differ), len(pending)
	res.Differ, res.Pending = differ[:min(len(differ), maxDiffs)], pending[:min(len(pending), maxDiffs)]
	if len(differ) > 0 {
		res.OK, res.Problem, res.Seq, res.Detail = false, ProblemSpans, differ[0].Seq, differ[0].English()
	}
	return nil
}
