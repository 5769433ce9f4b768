package health

import (
	"time"
)

// Tracker turns observations into workstation transitions. It is pure: no
// clock, no I/O; one goroutine owns it. The rules are in doc.go.
type Tracker struct {
	desks     map[string]*desk
	endpoints map[string]*endpoint
	blind     map[Source]time.Time // source → blind since
	order     []*desk
	pbx       *pbxState
}

// pbxState is the PBX's own liveness as our SIP probes see it.
type pbxState struct {
	down  bool
	since time.Time
}

type probeState uint8

const (
	probeNone probeState = iota // no probe, or no verdict yet
	probeOK
	probeLost
)

type contactStatus uint8

const (
	contactAvailable contactStatus = iota + 1
	contactUnreachable
)

type endpoint struct {
	id   string
	desk *desk
	// Contact-level view, valid once a contact event arrived after the last snapshot.
	contacts     map[string]contactStatus
	haveContacts bool
	// Endpoint-level view from the last snapshot or endpoint event.
	level      State
	levelCause Cause
	snapshotAt time.Time
	lastAt     time.Time
	lastDetail string
	contact    string
	// SIP probe view (after the prober's hysteresis).
	probe     probeState
	probeCode int
	probeRTT  time.Duration
	probeAt   time.Time
}

type desk struct {
	pbx      *pbxState
	ws       Workstation
	eps      []*endpoint
	computer computerState // with ws.Computer set
	state    State         // last state decided from evidence: up, down, or unknown (never any)
	cause    Cause
	since    time.Time
}

// NewTracker builds a tracker for the configured workstations. Every desk
// starts unknown. An endpoint listed on two desks is the config's error; here
// the first desk wins.
func NewTracker(ws []Workstation) *Tracker {
	t := &Tracker{
		desks:     make(map[string]*desk, len(ws)),
		endpoints: make(map[string]*endpoint),
		blind:     make(map[Source]time.Time),
		pbx:       &pbxState{},
	}
	for _, w := range ws {
		d := &desk{ws: w, state: StateUnknown, pbx: t.pbx}
		for _, id := range w.Endpoints {
			if _, dup := t.endpoints[id]; dup {
				continue
			}
			ep := &endpoint{id: id, desk: d, level: StateUnknown}
			t.endpoints[id] = ep
			d.eps = append(d.eps, ep)
		}
		t.desks[w.ID] = d
		t.order = append(t.order, d)
	}
	return t
}

// Restore seeds a desk's state from the store after a restart, so that a
// desk still down after the first snapshot continues its open span instead
// of opening a second one.
func (t *Tracker) Restore(id string, state State, cause Cause, since time.Time) {
	if d, ok := t.desks[id]; ok {
		d.state, d.cause, d.since = state, cause, since
	}
}

// Known reports whether the endpoint belongs to a configured workstation.
func (t *Tracker) Known(endpointID string) bool {
	_, ok := t.endpoints[endpointID]
	return ok
}

// Observe applies one observation and returns the transitions it causes:
// none, or one for the endpoint's workstation. Source-level observations
// (blind, sighted) change no desk's decided state; they only mark the time
// as unmonitored (see doc.go).
func (t *Tracker) Observe(o Observation) []Transition {
	switch o.Kind {
	case KindBlind:
		if _, ok := t.blind[o.Source]; !ok {
			t.blind[o.Source] = o.At
		}
		return nil
	case KindSighted:
		delete(t.blind, o.Source)
		return nil
	case KindComputerUp, KindComputerDown:
		return t.observeComputer(o)
	case KindPBXDown, KindPBXUp:
		down := o.Kind == KindPBXDown
		if down == t.pbx.down {
			return nil
		}
		t.pbx.down, t.pbx.since = down, o.At
		// One cause, one instant, every desk: the journal sees one incident.
		var out []Transition
		for _, d := range t.order {
			out = append(out, d.decide(o)...)
		}
		return out
	}
	ep, ok := t.endpoints[o.Endpoint]
	if !ok {
		return nil
	}
	if !ep.apply(o) {
		return nil
	}
	return ep.desk.decide(o)
}

// apply updates the endpoint's evidence; false means the observation was
// stale or carried nothing new.
func (ep *endpoint) apply(o Observation) bool {
	if o.Raced && o.At.Before(ep.snapshotAt) {
		return false // older than the snapshot that already reflects it
	}
	switch o.Kind {
	case KindProbeOK, KindProbeLost:
		ep.probe = probeOK
		if o.Kind == KindProbeLost {
			ep.probe = probeLost
		}
		ep.probeCode, ep.probeRTT, ep.probeAt = o.Code, o.RTT, o.At
		if o.Contact != "" {
			ep.contact = o.Contact
		}
	case KindOnline, KindOffline, KindMissing:
		if !o.Snapshot {
			// EndpointStateChange is Asterisk's aggregate of the contacts:
			// it arrives a few ms before the contact event that says why, and
			// every PJSIP change comes with a contact event. It only records.
			ep.note(o)
			return false
		}
		// A snapshot replaces everything we knew: contacts seen before it
		// may have changed while we were not looking.
		ep.contacts, ep.haveContacts = nil, false
		ep.snapshotAt = o.At
		switch o.Kind {
		case KindOnline:
			ep.level, ep.levelCause = StateUp, ""
		case KindOffline:
			ep.level, ep.levelCause = StateDown, CauseOffline
		default:
			ep.level, ep.levelCause = StateDown, CauseMissing
		}
	case KindAORContact:
		// Shown, never decides; not an event, so last_event_at stays.
		ep.contact = o.Contact
		return false
	case KindContactAvailable, KindContactUnreachable, KindContactRemoved:
		if !ep.haveContacts {
			ep.contacts, ep.haveContacts = make(map[string]contactStatus, 1), true
		}
		switch o.Kind {
		case KindContactAvailable:
			ep.contacts[o.Contact] = contactAvailable
			ep.contact = o.Contact
		case KindContactUnreachable:
			ep.contacts[o.Contact] = contactUnreachable
			ep.contact = o.Contact
		default:
			delete(ep.contacts, o.Contact)
		}
	default:
		return false
	}
	ep.note(o)
	return true
}

func (ep *endpoint) note(o Observation) {
	if o.At.After(ep.lastAt) {
		ep.lastAt = o.At
	}
	ep.lastDetail = o.Detail
}

// state derives the endpoint's state from its evidence.
// state fuses the endpoint's evidence (rules in doc.go): Asterisk saying
// down wins (it will not route calls there); a registered contact that does
// not answer our probes is down; a probe answering keeps the endpoint up
// while ARI cannot say.
func (ep *endpoint) state() (State, Cause) {
	a, c := ep.ariState()
	switch {
	case a == StateDown:
		return StateDown, c
	case ep.probe == probeLost:
		return StateDown, CauseUnreachable
	case a == StateUp || ep.probe == probeOK:
		return StateUp, ""
	}
	return StateUnknown, ""
}

// ariState is what Asterisk's last evidence says.
func (ep *endpoint) ariState() (State, Cause) {
	if !ep.haveContacts {
		return ep.level, ep.levelCause
	}
	unreachable := false
	for _, s := range ep.contacts {
		if s == contactAvailable {
			return StateUp, ""
		}
		unreachable = true
	}
	if unreachable {
		return StateDown, CauseUnreachable
	}
	return StateDown, CauseUnregistered
}

// decide recomputes the desk: up if any endpoint is up (an operator can take
// calls on any phone of the desk), down if all are down, else unknown.
func (d *desk) decide(o Observation) []Transition {
	st, cause := StateDown, Cause("")
	if d.pbx.down {
		st, cause = StateDown, CausePBX
	}
	for _, ep := range d.eps {
		if d.pbx.down {
			break
		}
		s, c := ep.state()
		if s == StateUp {
			st, cause = StateUp, ""
			break
		}
		if s == StateUnknown {
			st, cause = StateUnknown, ""
		} else if st == StateDown && cause == "" {
			cause = c
		}
	}
	st, cause = d.withComputer(st, cause)
	if st == d.state {
		return nil
	}
	at := o.At
	if at.Before(d.since) {
		at = d.since // spans never run backwards, whatever the clocks do
	}
	tr := Transition{Workstation: d.ws.ID, At: at, From: d.state, To: st, Cause: cause, Source: o.Source, Detail: o.Detail}
	d.state, d.cause, d.since = st, cause, at
	return []Transition{tr}
}

// EndpointView is what the tracker knows of one endpoint.
type EndpointView struct {
	ID          string
	State       State
	Cause       Cause
	Contact     string
	LastEventAt time.Time
	Detail      string
	// The last verdict of our SIP probes ("" when none): ok or lost, with
	// the response code and round trip of the probe that decided it.
	Probe     string
	ProbeCode int
	ProbeRTT  time.Duration
	ProbeAt   time.Time
}

// DeskView is a workstation's state as supervisors see it: unknown while the
// monitor is blind, whatever was decided before.
type DeskView struct {
	ID      string
	State   State
	Decided State // the last state decided from evidence (spans follow it)
	Cause   Cause
	Since   time.Time
	// ProbeOnly: ARI is blind and the state rests on our SIP probes alone.
	ProbeOnly bool
	Endpoints []EndpointView
	// Computer is the operator's computer as our probes see it (nil: not
	// watched).
	Computer *ComputerView
}

// View returns the desk's current view; ok is false for an unknown id.
func (t *Tracker) View(id string) (DeskView, bool) {
	d, ok := t.desks[id]
	if !ok {
		return DeskView{}, false
	}
	v := DeskView{ID: id, State: d.state, Decided: d.state, Cause: d.cause, Since: d.since}
	probed := t.pbx.down
	for _, ep := range d.eps {
		s, c := ep.state()
		ev := EndpointView{ID: ep.id, State: s, Cause: c, Contact: ep.contact, LastEventAt: ep.lastAt, Detail: ep.lastDetail,
			ProbeCode: ep.probeCode, ProbeRTT: ep.probeRTT, ProbeAt: ep.probeAt}
		switch ep.probe {
		case probeOK:
			ev.Probe, probed = "ok", true
		case probeLost:
			ev.Probe, probed = "lost", true
		}
		v.Endpoints = append(v.Endpoints, ev)
	}
	v.Computer = d.computerView()
	if since, blind := t.blindSince(); blind {
		if probed {
			v.ProbeOnly = true // our own probes still see the desk
		} else {
			v.State = StateUnknown
			if since.After(v.Since) {
				v.Since = since
			}
		}
	}
	return v, true
}

// Views returns every desk in configuration order.
func (t *Tracker) Views() []DeskView {
	out := make([]DeskView, 0, len(t.order))
	for _, d := range t.order {
		v, _ := t.View(d.ws.ID)
		out = append(out, v)
	}
	return out
}

// PBXDown reports whether our probes find the PBX down, and since when.
func (t *Tracker) PBXDown() (bool, time.Time) { return t.pbx.down, t.pbx.since }

// Blind reports the sources currently blind and since when.
func (t *Tracker) Blind() map[Source]time.Time {
	out := make(map[Source]time.Time, len(t.blind))
	for s, at := range t.blind {
		out[s] = at
	}
	return out
}

// blindSince is when the earliest blind source lost sight.
func (t *Tracker) blindSince() (since time.Time, blind bool) {
	for _, at := range t.blind {
		if !blind || at.Before(since) {
			since, blind = at, true
		}
	}
	return since, blind
}
