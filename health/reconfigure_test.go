package health

import (
	"slices"
	"testing"
)

// A reload keeps what stays: a desk's decided state and since, and an
// endpoint's evidence even when it moves to another desk. New desks start
// unknown; removed ones and their endpoints are forgotten.
func TestReconfigureKeepsWhatStays(t *testing.T) {
	const e3 = "PJSIP/op117-03"
	tr := NewTracker([]Workstation{
		{ID: "d1", Endpoints: []string{e1}},
		{ID: "d2", Endpoints: []string{e2}},
	})
	runScript(t, tr, []step{
		{snap(1, e1, KindOffline), []string{"d1 unknown->down offline"}},
		{snap(1, e2, KindOnline), []string{"d2 unknown->up"}},
	})
	added := tr.Reconfigure([]Workstation{
		{ID: "d1", Name: "renamed", Endpoints: []string{e1}},
		{ID: "d3", Endpoints: []string{e2, e3}},
	})
	if !slices.Equal(added, []string{"d3"}) {
		t.Fatalf("added %q", added)
	}
	if v, _ := tr.View("d1"); v.Decided != StateDown || !v.Since.Equal(at(1)) {
		t.Fatalf("d1 lost its state: %+v", v)
	}
	if _, ok := tr.View("d2"); ok {
		t.Fatal("a removed desk is still tracked")
	}
	if v, _ := tr.View("d3"); v.Decided != StateUnknown || len(v.Endpoints) != 2 || v.Endpoints[0].State != StateUp {
		t.Fatalf("d3: %+v", v)
	}
	// The moved endpoint's evidence decides d3 with the new one's.
	runScript(t, tr, []step{
		{snap(2, e3, KindOffline), []string{"d3 unknown->up"}},
		{obs(3, e1, KindContactAvailable, c1), []string{"d1 down->up"}},
	})
	if ids := views(tr); !slices.Equal(ids, []string{"d1", "d3"}) {
		t.Fatalf("views in config order: %q", ids)
	}
}

func views(tr *Tracker) []string {
	var ids []string
	for _, v := range tr.Views() {
		ids = append(ids, v.ID)
	}
	return ids
}
