package main

import (
	"context"
	"sync/atomic"
	"time"

	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/schedule"
)

// boardWatch tells the board when desks change without a transition: a
// shift begins or ends, a planned maintenance window opens or closes by the
// clock. Without it a tile would show "off shift" or "плановые работы" only
// at the desk's next change. It wakes just after the next shift boundary
// of any schedule or the next start or end of a window, at least every
// maxBoardSleep (so windows declared through another instance are seen),
// and at once when poked (a reload, a window declared here), and
// publishes the desks whose marks changed.
type boardWatch struct {
	publish func(ids []string)
	now     func() time.Time
	view    atomic.Pointer[boardView] // a reload replaces it
	wake    chan struct{}             // buffered: a poke waits for the loop
	last    map[string]mark           // the marks last looked at: set's, then run's own
}

// boardView is what the watcher reads of the running configuration.
type boardView struct {
	desks  []health.Workstation
	scheds map[string]*schedule.Schedule
	marks  deskMarks
}

// deskMarks answers the questions a tile shows besides its state
// (*service.Service).
type deskMarks interface {
	OnShift(desk string, at time.Time) bool
	Planned(desk string, at time.Time) string
	NextMaintenanceChange(after time.Time) (time.Time, bool)
}

// mark is what the board shows of a desk besides its state.
type mark struct {
	onShift bool
	planned string
}

// maxBoardSleep bounds the watcher's sleep: a window declared through
// another instance reaches this one's cache within the service's TTL, and
// its start is then at most this late on the board.
const maxBoardSleep = time.Minute

// newBoardWatch returns a watch to be given its view (set) before it runs.
func newBoardWatch(publish func(ids []string), now func() time.Time) *boardWatch {
	return &boardWatch{publish: publish, now: now, wake: make(chan struct{}, 1)}
}

// boardViewOf is the view of a configuration and the service built on it.
func boardViewOf(cfg *config.Config, svc deskMarks) *boardView {
	return &boardView{desks: cfg.HealthWorkstations(), scheds: cfg.CompiledSchedules(), marks: svc}
}

// set gives the watch its first view, before it runs; changes from the
// marks as they are now are published once it does.
func (w *boardWatch) set(v *boardView) {
	w.view.Store(v)
	w.last = w.marks(w.now())
}

// update takes a reload's desks, schedules and service; the loop publishes
// the desks whose marks the new configuration changed, and sleeps by its
// schedules.
func (w *boardWatch) update(v *boardView) {
	w.view.Store(v)
	w.poke()
}

// poke wakes the loop to look again (a window was declared, ended or
// cancelled: its start or end is the next wake-up).
func (w *boardWatch) poke() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already due
	}
}

// run publishes until ctx ends.
func (w *boardWatch) run(ctx context.Context) {
	last := w.last
	for {
		t := time.NewTimer(time.Until(w.next(w.now())))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-w.wake:
			t.Stop()
		}
		cur := w.marks(w.now())
		var changed []string
		for id, m := range cur {
			if was, ok := last[id]; ok && was != m {
				changed = append(changed, id)
			}
		}
		last = cur
		if len(changed) > 0 {
			w.publish(changed)
		}
	}
}

// marks is every desk's marks at t.
func (w *boardWatch) marks(at time.Time) map[string]mark {
	v := w.view.Load()
	m := make(map[string]mark, len(v.desks))
	for _, d := range v.desks {
		m[d.ID] = mark{onShift: v.marks.OnShift(d.ID, at), planned: v.marks.Planned(d.ID, at)}
	}
	return m
}

// next is the first shift start or end of any schedule, or window start or
// end, after now (a little after, so the desks have changed when we look),
// or maxBoardSleep on.
func (w *boardWatch) next(now time.Time) time.Time {
	v := w.view.Load()
	next := now.Add(maxBoardSleep)
	for _, s := range v.scheds {
		for _, iv := range s.Windows(now, next) {
			for _, b := range []time.Time{iv.Start, iv.End} {
				if b.After(now) && b.Before(next) {
					next = b
				}
			}
		}
	}
	if b, ok := v.marks.NextMaintenanceChange(now); ok && b.Before(next) {
		next = b
	}
	return next.Add(10 * time.Millisecond)
}
