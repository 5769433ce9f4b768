package main

import (
	"context"
	"time"

	"deskwatch/health"
	"deskwatch/schedule"
)

// shiftWatch tells the board when desks come on or go off shift: no
// transition marks it, so without this a tile would show "off shift" only
// at the next change of the desk. It wakes at the next shift boundary of
// any schedule (at least hourly) and publishes the desks that changed.
type shiftWatch struct {
	desks   []health.Workstation
	scheds  map[string]*schedule.Schedule
	onShift func(desk string, at time.Time) bool
	publish func(ids []string)
	now     func() time.Time
}

// run publishes until ctx ends. A daemon without schedules returns at once.
func (w *shiftWatch) run(ctx context.Context) {
	if len(w.scheds) == 0 {
		return
	}
	last := w.states(w.now())
	for {
		t := time.NewTimer(time.Until(w.next(w.now())))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		cur := w.states(w.now())
		var changed []string
		for id, on := range cur {
			if last[id] != on {
				changed = append(changed, id)
			}
		}
		last = cur
		w.publish(changed)
	}
}

func (w *shiftWatch) states(at time.Time) map[string]bool {
	m := make(map[string]bool, len(w.desks))
	for _, d := range w.desks {
		if d.Schedule != "" {
			m[d.ID] = w.onShift(d.ID, at)
		}
	}
	return m
}

// next is the first shift start or end of any schedule after now (a
// little after, so the desks have changed when we look), or an hour on.
func (w *shiftWatch) next(now time.Time) time.Time {
	next := now.Add(time.Hour)
	for _, s := range w.scheds {
		for _, iv := range s.Windows(now, now.Add(time.Hour)) {
			for _, b := range []time.Time{iv.Start, iv.End} {
				if b.After(now) && b.Before(next) {
					next = b
				}
			}
		}
	}
	return next.Add(10 * time.Millisecond)
}
