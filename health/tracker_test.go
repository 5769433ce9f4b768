package health

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// step is one line of an event script: an observation and the transitions
// it must produce, written as "ws from->to cause" (empty: none).
type step struct {
	o    Observation
	want []string
}

func obs(sec float64, ep string, k Kind, contact string) Observation {
	return Observation{Endpoint: ep, Source: SourceARI, Kind: k, At: at(sec), Contact: contact}
}

func snap(sec float64, ep string, k Kind) Observation {
	o := obs(sec, ep, k, "")
	o.Snapshot = true
	return o
}

func raced(o Observation) Observation {
	o.Raced = true
	return o
}

func src(sec float64, k Kind) Observation {
	return Observation{Source: SourceARI, Kind: k, At: at(sec)}
}

func runScript(t *testing.T, tr *Tracker, steps []step) {
	t.Helper()
	for i, s := range steps {
		got := tr.Observe(s.o)
		var gs []string
		for _, x := range got {
			if !x.At.Equal(s.o.At) && !x.At.After(s.o.At) {
				t.Errorf("step %d: transition at %v before its observation %v", i, x.At, s.o.At)
			}
			gs = append(gs, strings.TrimSpace(fmt.Sprintf("%s %s->%s %s", x.Workstation, x.From, x.To, x.Cause)))
		}
		if strings.Join(gs, "|") != strings.Join(s.want, "|") {
			t.Fatalf("step %d (%s %s %s): got %q, want %q", i, s.o.Kind, s.o.Endpoint, s.o.Contact, gs, s.want)
		}
	}
}

const (
	e1 = "PJSIP/op122-01"
	e2 = "PJSIP/op122-02"
	c1 = "sip:op122-01@127.0.0.1:5101"
	c2 = "sip:op122-02@127.0.0.1:5102"
)

func oneDesk() *Tracker {
	return NewTracker([]Workstation{{ID: "d1", Hotlines: []string{"122"}, Endpoints: []string{e1}}})
}

func TestTrackerScripts(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"register from offline snapshot (fixture A1)", []step{
			{snap(0, e1, KindOffline), []string{"d1 unknown->down offline"}},
			{obs(2, e1, KindContactAvailable, c1), []string{"d1 down->up"}}, // NonQualified
			{obs(2.003, e1, KindOnline, ""), nil},                           // aggregate, contact known
			{obs(2.004, e1, KindContactAvailable, c1), nil},                 // Reachable
		}},
		{"un-register (fixture B1): Removed takes it down", []step{
			{snap(0, e1, KindOnline), []string{"d1 unknown->up"}},
			{obs(1, e1, KindContactAvailable, c1), nil},
			{obs(5, e1, KindOffline, ""), nil},
			{obs(5.002, e1, KindContactRemoved, c1), []string{"d1 up->down unregistered"}},
		}},
		{"dead phone (fixture C1): Unreachable, later expiry keeps one span", []step{
			{snap(0, e1, KindOnline), []string{"d1 unknown->up"}},
			{obs(1, e1, KindContactAvailable, c1), nil},
			{obs(10, e1, KindContactUnreachable, c1), []string{"d1 up->down unreachable"}},
			{obs(60, e1, KindContactRemoved, c1), nil},
			{obs(90, e1, KindContactAvailable, c1), []string{"d1 down->up"}},
		}},
		{"first contact event after an online snapshot replaces the snapshot's view", []step{
			{snap(0, e1, KindOnline), []string{"d1 unknown->up"}},
			{obs(3, e1, KindContactUnreachable, c1), []string{"d1 up->down unreachable"}},
		}},
		{"endpoint events never decide, even with no contact known (fixture E3 after a restart)", []step{
			{snap(0, e1, KindOnline), []string{"d1 unknown->up"}},
			{obs(3, e1, KindOffline, ""), nil},
			{obs(3.002, e1, KindContactRemoved, c1), []string{"d1 up->down unregistered"}},
			{obs(4, e1, KindOnline, ""), nil},
			{obs(4.001, e1, KindContactAvailable, c1), []string{"d1 down->up"}},
		}},
		{"an event that raced the snapshot and is older than it is ignored", []step{
			{snap(10, e1, KindOnline), []string{"d1 unknown->up"}},
			{raced(obs(9.5, e1, KindContactRemoved, c1)), nil},
			{raced(obs(11, e1, KindContactRemoved, c1)), []string{"d1 up->down unregistered"}},
		}},
		{"an event received after the snapshot applies even if the PBX clock is behind", []step{
			{snap(10, e1, KindOnline), []string{"d1 unknown->up"}},
			{obs(9.5, e1, KindContactRemoved, c1), []string{"d1 up->down unregistered"}},
		}},
		{"missing endpoint is down", []step{
			{snap(0, e1, KindMissing), []string{"d1 unknown->down missing"}},
		}},
		{"blind changes no decided state; snapshot after decides", []step{
			{snap(0, e1, KindOnline), []string{"d1 unknown->up"}},
			{src(5, KindBlind), nil},
			{snap(20, e1, KindOffline), []string{"d1 up->down offline"}},
			{src(20, KindSighted), nil},
		}},
		{"down before and after blindness keeps one span (no transition)", []step{
			{snap(0, e1, KindOffline), []string{"d1 unknown->down offline"}},
			{src(5, KindBlind), nil},
			{snap(20, e1, KindOffline), nil},
			{src(20, KindSighted), nil},
		}},
		{"unknown endpoint and unknown kinds are ignored", []step{
			{obs(1, "PJSIP/other", KindContactRemoved, "x"), nil},
			{obs(1, e1, Kind("bogus"), ""), nil},
		}},
		{"an AOR contact decides nothing, before or after the snapshot", []step{
			{obs(0, e1, KindAORContact, c1), nil},
			{snap(1, e1, KindOffline), []string{"d1 unknown->down offline"}},
			{obs(1.5, e1, KindAORContact, c1), nil},
			{snap(2, e1, KindOnline), []string{"d1 down->up"}},
			{obs(2.5, e1, KindAORContact, c1), nil},
			{obs(3, e1, KindContactRemoved, c1), []string{"d1 up->down unregistered"}},
			{obs(4, e1, KindAORContact, c2), nil},
		}},
		{"flapping: each change is one transition", []step{
			{snap(0, e1, KindOnline), []string{"d1 unknown->up"}},
			{obs(1, e1, KindContactUnreachable, c1), []string{"d1 up->down unreachable"}},
			{obs(2, e1, KindContactAvailable, c1), []string{"d1 down->up"}},
			{obs(3, e1, KindContactUnreachable, c1), []string{"d1 up->down unreachable"}},
			{obs(4, e1, KindContactAvailable, c1), []string{"d1 down->up"}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runScript(t, oneDesk(), c.steps) })
	}
}

func TestTrackerMultiContactAndMultiEndpoint(t *testing.T) {
	tr := NewTracker([]Workstation{{ID: "d1", Endpoints: []string{e1, e2}}})
	runScript(t, tr, []step{
		{snap(0, e1, KindOffline), nil}, // e2 still unknown: desk unknown
		{snap(0, e2, KindOnline), []string{"d1 unknown->up"}},
		{obs(1, e2, KindContactRemoved, c2), []string{"d1 up->down offline"}}, // e1's cause first
		{obs(2, e1, KindContactAvailable, c1), []string{"d1 down->up"}},
		{obs(3, e1, KindContactAvailable, "sip:second@h"), nil},
		{obs(4, e1, KindContactUnreachable, c1), nil}, // the second contact still answers
		{obs(5, e1, KindContactRemoved, "sip:second@h"), []string{"d1 up->down unreachable"}},
	})
}

func TestTrackerRestoreContinuesSpan(t *testing.T) {
	tr := oneDesk()
	tr.Restore("d1", StateDown, CauseUnregistered, at(-100))
	runScript(t, tr, []step{
		{snap(0, e1, KindOffline), nil}, // still down: the open span continues
		{obs(5, e1, KindContactAvailable, c1), []string{"d1 down->up"}},
	})
}

func TestTrackerTimeNeverRunsBackwards(t *testing.T) {
	tr := oneDesk()
	tr.Restore("d1", StateUp, "", at(100))
	got := tr.Observe(snap(50, e1, KindOffline))
	if len(got) != 1 || !got[0].At.Equal(at(100)) {
		t.Fatalf("got %v, want one transition clamped to %v", got, at(100))
	}
}

func TestTrackerViews(t *testing.T) {
	tr := oneDesk()
	tr.Observe(snap(0, e1, KindOnline))
	tr.Observe(obs(1, e1, KindContactAvailable, c1))
	v, ok := tr.View("d1")
	if !ok || v.State != StateUp || len(v.Endpoints) != 1 || v.Endpoints[0].Contact != c1 || !v.Endpoints[0].LastEventAt.Equal(at(1)) {
		t.Fatalf("view %+v", v)
	}
	tr.Observe(src(5, KindBlind))
	v, _ = tr.View("d1")
	if v.State != StateUnknown || v.Decided != StateUp || !v.Since.Equal(at(5)) {
		t.Fatalf("blind view %+v", v)
	}
	if b := tr.Blind(); len(b) != 1 || !b[SourceARI].Equal(at(5)) {
		t.Fatalf("blind %v", b)
	}
	tr.Observe(src(6, KindBlind)) // a second blind keeps the first start
	if b := tr.Blind(); !b[SourceARI].Equal(at(5)) {
		t.Fatalf("blind moved: %v", b)
	}
	tr.Observe(Observation{Source: SourceMonitor, Kind: KindBlind, At: at(4)})
	if v, _ = tr.View("d1"); !v.Since.Equal(at(4)) {
		t.Fatalf("two blind sources: since %v, want the earliest %v", v.Since, at(4))
	}
	tr.Observe(Observation{Source: SourceMonitor, Kind: KindSighted, At: at(8)})
	tr.Observe(src(9, KindSighted))
	if v, _ = tr.View("d1"); v.State != StateUp {
		t.Fatalf("after sighted %+v", v)
	}
	if _, ok := tr.View("nope"); ok {
		t.Fatal("unknown desk has a view")
	}
	if len(tr.Views()) != 1 || !tr.Known(e1) || tr.Known("PJSIP/x") {
		t.Fatal("Views/Known")
	}
}

// The AOR's contact is shown, but it is not an event of the endpoint.
func TestTrackerViewShowsAORContact(t *testing.T) {
	tr := oneDesk()
	tr.Observe(snap(0, e1, KindOnline))
	tr.Observe(obs(5, e1, KindAORContact, c1))
	v, _ := tr.View("d1")
	if ep := v.Endpoints[0]; ep.Contact != c1 || !ep.LastEventAt.Equal(at(0)) || ep.Detail != "" || ep.State != StateUp {
		t.Fatalf("view %+v", ep)
	}
}

// Only Asterisk naming a contact bound to an endpoint tells the probes
// where to look.
func TestBoundContact(t *testing.T) {
	kinds := []Kind{KindContactAvailable, KindContactUnreachable, KindContactRemoved, KindAORContact,
		KindOnline, KindOffline, KindMissing, KindProbeOK, KindProbeLost,
		KindBlind, KindSighted, KindPBXDown, KindPBXUp}
	bound := map[Kind]bool{KindContactAvailable: true, KindContactUnreachable: true, KindAORContact: true}
	for _, k := range kinds {
		for _, s := range []Source{SourceARI, SourceSIP, SourceManual, SourceMonitor} {
			o := Observation{Endpoint: e1, Source: s, Kind: k, At: at(0), Contact: c1}
			c, ok := o.BoundContact()
			if want := bound[k] && s == SourceARI; ok != want || (ok && c != c1) || (!ok && c != "") {
				t.Errorf("%s from %s: %q, %v; want %v", k, s, c, ok, want)
			}
		}
	}
	for _, o := range []Observation{
		{Endpoint: e1, Source: SourceARI, Kind: KindContactAvailable}, // no contact named
		{Source: SourceARI, Kind: KindAORContact, Contact: c1},        // no endpoint
	} {
		if c, ok := o.BoundContact(); ok {
			t.Errorf("%+v: bound %q", o, c)
		}
	}
}
