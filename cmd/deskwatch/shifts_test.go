package main

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/schedule"
)

// fixedMarks answers the board watch from schedules and one window.
type fixedMarks struct {
	scheds map[string]*schedule.Schedule
	desks  map[string]string // desk → schedule
	window health.Interval   // planned for every desk; zero: none
}

func (f fixedMarks) OnShift(id string, at time.Time) bool {
	s := f.desks[id]
	return s == "" || f.scheds[s].Contains(at)
}

func (f fixedMarks) Planned(id string, at time.Time) string {
	if !at.Before(f.window.Start) && at.Before(f.window.End) {
		return "mw-1"
	}
	return ""
}

func (f fixedMarks) NextMaintenanceChange(after time.Time) (time.Time, bool) {
	for _, b := range []time.Time{f.window.Start, f.window.End} {
		if b.After(after) {
			return b, true
		}
	}
	return time.Time{}, false
}

// The watcher wakes just after the next shift start or end of any
// schedule, or start or end of a window, or a minute on when none is near;
// after a reload, by the new schedules.
func TestBoardWatchNext(t *testing.T) {
	loc := time.FixedZone("IRKT", 8*3600)
	day := &schedule.Schedule{Name: "day", Location: loc}
	night := &schedule.Schedule{Name: "night", Location: loc}
	for wd := range day.Weekly {
		day.Weekly[wd] = []schedule.Range{{Start: 9 * 60, End: 18 * 60}}
		night.Weekly[wd] = []schedule.Range{{Start: 20 * 60, End: 8 * 60}}
	}
	at := func(h, m int) time.Time { return time.Date(2026, 11, 2, h, m, 0, 0, loc) }
	scheds := map[string]*schedule.Schedule{"day": day, "night": night}
	marks := fixedMarks{scheds: scheds, desks: map[string]string{"a": "day"}, window: health.Interval{Start: at(12, 30), End: at(12, 45)}}
	desks := []health.Workstation{{ID: "a", Schedule: "day"}, {ID: "b"}}
	w := newBoardWatch(nil, func() time.Time { return at(7, 0) })
	w.set(&boardView{desks: desks, scheds: scheds, marks: marks})
	for _, c := range []struct{ now, want time.Time }{
		{at(8, 30), at(8, 31)}, {at(8, 59), at(9, 0)}, {at(17, 59), at(18, 0)}, {at(19, 59), at(20, 0)}, {at(7, 59), at(8, 0)},
		{at(12, 0), at(12, 1)},                                                       // nothing within the minute
		{at(9, 0), at(9, 1)},                                                         // a boundary at now is past
		{at(12, 29), at(12, 30)}, {at(12, 30), at(12, 31)}, {at(12, 44), at(12, 45)}, // the window
	} {
		if got := w.next(c.now); !got.Equal(c.want.Add(10 * time.Millisecond)) {
			t.Errorf("next after %v: %v, want %v", c.now, got, c.want)
		}
	}
	if m := w.marks(at(12, 31)); len(m) != 2 || m["a"] != (mark{true, "mw-1"}) || m["b"] != (mark{true, "mw-1"}) {
		t.Errorf("marks %v", m)
	}
	if m := w.marks(at(19, 0)); m["a"] != (mark{false, ""}) || m["b"] != (mark{true, ""}) {
		t.Errorf("marks %v", m)
	}

	// A reload moves desk a to the night schedule and drops the day one.
	marks.desks = map[string]string{"a": "night"}
	w.update(&boardView{desks: desks, scheds: map[string]*schedule.Schedule{"night": night}, marks: marks})
	half := 30 * time.Second
	if got := w.next(at(17, 59).Add(half)); !got.Equal(at(18, 0).Add(half + 10*time.Millisecond)) {
		t.Errorf("after the reload, next after 17:59:30: %v, want a minute on (not the old schedule's 18:00)", got)
	}
	if m := w.marks(at(21, 0)); m["a"] != (mark{true, ""}) {
		t.Errorf("after the reload: marks %v", m)
	}
}

// A poke (a reload, a window declared here) makes the loop publish at once
// the desks whose marks changed, and only those.
func TestBoardWatchPublishesOnPoke(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	var got [][]string
	pub := make(chan struct{}, 1)
	w := newBoardWatch(func(ids []string) {
		mu.Lock()
		got = append(got, slices.Sorted(slices.Values(ids)))
		mu.Unlock()
		select {
		case pub <- struct{}{}:
		default:
		}
	}, time.Now)
	desks := []health.Workstation{{ID: "a"}, {ID: "b"}}
	w.set(&boardView{desks: desks, marks: fixedMarks{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.run(ctx) }()
	defer func() { cancel(); <-done }()

	// A window holds for every desk (the fake answers so) since a minute.
	w.update(&boardView{desks: desks, marks: fixedMarks{window: health.Interval{Start: now.Add(-time.Minute), End: now.Add(time.Hour)}}})
	select {
	case <-pub:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing published after the poke")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !slices.Equal(got[0], []string{"a", "b"}) {
		t.Errorf("published %v", got)
	}
}
