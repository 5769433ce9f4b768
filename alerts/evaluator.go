package alerts

import (
	"slices"
	"time"
)

// Evaluator turns successive Inputs into firing and resolved events. It is
// pure: no clock (now is a parameter), no I/O. One goroutine owns it. The
// semantics are in doc.go.
type Evaluator struct {
	rules []Rule
	loc   *time.Location
	inst  map[string]*instance
	order []*instance // creation order, for deterministic output
}

// NewEvaluator builds an evaluator for validated rules. Times in summaries
// are shown in loc (the daemon's time zone).
func NewEvaluator(rules []Rule, loc *time.Location) *Evaluator {
	if loc == nil {
		loc = time.UTC
	}
	return &Evaluator{rules: slices.Clone(rules), loc: loc, inst: map[string]*instance{}}
}

type phase uint8

const (
	phaseOK        phase = iota // condition false (or never seen)
	phasePending                // condition true, not yet for long enough
	phaseFiring                 // fired; condition true
	phaseResolving              // fired; condition false, not yet for long enough
)

// instance is one rule applied to one subject (a hotline, a desk, the
// monitor, a report).
type instance struct {
	id    string
	rule  *Rule
	phase phase
	start time.Time // when the condition of the current episode began
	end   time.Time // phaseResolving: when it became false
	// Evaluation instants of the last true and false observations: the
	// data's own times (desk Since...) are never allowed before them.
	lastTrue, lastFalse time.Time
	seen                bool
	last                observation
}

// observation is what one rule sees of one subject at one instant.
type observation struct {
	subject string
	known   bool      // false: no evidence either way; the instance stands still
	cond    bool      // the rule's condition holds
	edge    time.Time // when cond took its current value, per the data; zero: unknown
	fine    bool      // the subject is positively well (for the wording of a resolution)
	tmpl    Event     // Hotline, Desks, Counts, Quarter, Due
}

// Evaluate looks at in as of now and returns the events it causes, in rule
// order. Call it with non-decreasing now.
func (e *Evaluator) Evaluate(now time.Time, in Input) []Event {
	now = now.UTC()
	for _, it := range e.order {
		it.seen = false
	}
	var out []Event
	for i := range e.rules {
		r := &e.rules[i]
		for _, o := range e.observe(r, now, in) {
			id := r.Name + "/" + o.subject
			it := e.inst[id]
			if it == nil {
				it = &instance{id: id, rule: r}
				e.inst[id] = it
				e.order = append(e.order, it)
			}
			it.seen = true
			if ev, ok := it.step(now, o); ok {
				out = append(out, e.event(it, ev, now))
			}
		}
	}
	// A subject that left the input (a desk or report no longer listed) is
	// no longer in its condition: it resolves like any other.
	kept := e.order[:0]
	for _, it := range e.order {
		if !it.seen {
			o := it.last
			o.known, o.cond, o.edge, o.fine = true, false, time.Time{}, false
			if ev, ok := it.step(now, o); ok {
				out = append(out, e.event(it, ev, now))
			}
			if it.phase == phaseOK {
				delete(e.inst, it.id)
				continue
			}
		}
		kept = append(kept, it)
	}
	clear(e.order[len(kept):])
	e.order = kept
	return out
}

// step advances the instance's state machine; it returns the kind of event
// to emit, if any.
func (it *instance) step(now time.Time, o observation) (string, bool) {
	if !o.known {
		return "", false
	}
	it.last = o
	hold := it.rule.For
	if o.cond {
		defer func() { it.lastTrue = now }()
		switch it.phase {
		case phaseOK:
			it.start = clamp(o.edge, it.lastFalse, now)
			it.phase = phasePending
			fallthrough
		case phasePending:
			if now.Sub(it.start) >= hold {
				it.phase = phaseFiring
				return EventFiring, true
			}
		case phaseResolving:
			it.phase = phaseFiring // back before the hold-down ended: nothing to say
		}
		return "", false
	}
	defer func() { it.lastFalse = now }()
	switch it.phase {
	case phasePending:
		it.phase = phaseOK // a flap shorter than `for`: nothing to say
	case phaseFiring:
		it.end = clamp(o.edge, it.lastTrue, now)
		it.phase = phaseResolving
		fallthrough
	case phaseResolving:
		if now.Sub(it.end) >= hold {
			it.phase = phaseOK
			return EventResolved, true
		}
	}
	return "", false
}

// clamp bounds the data's time t to [floor, now]; zero t means now.
func clamp(t, floor, now time.Time) time.Time {
	switch {
	case t.IsZero() || t.After(now):
		return now
	case t.Before(floor):
		return floor
	}
	return t
}

func (e *Evaluator) event(it *instance, kind string, now time.Time) Event {
	ev := it.last.tmpl
	ev.ID = it.id
	ev.Kind = kind
	ev.Rule = it.rule.Name
	ev.RuleKind = it.rule.Kind
	ev.Since = it.start
	if kind == EventResolved {
		ev.Until = it.end
	}
	ev.At = now
	ev.Channels = slices.Clone(it.rule.Channels)
	ev.SummaryRU, ev.SummaryEN = summarize(&ev, it.last.fine, e.loc)
	return ev
}

// observe evaluates rule r's condition for each of its subjects.
func (e *Evaluator) observe(r *Rule, now time.Time, in Input) []observation {
	switch r.Kind {
	case KindHotlineShort:
		return []observation{hotlineShort(r, now, in)}
	case KindDeskDown:
		return deskDown(r, in)
	case KindMonitorBlind:
		o := observation{subject: "monitor", known: true, cond: in.Blind, fine: !in.Blind}
		if in.Blind {
			o.edge = in.BlindSince
		}
		return []observation{o}
	case KindReportDue:
		return reportDue(r, now, in, e.loc)
	}
	return nil
}

// hotlineShort: fewer than MinUp of the hotline's desks are up. A desk in
// unknown state is not up. Desks off shift or in planned maintenance are
// left out; while some are, MinUp is capped at the desks left, and a
// hotline with none left is closed: nothing holds.
func hotlineShort(r *Rule, now time.Time, in Input) observation {
	var c Counts
	var upSince, notUpSince []time.Time
	var refs []DeskRef
	for _, d := range in.Desks {
		if !slices.Contains(d.Hotlines, r.Hotline) {
			continue
		}
		switch {
		case d.Planned:
			c.Planned++
			continue
		case d.OffShift:
			c.OffShift++
			continue
		}
		c.Total++
		since := d.Since
		if since.IsZero() || since.After(now) {
			since = now
		}
		switch d.State {
		case StateUp:
			c.Up++
			upSince = append(upSince, since)
			continue
		case StateDown:
			c.Down++
		default:
			c.Unknown++
		}
		notUpSince = append(notUpSince, since)
		refs = append(refs, deskRef(d))
	}
	c.MinUp = r.MinUp
	if c.OffShift+c.Planned > 0 {
		c.MinUp = min(r.MinUp, c.Total)
	}
	o := observation{
		subject: "hotline/" + r.Hotline,
		known:   true,
		cond:    c.Up < c.MinUp,
		fine:    c.Up >= c.MinUp,
		tmpl:    Event{Hotline: r.Hotline, Desks: refs, Counts: &c},
	}
	// When did the count last cross MinUp? The desks that are not up have
	// been so since their Since: the shortage holds at least since the
	// moment the (Total-MinUp+1)-th of them (by Since) went; likewise the
	// recovery since the MinUp-th up desk came. A lower bound on the truth,
	// exact when desks change one at a time.
	slices.SortFunc(upSince, time.Time.Compare)
	slices.SortFunc(notUpSince, time.Time.Compare)
	if o.cond {
		if k := c.Total - c.MinUp; k >= 0 {
			o.edge = notUpSince[k]
		}
	} else if c.MinUp > 0 {
		o.edge = upSince[c.MinUp-1]
	}
	return o
}

// deskDown: one subject per desk (of the rule's hotline if set). Unknown
// state is no evidence: the instance neither fires nor resolves.
func deskDown(r *Rule, in Input) []observation {
	var out []observation
	for _, d := range in.Desks {
		if r.Hotline != "" && !slices.Contains(d.Hotlines, r.Hotline) {
			continue
		}
		o := observation{subject: "desk/" + d.ID, edge: d.Since, tmpl: Event{Hotline: r.Hotline, Desks: []DeskRef{deskRef(d)}}}
		switch {
		case d.Planned || d.OffShift: // silenced: an episode ends, none begins
			o.known, o.edge = true, time.Time{}
		case d.State == StateDown:
			o.known, o.cond = true, true
		case d.State == StateUp:
			o.known, o.fine = true, true
		}
		out = append(out, o)
	}
	return out
}

// reportDue: from Days days (local calendar) before the deadline on, while
// the report is not ready; past the deadline it stays firing as overdue.
func reportDue(r *Rule, now time.Time, in Input, loc *time.Location) []observation {
	out := make([]observation, 0, len(in.Reports))
	for _, rep := range in.Reports {
		from := rep.Due.In(loc).AddDate(0, 0, -r.Days).UTC()
		o := observation{
			subject: "report/" + rep.Quarter,
			known:   true,
			cond:    !rep.Ready && !now.Before(from),
			fine:    rep.Ready,
			tmpl:    Event{Quarter: rep.Quarter, Due: rep.Due.UTC()},
		}
		if o.cond {
			o.edge = from
		}
		out = append(out, o)
	}
	return out
}

func deskRef(d Desk) DeskRef {
	name := d.Name
	if name == "" {
		name = d.ID
	}
	since := d.Since
	if !since.IsZero() {
		since = since.UTC()
	}
	ref := DeskRef{ID: d.ID, Name: name, State: d.State, Cause: d.Cause, Since: since}
	switch {
	case d.Planned:
		ref.Quiet = QuietPlanned
	case d.OffShift:
		ref.Quiet = QuietOffShift
	}
	return ref
}
