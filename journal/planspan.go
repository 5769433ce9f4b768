package journal

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	"deskwatch/health"
)

// Changes of spans already journaled. Each record carries the span's whole
// content after it, so the last record of a span is what the store must
// hold (Verify compares them). Only the changes deskwatch itself makes are
// journaled: an open span ends or gains sources, an exclusion is set,
// replaced or revoked. Anything else (an end that moves, a cause that
// changes, a source that goes) was written by someone else: it is logged,
// not journaled, and Verify names it.

// updateSpan records what changed in a span already journaled.
func (p *planner) updateSpan(sp health.Span, st *spanState) {
	exSame := sameExclusion(st.Exclusion, sp.Exclusion)
	if st.End != 0 && st.End == ms(sp.End) && exSame {
		return // ended and unchanged: the common case, checked cheaply
	}
	src := sources(sp)
	if why := illegalChange(sp, st, src); why != "" {
		p.j.warnIllegal(sp.ID, why)
		return
	}
	j, id, before := p.j, st.Entry, p.records
	switch {
	case st.End == 0 && !sp.Open():
		st.End, st.Sources = ms(sp.End), src
		p.append(KindSpanClosed, id, j.system, j.system, spanPayload{Span: sp.ID, spanBody: p.body(sp, st), Exclusion: st.Exclusion})
		s := p.sums[id]
		s.Open--
		s.End = max(s.End, st.End)
		p.touch(id)
	case st.End == 0 && !slices.Equal(src, st.Sources): // grown, or not known (a state from before format 2)
		st.Sources = src
		p.append(KindSpanChanged, id, j.system, j.system, spanPayload{Span: sp.ID, spanBody: p.body(sp, st), Exclusion: st.Exclusion})
	}
	if !exSame {
		if sp.Exclusion == nil {
			revoked := st.Exclusion
			st.Exclusion = nil
			by, _ := p.person() // found by the follower: who revoked is in the store's audit
			p.appendExclusion(KindExclusionRevoked, sp, st, revoked, by)
		} else {
			st.Exclusion = exclusionOf(sp)
			p.appendExclusion(KindExclusion, sp, st, st.Exclusion, sp.Exclusion.By)
		}
		p.touch(id)
	}
	if p.records > before { // an open span unchanged writes nothing
		st.Fixed = fixedDigest(sp)
		p.dirtySpans[sp.ID] = true
	}
}

// person is who the records of a person's change name: the caller's by and
// actor, or the system when the follower found the change.
func (p *planner) person() (by, actor string) {
	if p.by == "" {
		return p.j.system, p.j.system
	}
	return p.by, p.actor
}

// appendExclusion records an exclusion set (or revoked: ex is the one
// withdrawn) with the span as it now is.
func (p *planner) appendExclusion(kind Kind, sp health.Span, st *spanState, ex *exclusionBody, by string) {
	_, actor := p.person()
	p.append(kind, st.Entry, by, actor, exclusionPayload{Span: sp.ID, exclusionBody: *ex, spanBody: p.body(sp, st)})
}

// body is a span's content as journaled: end and sources as st records them.
func (p *planner) body(sp health.Span, st *spanState) spanBody {
	b := spanBody{Desk: sp.Workstation, Hotlines: p.hotlines(sp.Workstation), Start: fmtTime(sp.Start), Cause: string(sp.Cause),
		Sources: st.Sources, Manual: sp.Manual, Note: sp.Note}
	end := p.now
	if st.End != 0 {
		b.End = fmtTime(fromMs(st.End))
		end = fromMs(st.End)
	}
	b.Planned = p.planned(health.Workstation{ID: sp.Workstation, Hotlines: b.Hotlines}, health.Interval{Start: sp.Start, End: end})
	return b
}

// planned lists the maintenance windows that applied to the desk somewhere
// in iv (ids in declaration order), as Options.Maintenance gives them now;
// nil without a source. The windows are read once per plan; a failure to
// read them fails the plan (p.err), so that no span record is written
// without its marking.
func (p *planner) planned(w health.Workstation, iv health.Interval) []string {
	src := p.j.maint
	if src == nil || p.err != nil {
		return nil
	}
	if p.windows == nil {
		all, err := src.Maintenances(p.ctx)
		if err != nil {
			p.err = fmt.Errorf("maintenance windows: %w", err)
			return nil
		}
		p.windows = newWindowIndex(all)
	}
	return p.windows.overlapping(w, iv)
}

// illegalChange says how the store's copy of a span departs from what the
// journal recorded in a way deskwatch never writes; "" if it does not.
func illegalChange(sp health.Span, st *spanState, src []string) string {
	switch {
	case st.Fixed != "" && st.Fixed != fixedDigest(sp):
		return "its desk, start, cause, manual flag or note changed"
	case st.End != 0 && sp.Open():
		return "it is open again; it ended at " + fmtTime(fromMs(st.End))
	case st.End != 0 && ms(sp.End) != st.End:
		return fmt.Sprintf("its end moved from %s to %s", fmtTime(fromMs(st.End)), fmtTime(sp.End))
	case st.Sources != nil && !isSuperset(src, st.Sources):
		return fmt.Sprintf("sources %v lost some of %v", src, st.Sources)
	case st.End != 0 && st.Sources != nil && !slices.Equal(src, st.Sources):
		return fmt.Sprintf("sources changed from %v to %v after it ended", st.Sources, src)
	}
	return ""
}

// warnIllegal logs a span changed behind deskwatch's back, once per span
// and reason while the process runs (the caller holds j.mu).
func (j *Journal) warnIllegal(span, why string) {
	if j.illegal[span] == why {
		return
	}
	if len(j.illegal) >= 10_000 {
		clear(j.illegal)
	}
	j.illegal[span] = why
	j.log.Error().Str("span", span).Str("change", why).
		Msg("journal: a span changed in the store in a way deskwatch never writes; not journaled (deskwatch journal verify names it)")
}

// fixedDigest sums what never changes in a span, so the spans hash can tell
// a change without keeping it (not a security measure: Verify compares
// the records).
func fixedDigest(sp health.Span) string {
	h := fnv.New64a()
	var b []byte
	b = append(b, sp.Workstation...)
	b = strconv.AppendInt(append(b, 0), ms(sp.Start), 10)
	b = append(append(b, 0), sp.Cause...)
	b = strconv.AppendBool(append(b, 0), sp.Manual)
	b = append(append(b, 0), sp.Note...)
	h.Write(b)
	return strconv.FormatUint(h.Sum64(), 16)
}

// isSuperset reports whether sorted set a holds every element of sorted set b.
func isSuperset(a, b []string) bool {
	for _, s := range b {
		if _, ok := slices.BinarySearch(a, s); !ok {
			return false
		}
	}
	return true
}

func sources(sp health.Span) []string {
	out := make([]string, 0, len(sp.Sources)+1)
	for _, s := range sp.Sources {
		out = append(out, string(s))
	}
	if sp.Manual {
		out = append(out, string(health.SourceManual))
	}
	return sortedSet(out)
}

func exclusionOf(sp health.Span) *exclusionBody {
	ex := sp.Exclusion
	return &exclusionBody{Category: ex.Category, Reason: ex.Reason, By: ex.By, Actor: ex.Actor, At: fmtTime(ex.At)}
}

// sameExclusion compares a recorded exclusion with a span's.
func sameExclusion(rec *exclusionBody, ex *health.Exclusion) bool {
	if rec == nil || ex == nil {
		return rec == nil && ex == nil
	}
	return rec.Category == ex.Category && rec.Reason == ex.Reason && rec.By == ex.By && rec.Actor == ex.Actor && rec.At == fmtTime(ex.At)
}
