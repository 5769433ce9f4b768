package health

import (
	"testing"
	"time"
)

// An event is dated by the PBX's clock within max_skew of its receipt, by
// its receipt outside; evidence stamped by us is never re-dated.
func TestDated(t *testing.T) {
	recv := at(0)
	for _, tc := range []struct {
		name   string
		at     time.Time
		recv   time.Time
		skewed bool
	}{
		{"on time", at(-0.2), recv, false},
		{"at the bound ahead", at(2), recv, false},
		{"at the bound behind", at(-2), recv, false},
		{"ahead", at(2.001), recv, true},
		{"behind", at(-60), recv, true},
		{"after 2109", time.Date(2110, 1, 1, 0, 0, 0, 0, time.UTC), recv, true},
		{"ours", at(-3600), time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := obs(0, e1, KindContactRemoved, c1)
			o.At, o.Received = tc.at, tc.recv
			got, skewed := o.Dated(2 * time.Second)
			want := tc.at
			if tc.skewed {
				want = tc.recv
			}
			if skewed != tc.skewed || !got.At.Equal(want) || got.Received != o.Received || got.Kind != o.Kind {
				t.Fatalf("Dated = %v at %v, skewed %v; want at %v, skewed %v", got, got.At, skewed, want, tc.skewed)
			}
		})
	}
}

// Issue 13: one event dated years ahead, re-dated, neither opens an
// outage in 2110 nor pins the desk's time: the next outage keeps its
// length.
func TestDatedKeepsTheDeskClock(t *testing.T) {
	tr := oneDesk()
	tr.Observe(snap(0, e1, KindOnline))
	future := obs(10, e1, KindContactRemoved, c1)
	future.At, future.Received = time.Date(2110, 1, 1, 0, 0, 0, 0, time.UTC), at(10)
	o, _ := future.Dated(2 * time.Second)
	if got := tr.Observe(o); len(got) != 1 || !got[0].At.Equal(at(10)) {
		t.Fatalf("down: %v", got)
	}
	back := obs(20, e1, KindContactAvailable, c1)
	back.Received = at(20.1)
	o, _ = back.Dated(2 * time.Second)
	if got := tr.Observe(o); len(got) != 1 || !got[0].At.Equal(at(20)) {
		t.Fatalf("up again: %v", got)
	}
}
