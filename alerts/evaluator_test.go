package alerts

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// irkutsk is UTC+8 all year (no tzdata needed).
var irkutsk = time.FixedZone("IRKT", 8*3600)

// t0 is 14:00 in Irkutsk.
var t0 = time.Date(2026, 7, 1, 6, 0, 0, 0, time.UTC)

func sec(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Second))) }

// world is a mutable monitor for event scripts.
type world struct {
	desks   []Desk
	blind   bool
	blindAt time.Time
	reports []ReportStatus
}

func newWorld(hotline string, n int) *world {
	w := &world{}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("op%s-%02d", hotline, i)
		w.desks = append(w.desks, Desk{ID: id, Name: fmt.Sprintf("АРМ %d", i), Hotlines: []string{hotline}, State: StateUp, Since: t0.Add(-time.Hour)})
	}
	return w
}

func (w *world) set(id, state string, at time.Time) {
	for i := range w.desks {
		if w.desks[i].ID == id {
			if w.desks[i].State != state {
				w.desks[i].State, w.desks[i].Since = state, at
				w.desks[i].Cause = ""
				if state == StateDown {
					w.desks[i].Cause = "unregistered"
				}
			}
			return
		}
	}
	panic("no desk " + id)
}

// goBlind mimics health.DeskView while blind: every desk unknown since the
// blind start (or later); the decided state is kept for when sight returns.
func (w *world) input() Input {
	in := Input{Blind: w.blind, BlindSince: w.blindAt, Reports: slices.Clone(w.reports)}
	for _, d := range w.desks {
		d.Hotlines = slices.Clone(d.Hotlines)
		if w.blind {
			d.State, d.Cause = StateUnknown, ""
			if w.blindAt.After(d.Since) {
				d.Since = w.blindAt
			}
		}
		in.Desks = append(in.Desks, d)
	}
	return in
}

// brief renders events as "firing rule/subject" for comparisons.
func brief(evs []Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.Kind+" "+e.ID)
	}
	return out
}

func expect(t *testing.T, at string, got []Event, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if g := brief(got); !slices.Equal(g, want) {
		t.Fatalf("%s: events %q, want %q", at, g, want)
	}
}

func TestHotlineShortFiresAndResolvesOnce(t *testing.T) {
	w := newWorld("122", 3)
	e := NewEvaluator([]Rule{{Name: "short-122", Kind: KindHotlineShort, Hotline: "122", MinUp: 2, For: 10 * time.Second, Channels: []string{"x"}}}, irkutsk)
	expect(t, "t0", e.Evaluate(sec(0), w.input()))
	w.set("op122-01", StateDown, sec(1))
	expect(t, "one down, 2 up", e.Evaluate(sec(1), w.input()))
	w.set("op122-02", StateDown, sec(2.5))
	expect(t, "short", e.Evaluate(sec(3), w.input()))
	expect(t, "9.9s", e.Evaluate(sec(12.4), w.input()))
	evs := e.Evaluate(sec(12.5), w.input())
	expect(t, "10s", evs, "firing short-122/hotline/122")
	ev := evs[0]
	if !ev.Since.Equal(sec(2.5)) || ev.Rule != "short-122" || ev.RuleKind != KindHotlineShort || ev.Hotline != "122" {
		t.Fatalf("event %+v", ev)
	}
	if *ev.Counts != (Counts{Up: 1, Down: 2, Total: 3, MinUp: 2}) {
		t.Fatalf("counts %+v", *ev.Counts)
	}
	if ids := []string{ev.Desks[0].ID, ev.Desks[1].ID}; len(ev.Desks) != 2 || ids[0] != "op122-01" || ids[1] != "op122-02" {
		t.Fatalf("desks %+v", ev.Desks)
	}
	if want := "Линия 122: доступно 1 АРМ из 3 (минимум 2) с 14:00"; ev.SummaryRU != want {
		t.Errorf("ru %q, want %q", ev.SummaryRU, want)
	}
	if want := "Hotline 122: 1 of 3 desks up (minimum 2) since 14:00"; ev.SummaryEN != want {
		t.Errorf("en %q, want %q", ev.SummaryEN, want)
	}
	expect(t, "still short", e.Evaluate(sec(30), w.input()))

	w.set("op122-02", StateUp, sec(60))
	expect(t, "recovering", e.Evaluate(sec(60.2), w.input()))
	expect(t, "hold-down", e.Evaluate(sec(69.9), w.input()))
	evs = e.Evaluate(sec(70), w.input())
	expect(t, "resolved", evs, "resolved short-122/hotline/122")
	r := evs[0]
	if r.ID != ev.ID || !r.Since.Equal(ev.Since) || !r.Until.Equal(sec(60)) {
		t.Fatalf("resolved %+v does not pair with %+v", r, ev)
	}
	if want := "Линия 122: доступно 2 АРМ из 3 (минимум 2), нехватка с 14:00 по 14:01 устранена"; r.SummaryRU != want {
		t.Errorf("ru %q, want %q", r.SummaryRU, want)
	}
	if want := "Hotline 122: 2 of 3 desks up (minimum 2), shortage from 14:00 to 14:01 is over"; r.SummaryEN != want {
		t.Errorf("en %q, want %q", r.SummaryEN, want)
	}
	expect(t, "after", e.Evaluate(sec(200), w.input()))
}

// Flapping faster than the hold-down says nothing, whether the rule is
// quiet or firing: one firing per real start, one resolved per real end.
func TestFlappingFasterThanHoldDown(t *testing.T) {
	w := newWorld("117", 1)
	e := NewEvaluator([]Rule{
		{Name: "desk", Kind: KindDeskDown, For: 10 * time.Second, Channels: []string{"x"}},
		{Name: "short", Kind: KindHotlineShort, Hotline: "117", MinUp: 1, For: 10 * time.Second, Channels: []string{"x"}},
	}, irkutsk)
	var all []Event
	run := func(from, to float64, state func(s float64) string) {
		for s := from; s < to; s += 0.5 {
			w.set("op117-01", state(s), sec(s))
			all = append(all, e.Evaluate(sec(s), w.input())...)
		}
	}
	flap := func(s float64) string { // 3 s down, 3 s up
		if int(s/3)%2 == 0 {
			return StateDown
		}
		return StateUp
	}
	run(0, 60, flap)
	expect(t, "flapping while quiet", all)
	run(60, 75, func(float64) string { return StateDown })
	expect(t, "held down", all, "firing desk/desk/op117-01", "firing short/hotline/117")
	if !all[0].Since.Equal(sec(60)) {
		t.Fatalf("since %v", all[0].Since)
	}
	all = nil
	run(75, 135, func(s float64) string { // 3 s up, 3 s down
		if flap(s) == StateDown {
			return StateUp
		}
		return StateDown
	})
	expect(t, "flapping while firing", all)
	run(135, 150, func(float64) string { return StateUp })
	expect(t, "held up", all, "resolved desk/desk/op117-01", "resolved short/hotline/117")
	// The last flap went up at 132: the hold-down counts from there.
	if !all[0].Since.Equal(sec(60)) || !all[0].Until.Equal(sec(132)) {
		t.Fatalf("resolved %v..%v", all[0].Since, all[0].Until)
	}
}

// A condition seen true at exactly start+for fires; one seen over when
// start+for comes does not. Resolution likewise.
func TestConditionHoldingExactlyFor(t *testing.T) {
	const hold = 5 * time.Second
	rules := []Rule{{Name: "desk", Kind: KindDeskDown, For: hold, Channels: []string{"x"}}}

	w := newWorld("122", 1)
	e := NewEvaluator(rules, irkutsk)
	w.set("op122-01", StateDown, sec(0))
	expect(t, "start", e.Evaluate(sec(0), w.input()))
	expect(t, "for-1ns", e.Evaluate(sec(5).Add(-time.Nanosecond), w.input()))
	expect(t, "for", e.Evaluate(sec(5), w.input()), "firing desk/desk/op122-01")
	w.set("op122-01", StateUp, sec(7))
	expect(t, "up", e.Evaluate(sec(7), w.input()))
	expect(t, "up for-1ns", e.Evaluate(sec(12).Add(-time.Nanosecond), w.input()))
	expect(t, "up for", e.Evaluate(sec(12), w.input()), "resolved desk/desk/op122-01")

	w = newWorld("122", 1)
	e = NewEvaluator(rules, irkutsk)
	w.set("op122-01", StateDown, sec(0))
	expect(t, "start", e.Evaluate(sec(0), w.input()))
	w.set("op122-01", StateUp, sec(5))
	expect(t, "over at for", e.Evaluate(sec(5), w.input()))
	expect(t, "later", e.Evaluate(sec(20), w.input()))

	// for: 0 fires and resolves at the first sight.
	w = newWorld("122", 1)
	e = NewEvaluator([]Rule{{Name: "desk", Kind: KindDeskDown, Channels: []string{"x"}}}, irkutsk)
	w.set("op122-01", StateDown, sec(0))
	expect(t, "for 0", e.Evaluate(sec(0), w.input()), "firing desk/desk/op122-01")
	w.set("op122-01", StateUp, sec(1))
	expect(t, "for 0 up", e.Evaluate(sec(1), w.input()), "resolved desk/desk/op122-01")
}

// Unknown is not up: a blind monitor makes a hotline short (supervisors must
// not assume operators they cannot see), but it neither fires nor resolves a
// desk_down: nobody saw the desk go down or come back.
func TestBlindMonitor(t *testing.T) {
	w := newWorld("122", 3)
	e := NewEvaluator([]Rule{
		{Name: "short", Kind: KindHotlineShort, Hotline: "122", MinUp: 2, For: 5 * time.Second, Channels: []string{"x"}},
		{Name: "desk", Kind: KindDeskDown, For: 5 * time.Second, Channels: []string{"x"}},
		{Name: "blind", Kind: KindMonitorBlind, For: 5 * time.Second, Channels: []string{"x"}},
	}, irkutsk)
	w.set("op122-01", StateDown, sec(0))
	expect(t, "down", e.Evaluate(sec(0), w.input()))
	expect(t, "desk fires", e.Evaluate(sec(5), w.input()), "firing desk/desk/op122-01")

	w.blind, w.blindAt = true, sec(10)
	expect(t, "blind", e.Evaluate(sec(10), w.input()))
	evs := e.Evaluate(sec(15), w.input())
	expect(t, "blind 5s", evs, "firing short/hotline/122", "firing blind/monitor")
	if c := *evs[0].Counts; c != (Counts{Unknown: 3, Total: 3, MinUp: 2}) {
		t.Fatalf("counts %+v", c)
	}
	if !evs[0].Since.Equal(sec(10)) || !evs[1].Since.Equal(sec(10)) {
		t.Fatalf("since %v %v", evs[0].Since, evs[1].Since)
	}
	if want := "Линия 122: доступно 0 АРМ из 3 (минимум 2) с 14:00; состояние 3 АРМ неизвестно"; evs[0].SummaryRU != want {
		t.Errorf("ru %q, want %q", evs[0].SummaryRU, want)
	}
	if want := "Monitoring blind since 14:00: desk states unknown"; evs[1].SummaryEN != want {
		t.Errorf("en %q, want %q", evs[1].SummaryEN, want)
	}
	expect(t, "blind long", e.Evaluate(sec(100), w.input()))

	// Sight returns: op122-01 still down (its span goes on), op122-02 went
	// down while blind (the snapshot decides it), op122-03 up. Still short; desk 01 neither resolved
	// nor re-fired; desk 02 is a new failure measured from its own time.
	w.blind = false
	w.set("op122-02", StateDown, sec(101)) // decided at the snapshot's time
	expect(t, "sighted", e.Evaluate(sec(101), w.input()))
	evs = e.Evaluate(sec(106), w.input())
	expect(t, "sighted 5s", evs, "firing desk/desk/op122-02", "resolved blind/monitor")
	if !evs[1].Until.Equal(sec(101)) {
		t.Fatalf("blind until %v", evs[1].Until)
	}
	w.set("op122-01", StateUp, sec(110))
	w.set("op122-02", StateUp, sec(110))
	expect(t, "all up", e.Evaluate(sec(110), w.input()))
	expect(t, "all up 5s", e.Evaluate(sec(115), w.input()),
		"resolved short/hotline/122", "resolved desk/desk/op122-01", "resolved desk/desk/op122-02")
}

// Desks of unknown state since an unknown time (daemon start, before the
// first snapshot) are counted from the first evaluation, not from the epoch.
func TestUnknownAtStartDoesNotFireAtOnce(t *testing.T) {
	w := newWorld("122", 2)
	for i := range w.desks {
		w.desks[i].State, w.desks[i].Since = StateUnknown, time.Time{}
	}
	e := NewEvaluator([]Rule{{Name: "short", Kind: KindHotlineShort, Hotline: "122", MinUp: 1, For: 3 * time.Second, Channels: []string{"x"}}}, irkutsk)
	expect(t, "start", e.Evaluate(sec(0), w.input()))
	w.set("op122-01", StateUp, sec(1))
	expect(t, "snapshot", e.Evaluate(sec(1), w.input()))
	expect(t, "later", e.Evaluate(sec(10), w.input()))
}

// After a restart the evaluator has no memory: a desk down for an hour
// (restored by the monitor) fires at the first evaluation.
func TestLongStandingConditionFiresAtFirstEvaluation(t *testing.T) {
	w := newWorld("122", 1)
	w.set("op122-01", StateDown, sec(-3600))
	e := NewEvaluator([]Rule{{Name: "desk", Kind: KindDeskDown, For: time.Minute, Channels: []string{"x"}}}, irkutsk)
	evs := e.Evaluate(sec(0), w.input())
	expect(t, "first", evs, "firing desk/desk/op122-01")
	if want := "АРМ «АРМ 1» (op122-01) недоступно с 13:00: телефон не зарегистрирован"; evs[0].SummaryRU != want {
		t.Errorf("ru %q, want %q", evs[0].SummaryRU, want)
	}
	if want := `Desk "АРМ 1" (op122-01) down since 13:00: phone not registered`; evs[0].SummaryEN != want {
		t.Errorf("en %q, want %q", evs[0].SummaryEN, want)
	}
}

func TestDeskDownHotlineFilterAndRemovedDesk(t *testing.T) {
	w := newWorld("122", 1)
	w.desks = append(w.desks, newWorld("117", 1).desks...)
	e := NewEvaluator([]Rule{{Name: "d117", Kind: KindDeskDown, Hotline: "117", Channels: []string{"x"}}}, irkutsk)
	w.set("op122-01", StateDown, sec(0))
	w.set("op117-01", StateDown, sec(0))
	evs := e.Evaluate(sec(0), w.input())
	expect(t, "down", evs, "firing d117/desk/op117-01")
	if evs[0].Hotline != "117" || evs[0].Channels[0] != "x" {
		t.Fatalf("%+v", evs[0])
	}
	w.desks = w.desks[:1] // op117-01 taken out of service
	evs = e.Evaluate(sec(1), w.input())
	expect(t, "removed", evs, "resolved d117/desk/op117-01")
	if !strings.Contains(evs[0].SummaryEN, "no longer monitored") {
		t.Fatalf("summary %q", evs[0].SummaryEN)
	}
	expect(t, "gone", e.Evaluate(sec(2), w.input()))
}

func TestReportDue(t *testing.T) {
	// 2026Q2 is due by 15.07.2026: the deadline instant is 16.07 00:00 local.
	due := time.Date(2026, 7, 16, 0, 0, 0, 0, irkutsk).UTC()
	local := func(d, h, m int) time.Time { return time.Date(2026, 7, d, h, m, 0, 0, irkutsk) }
	w := &world{reports: []ReportStatus{{Quarter: "2026Q2", Due: due}}}
	e := NewEvaluator([]Rule{{Name: "report", Kind: KindReportDue, Days: 3, Channels: []string{"x"}}}, irkutsk)

	expect(t, "early", e.Evaluate(local(12, 23, 59), w.input()))
	evs := e.Evaluate(local(13, 0, 0), w.input())
	expect(t, "3 days before", evs, "firing report/report/2026Q2")
	if want := "Отчёт за 2-й квартал 2026 г. не готов: срок сдачи 15.07.2026, осталось 3 дн."; evs[0].SummaryRU != want {
		t.Errorf("ru %q, want %q", evs[0].SummaryRU, want)
	}
	if want := "Report for Q2 2026 not ready: due 15.07.2026, 3 days left"; evs[0].SummaryEN != want {
		t.Errorf("en %q, want %q", evs[0].SummaryEN, want)
	}
	if evs[0].Quarter != "2026Q2" || !evs[0].Due.Equal(due) || !evs[0].Since.Equal(local(13, 0, 0)) {
		t.Fatalf("%+v", evs[0])
	}
	expect(t, "still due", e.Evaluate(local(14, 12, 0), w.input()))
	w.reports[0].Ready = true
	evs = e.Evaluate(local(14, 12, 1), w.input())
	expect(t, "ready", evs, "resolved report/report/2026Q2")
	if want := "Отчёт за 2-й квартал 2026 г. готов (срок сдачи 15.07.2026)"; evs[0].SummaryRU != want {
		t.Errorf("ru %q, want %q", evs[0].SummaryRU, want)
	}

	// Not ready past the deadline: fires as overdue; leaving the input
	// withdraws it.
	w = &world{reports: []ReportStatus{{Quarter: "2026Q2", Due: due}}}
	e = NewEvaluator([]Rule{{Name: "report", Kind: KindReportDue, Days: 3, For: time.Minute, Channels: []string{"x"}}}, irkutsk)
	evs = e.Evaluate(local(16, 9, 0), w.input())
	expect(t, "overdue", evs, "firing report/report/2026Q2")
	if want := "Report for Q2 2026 not ready: it was due on 15.07.2026 (overdue)"; evs[0].SummaryEN != want {
		t.Errorf("en %q, want %q", evs[0].SummaryEN, want)
	}
	w.reports = nil
	evs = e.Evaluate(local(16, 9, 1), w.input())
	expect(t, "withdrawn: hold-down", evs)
	evs = e.Evaluate(local(16, 10, 1), w.input())
	expect(t, "withdrawn", evs, "resolved report/report/2026Q2")
	if want := "Отчёт за 2-й квартал 2026 г.: напоминание снято (срок сдачи 15.07.2026)"; evs[0].SummaryRU != want {
		t.Errorf("ru %q, want %q", evs[0].SummaryRU, want)
	}

	// The last day.
	w = &world{reports: []ReportStatus{{Quarter: "2026Q2", Due: due}}}
	e = NewEvaluator([]Rule{{Name: "report", Kind: KindReportDue, Days: 3, Channels: []string{"x"}}}, irkutsk)
	evs = e.Evaluate(local(15, 18, 0), w.input())
	if want := "Отчёт за 2-й квартал 2026 г. не готов: срок сдачи сегодня, 15.07.2026"; len(evs) != 1 || evs[0].SummaryRU != want {
		t.Errorf("%v, want %q", evs, want)
	}
}

// The shortage's start is when the count last crossed the minimum, from the
// desks' own times, not when the evaluator happened to look.
func TestHotlineSinceFromDeskTimes(t *testing.T) {
	w := newWorld("122", 4)
	w.set("op122-01", StateDown, sec(-300))
	w.set("op122-02", StateDown, sec(-200))
	w.set("op122-03", StateDown, sec(-100))
	e := NewEvaluator([]Rule{{Name: "s", Kind: KindHotlineShort, Hotline: "122", MinUp: 3, For: time.Minute, Channels: []string{"x"}}}, irkutsk)
	// 4 desks, minimum 3: short since the second desk went (-200).
	evs := e.Evaluate(sec(0), w.input())
	expect(t, "first", evs, "firing s/hotline/122")
	if !evs[0].Since.Equal(sec(-200)) {
		t.Fatalf("since %v, want %v", evs[0].Since, sec(-200))
	}
	w.set("op122-01", StateUp, sec(10))
	w.set("op122-02", StateUp, sec(20))
	expect(t, "recovering", e.Evaluate(sec(30), w.input()))
	// Recovered when the third desk was up again (20), not at 30.
	evs = e.Evaluate(sec(80), w.input())
	expect(t, "resolved", evs, "resolved s/hotline/122")
	if !evs[0].Until.Equal(sec(20)) {
		t.Fatalf("until %v", evs[0].Until)
	}
}

func TestClockShowsDateOnOtherDays(t *testing.T) {
	if got := clock(sec(-86400), sec(0), irkutsk); got != "30.06.2026 14:00" {
		t.Fatalf("%q", got)
	}
	if got := clock(sec(60), sec(0), irkutsk); got != "14:01" {
		t.Fatalf("%q", got)
	}
}
