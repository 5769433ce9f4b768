package health

import (
	"fmt"
	"testing"
)

func computer(sec float64, desk string, up bool) Observation {
	o := Observation{Workstation: desk, Source: SourceComputer, Kind: KindComputerDown, At: at(sec), Detail: "tcp connect timeout"}
	if up {
		o.Kind, o.Detail = KindComputerUp, "tcp connect ok"
	}
	return o
}

// Every combination of the phones' evidence, the computer's verdict and the
// PBX, in both orders of arrival, gives the desk of the table in doc.go.
func TestComputerFusionTable(t *testing.T) {
	type phone int
	const (
		phoneNone phone = iota
		phoneUp
		phoneDown
	)
	type comp int
	const (
		compNone comp = iota
		compUp
		compDown
	)
	want := func(watched bool, p phone, c comp, pbxDown bool) (State, Cause) {
		switch {
		case pbxDown:
			return StateDown, CausePBX
		case p == phoneDown:
			return StateDown, CauseOffline
		case !watched && p == phoneUp:
			return StateUp, ""
		case !watched:
			return StateUnknown, ""
		case c == compDown:
			return StateDown, CauseComputer
		case p == phoneUp && c == compUp:
			return StateUp, ""
		}
		return StateUnknown, ""
	}
	for _, watched := range []bool{false, true} {
		for p := phoneNone; p <= phoneDown; p++ {
			for c := compNone; c <= compDown; c++ {
				for _, pbxDown := range []bool{false, true} {
					for _, computerFirst := range []bool{false, true} {
						name := fmt.Sprintf("watched=%v/phone=%d/computer=%d/pbxdown=%v/computerfirst=%v", watched, p, c, pbxDown, computerFirst)
						ws := Workstation{ID: "d1", Endpoints: []string{e1}}
						if watched {
							ws.Computer = "10.0.0.21"
						}
						tr := NewTracker([]Workstation{ws})
						var steps []Observation
						switch p {
						case phoneUp:
							steps = append(steps, snap(1, e1, KindOnline))
						case phoneDown:
							steps = append(steps, snap(1, e1, KindOffline))
						}
						if c != compNone {
							o := computer(2, "d1", c == compUp)
							if computerFirst {
								steps = append([]Observation{o}, steps...)
							} else {
								steps = append(steps, o)
							}
						}
						if pbxDown {
							steps = append(steps, pbx(3, true))
						}
						// The oracle: the table gives the desk at each instant; a
						// desk already down keeps the cause it went down with.
						var cp phone
						var cc comp
						var cpbx bool
						wantState, wantCause := StateUnknown, Cause("")
						for _, o := range steps {
							tr.Observe(o)
							switch o.Kind {
							case KindOnline:
								cp = phoneUp
							case KindOffline:
								cp = phoneDown
							case KindComputerUp:
								cc = compUp
							case KindComputerDown:
								cc = compDown
							case KindPBXDown:
								cpbx = true
							}
							if st, cause := want(watched, cp, cc, cpbx); st != wantState {
								wantState, wantCause = st, cause
							}
						}
						v, _ := tr.View("d1")
						if v.Decided != wantState || v.Cause != wantCause {
							t.Errorf("%s: desk %s %s, want %s %s", name, v.Decided, v.Cause, wantState, wantCause)
						}
						if (v.Computer != nil) != watched {
							t.Errorf("%s: computer view %+v", name, v.Computer)
						}
					}
				}
			}
		}
	}
}

func TestComputerScripts(t *testing.T) {
	watched := func() *Tracker {
		return NewTracker([]Workstation{{ID: "d1", Endpoints: []string{e1}, Computer: "10.0.0.21"}, {ID: "d2", Endpoints: []string{e2}}})
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"the computer goes silent and comes back", []step{
			{snap(0, e1, KindOnline), nil},
			{computer(1, "d1", true), []string{"d1 unknown->up"}},
			{computer(10, "d1", false), []string{"d1 up->down computer"}},
			{computer(10.5, "d1", false), nil},
			{computer(20, "d1", true), []string{"d1 down->up"}},
		}},
		{"the phone drops while the computer is down: one span", []step{
			{snap(0, e1, KindOnline), nil},
			{computer(1, "d1", false), []string{"d1 unknown->down computer"}},
			{obs(2, e1, KindContactRemoved, c1), nil},
			{computer(3, "d1", true), nil},
			{obs(4, e1, KindContactAvailable, c1), []string{"d1 down->up"}},
		}},
		{"evidence for a desk without a watched computer, or no desk, is ignored", []step{
			{snap(0, e2, KindOnline), []string{"d2 unknown->up"}},
			{computer(1, "d2", false), nil},
			{computer(1, "nope", false), nil},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runScript(t, watched(), c.steps) })
	}
	tr := watched()
	tr.Observe(snap(0, e1, KindOnline))
	got := tr.Observe(computer(5, "d1", false))
	if len(got) != 1 || got[0].Source != SourceComputer || got[0].Detail != "tcp connect timeout" {
		t.Fatalf("%+v", got)
	}
	v, _ := tr.View("d1")
	if c := v.Computer; c == nil || c.Host != "10.0.0.21" || c.State != StateDown || !c.At.Equal(at(5)) || c.Detail != "tcp connect timeout" {
		t.Fatalf("view %+v", v.Computer)
	}
}
