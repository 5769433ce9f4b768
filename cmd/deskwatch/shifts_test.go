package main

import (
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/schedule"
)

// The watcher wakes just after the next shift start or end of any
// schedule, or an hour on when none is near.
func TestShiftWatchNext(t *testing.T) {
	loc := time.FixedZone("IRKT", 8*3600)
	day := &schedule.Schedule{Name: "day", Location: loc}
	night := &schedule.Schedule{Name: "night", Location: loc}
	for wd := range day.Weekly {
		day.Weekly[wd] = []schedule.Range{{Start: 9 * 60, End: 18 * 60}}
		night.Weekly[wd] = []schedule.Range{{Start: 20 * 60, End: 8 * 60}}
	}
	w := &shiftWatch{desks: []health.Workstation{{ID: "a", Schedule: "day"}, {ID: "b"}},
		scheds: map[string]*schedule.Schedule{"day": day, "night": night}}
	w.onShift = func(id string, at time.Time) bool { return day.Contains(at) }
	at := func(h, m int) time.Time { return time.Date(2026, 11, 2, h, m, 0, 0, loc) }
	for _, c := range []struct{ now, want time.Time }{
		{at(8, 30), at(9, 0)}, {at(17, 59), at(18, 0)}, {at(19, 30), at(20, 0)}, {at(7, 59), at(8, 0)},
		{at(12, 0), at(13, 0)}, // nothing within the hour
		{at(9, 0), at(10, 0)},  // a boundary at now is past
	} {
		if got := w.next(c.now); !got.Equal(c.want.Add(10 * time.Millisecond)) {
			t.Errorf("next after %v: %v, want %v", c.now, got, c.want)
		}
	}
	if s := w.states(at(9, 0)); len(s) != 1 || !s["a"] {
		t.Errorf("states %v", s)
	}
}
