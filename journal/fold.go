package journal

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"deskwatch/health"
)

// foldSpan is a span as the records of its entry describe it.
type foldSpan struct {
	spanPayload
	start, end time.Time
	exclusion  *exclusionBody
	excludedAt int64 // seq of the exclusion record
}

// manualCause is a manual span's cause unless it is only the generic
// "manual" placeholder.
func manualCause(c string) string {
	if c == string(health.CauseManual) {
		return ""
	}
	return c
}

// fold computes an entry's latest state from its records, in chain order.
func fold(recs []Record) (Entry, error) {
	var e Entry
	if len(recs) == 0 {
		return e, fmt.Errorf("no records")
	}
	spans := map[string]*foldSpan{}
	var (
		order     []*foldSpan
		noteCause *string
		noteFault *string
		noteBy    string
		openedBy  string
		planned   []string
	)
	for _, r := range recs {
		if (r.Kind == KindEntryOpened || r.Kind == KindManual) != (len(e.History) == 0) {
			return e, fmt.Errorf("record %d: %s out of place", r.Seq, r.Kind)
		}
		e.History = append(e.History, r)
		switch r.Kind {
		case KindEntryOpened, KindManual:
			var p openedPayload
			if err := decode(r, &p); err != nil {
				return e, err
			}
			e.Year, e.Number = p.Year, p.Number
			e.DetectedCause = health.Cause(p.Cause)
			e.Manual = r.Kind == KindManual
			openedBy = r.By
		case KindSpanAdded:
			var p spanPayload
			if err := decode(r, &p); err != nil {
				return e, err
			}
			fs := &foldSpan{spanPayload: p}
			var err error
			if fs.start, err = parseTime(p.Start); err != nil {
				return e, fmt.Errorf("record %d: start: %w", r.Seq, err)
			}
			if p.End != "" {
				if fs.end, err = parseTime(p.End); err != nil {
					return e, fmt.Errorf("record %d: end: %w", r.Seq, err)
				}
			}
			if spans[p.Span] == nil {
				order = append(order, fs)
			}
			spans[p.Span] = fs
			planned = append(planned, p.Planned...)
		case KindSpanClosed, KindSpanChanged:
			var p spanPayload
			if err := decode(r, &p); err != nil {
				return e, err
			}
			fs := spans[p.Span]
			if fs == nil {
				return e, fmt.Errorf("record %d: span %s not in the entry", r.Seq, p.Span)
			}
			fs.Sources = p.Sources
			planned = append(planned, p.Planned...)
			if r.Kind == KindSpanClosed {
				end, err := parseTime(p.End)
				if err != nil {
					return e, fmt.Errorf("record %d: end: %w", r.Seq, err)
				}
				fs.end = end
			}
		case KindEntryClosed:
			// A statement for the reader: End follows from the spans.
		case KindNote:
			var p notePayload
			if err := decode(r, &p); err != nil {
				return e, err
			}
			if p.Cause != nil {
				noteCause = p.Cause
			}
			if p.Actions != nil {
				e.Actions = *p.Actions
			}
			if p.Fault != nil {
				noteFault = p.Fault
			}
			noteBy = r.By
		case KindExclusion, KindExclusionRevoked:
			var p exclusionPayload
			if err := decode(r, &p); err != nil {
				return e, err
			}
			fs := spans[p.Span]
			if fs == nil {
				return e, fmt.Errorf("record %d: span %s not in the entry", r.Seq, p.Span)
			}
			planned = append(planned, p.Planned...)
			if r.Kind == KindExclusion {
				fs.exclusion, fs.excludedAt = &p.exclusionBody, r.Seq
			} else {
				fs.exclusion, fs.excludedAt = nil, 0
			}
		}
	}

	slices.SortFunc(order, func(a, b *foldSpan) int {
		return cmp.Or(a.start.Compare(b.start), strings.Compare(a.Span, b.Span))
	})
	ongoing := false
	var latestEx *foldSpan
	allExcluded := true
	for i, fs := range order {
		e.SpanIDs = append(e.SpanIDs, fs.Span)
		e.Desks = append(e.Desks, fs.Desk)
		e.Hotlines = append(e.Hotlines, fs.Hotlines...)
		e.Detection = append(e.Detection, fs.Sources...)
		if i == 0 || fs.start.Before(e.Start) {
			e.Start = fs.start
		}
		if fs.end.IsZero() {
			ongoing = true
		} else if fs.end.After(e.End) {
			e.End = fs.end
		}
		if fs.exclusion == nil {
			allExcluded = false
		} else if latestEx == nil || fs.excludedAt > latestEx.excludedAt {
			latestEx = fs
		}
		// A manual entry's cause was written by the supervisor who entered
		// it (the API stores it as the span's cause): it is noted.
		if e.Manual && noteCause == nil && !e.CauseNoted {
			if c := cmp.Or(manualCause(fs.Cause), fs.Note); c != "" {
				e.Cause, e.CauseNoted = c, true
			}
		}
	}
	if ongoing {
		e.End = time.Time{}
	}
	e.Desks = sortedSet(e.Desks)
	e.Hotlines = sortedSet(e.Hotlines)
	e.Detection = sortedSet(e.Detection)
	e.Planned = sortedWindows(planned)
	if allExcluded && latestEx != nil {
		e.ExclusionCategory, e.ExclusionReason = latestEx.exclusion.Category, latestEx.exclusion.Reason
	}

	switch {
	case noteCause != nil:
		e.Cause, e.CauseNoted = *noteCause, true
	case !e.CauseNoted:
		e.Cause = string(e.DetectedCause)
	}
	switch {
	case noteFault != nil:
		e.Fault = *noteFault
	case e.Excluded():
		e.Fault = FaultExternal
	case e.Manual:
		e.Fault = FaultInstitution
	default:
		e.Fault = FaultUnknown
	}
	e.RecordedBy = openedBy
	if noteBy != "" {
		e.RecordedBy = noteBy
	}
	return e, nil
}

func decode(r Record, v any) error {
	if err := json.Unmarshal(r.Payload, v); err != nil {
		return fmt.Errorf("record %d: %s payload: %w", r.Seq, r.Kind, err)
	}
	return nil
}

func sortedSet(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// sortedWindows sorts window ids (mw-N) by number, without repeats; nil
// when there are none.
func sortedWindows(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	slices.SortFunc(ids, health.CompareMaintenanceIDs)
	return slices.Compact(ids)
}
