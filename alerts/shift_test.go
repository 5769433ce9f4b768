package alerts

import (
	"strings"
	"testing"
	"time"
)

func (w *world) quiet(id string, offShift, planned bool) {
	for i := range w.desks {
		if w.desks[i].ID == id {
			w.desks[i].OffShift, w.desks[i].Planned = offShift, planned
			return
		}
	}
	panic("no desk " + id)
}

// A hotline whose desks are all off shift is closed: nothing fires at
// night. While some desks are off shift, min_up is capped at the desks on
// shift; a shortage among them still fires.
func TestHotlineShortCountsOnlyDesksOnShift(t *testing.T) {
	w := newWorld("122", 3)
	e := NewEvaluator([]Rule{{Name: "short", Kind: KindHotlineShort, Hotline: "122", MinUp: 2, For: 10 * time.Second, Channels: []string{"x"}}}, irkutsk)
	expect(t, "t0", e.Evaluate(sec(0), w.input()))
	for _, d := range w.desks {
		w.quiet(d.ID, true, false)
		w.set(d.ID, StateDown, sec(1)) // phones switched off for the night
	}
	expect(t, "all off shift", e.Evaluate(sec(1), w.input()))
	expect(t, "night", e.Evaluate(sec(3600), w.input()))

	// One desk comes on shift at 3600 s and stays down: need min(2, 1) = 1.
	w.quiet("op122-01", false, false)
	expect(t, "one on shift, down", e.Evaluate(sec(3601), w.input()))
	evs := e.Evaluate(sec(3611), w.input())
	expect(t, "held 10 s", evs, "firing short/hotline/122")
	if c := *evs[0].Counts; c != (Counts{Down: 1, Total: 1, MinUp: 1, OffShift: 2}) || !evs[0].Since.Equal(sec(3600)) { // the last evaluation that saw the hotline closed
		t.Fatalf("counts %+v since %v", c, evs[0].Since)
	}
	if !strings.Contains(evs[0].SummaryRU, "не учтены 2 АРМ вне смены") || !strings.Contains(evs[0].SummaryEN, "2 desks off shift") {
		t.Errorf("summary %q / %q", evs[0].SummaryRU, evs[0].SummaryEN)
	}
	// Its shift ends again: the hotline is closed, the shortage clears.
	w.quiet("op122-01", true, false)
	expect(t, "closed", e.Evaluate(sec(3620), w.input()))
	evs = e.Evaluate(sec(3630), w.input())
	expect(t, "cleared", evs, "resolved short/hotline/122")
	if !strings.Contains(evs[0].SummaryRU, "на смене нет АРМ") {
		t.Errorf("summary %q", evs[0].SummaryRU)
	}
}

// desk_down holds only inside the desk's schedule and outside planned
// maintenance: a desk down off shift raises nothing; one that was firing
// clears, saying why.
func TestDeskDownHoldsOnlyOnShift(t *testing.T) {
	w := newWorld("122", 2)
	e := NewEvaluator([]Rule{{Name: "dd", Kind: KindDeskDown, For: 5 * time.Second, Channels: []string{"x"}}}, irkutsk)
	w.quiet("op122-01", true, false)
	w.set("op122-01", StateDown, sec(0))
	expect(t, "off shift", e.Evaluate(sec(0), w.input()))
	expect(t, "off shift later", e.Evaluate(sec(60), w.input()))
	// The shift starts with the desk still down: the hold counts from then.
	w.quiet("op122-01", false, false)
	expect(t, "shift starts", e.Evaluate(sec(61), w.input()))
	evs := e.Evaluate(sec(66), w.input())
	expect(t, "5 s into the shift", evs, "firing dd/desk/op122-01")
	if !evs[0].Since.Equal(sec(60)) { // no earlier than the last evaluation off shift
		t.Errorf("since %v", evs[0].Since)
	}
	// Planned maintenance begins: the alert clears after the hold-down.
	w.quiet("op122-01", false, true)
	expect(t, "planned", e.Evaluate(sec(70), w.input()))
	evs = e.Evaluate(sec(75), w.input())
	expect(t, "cleared", evs, "resolved dd/desk/op122-01")
	if !strings.Contains(evs[0].SummaryRU, "плановые работы") || evs[0].Desks[0].Quiet != QuietPlanned {
		t.Errorf("resolved %+v", evs[0])
	}
	// The other desk, off shift, goes down and then its shift ends while firing.
	w.set("op122-02", StateDown, sec(80))
	expect(t, "down", e.Evaluate(sec(80), w.input()))
	expect(t, "fires", e.Evaluate(sec(85), w.input()), "firing dd/desk/op122-02")
	w.quiet("op122-02", true, false)
	expect(t, "shift over", e.Evaluate(sec(90), w.input()))
	evs = e.Evaluate(sec(95), w.input())
	expect(t, "cleared", evs, "resolved dd/desk/op122-02")
	if !strings.Contains(evs[0].SummaryEN, "shift is over") {
		t.Errorf("summary %q", evs[0].SummaryEN)
	}
}
