package health

import (
	"testing"
	"time"
)

func probe(sec float64, ep string, ok bool) Observation {
	o := Observation{Endpoint: ep, Source: SourceSIP, Kind: KindProbeLost, At: at(sec), Contact: c1}
	if ok {
		o.Kind, o.Code, o.RTT = KindProbeOK, 200, 3*time.Millisecond
	}
	return o
}

func pbx(sec float64, down bool) Observation {
	o := Observation{Source: SourceSIP, Kind: KindPBXUp, At: at(sec)}
	if down {
		o.Kind = KindPBXDown
	}
	return o
}

func TestFusionScripts(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"registered but dead: our probe takes it down, and back", []step{
			{snap(0, e1, KindOnline), []string{"d1 unknown->up"}},
			{probe(1, e1, true), nil},
			{probe(10, e1, false), []string{"d1 up->down unreachable"}},
			{probe(20, e1, true), []string{"d1 down->up"}},
		}},
		{"unregistered is down whatever the probe says", []step{
			{snap(0, e1, KindOnline), []string{"d1 unknown->up"}},
			{obs(1, e1, KindContactRemoved, c1), []string{"d1 up->down unregistered"}},
			{probe(2, e1, true), nil},
			{obs(3, e1, KindContactAvailable, c1), []string{"d1 down->up"}},
		}},
		{"Asterisk's qualify says unreachable, our probe answers: down (Asterisk will not route)", []step{
			{probe(0, e1, true), []string{"d1 unknown->up"}},
			{obs(1, e1, KindContactUnreachable, c1), []string{"d1 up->down unreachable"}},
		}},
		{"ARI never seen, probe decides", []step{
			{probe(0, e1, false), []string{"d1 unknown->down unreachable"}},
			{probe(5, e1, true), []string{"d1 down->up"}},
		}},
		{"probe events are never stale against an ARI snapshot (clamped to it)", []step{
			{snap(10, e1, KindOnline), []string{"d1 unknown->up"}},
			{probe(9, e1, false), []string{"d1 up->down unreachable"}},
		}},
		{"PBX down: down with cause pbx, and back", []step{
			{snap(0, e1, KindOnline), []string{"d1 unknown->up"}},
			{pbx(5, true), []string{"d1 up->down pbx"}},
			{pbx(6, true), nil},
			{obs(7, e1, KindContactAvailable, c1), nil}, // the PBX down overrides
			{pbx(30, false), []string{"d1 down->up"}},
			{pbx(31, false), nil},
		}},
		{"PBX down while the desk is already down keeps its own span", []step{
			{snap(0, e1, KindOffline), []string{"d1 unknown->down offline"}},
			{pbx(5, true), nil},
			{pbx(9, false), nil},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runScript(t, oneDesk(), c.steps) })
	}
}

func TestPBXDownIsOneInstantForEveryDesk(t *testing.T) {
	tr := NewTracker([]Workstation{{ID: "a", Endpoints: []string{e1}}, {ID: "b", Endpoints: []string{e2}}, {ID: "c", Endpoints: []string{"PJSIP/c"}}})
	tr.Observe(snap(0, e1, KindOnline))
	tr.Observe(snap(0, e2, KindOnline))
	got := tr.Observe(pbx(5, true))
	// c had no evidence yet: unknown→down pbx as well.
	if len(got) != 3 {
		t.Fatalf("%v", got)
	}
	for _, x := range got {
		if x.To != StateDown || x.Cause != CausePBX || !x.At.Equal(at(5)) || x.Source != SourceSIP {
			t.Fatalf("%v", x)
		}
	}
	if down, since := tr.PBXDown(); !down || !since.Equal(at(5)) {
		t.Fatal("PBXDown")
	}
}

func TestProbeOnlyView(t *testing.T) {
	tr := oneDesk()
	tr.Observe(snap(0, e1, KindOnline))
	tr.Observe(probe(1, e1, true))
	tr.Observe(src(2, KindBlind))
	v, _ := tr.View("d1")
	if v.State != StateUp || !v.ProbeOnly || v.Endpoints[0].Probe != "ok" || v.Endpoints[0].ProbeCode != 200 || v.Endpoints[0].ProbeRTT != 3*time.Millisecond {
		t.Fatalf("%+v", v)
	}
	// While ARI is blind, the probe still decides.
	if got := tr.Observe(probe(3, e1, false)); len(got) != 1 || got[0].To != StateDown || got[0].Source != SourceSIP {
		t.Fatalf("%v", got)
	}
	// Without probes, blind shows unknown (TestTrackerViews).
}
