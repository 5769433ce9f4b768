package schedule

import (
	"math/rand/v2"
	"testing"
	"time"

	"deskwatch/health"
)

var irk = mustZone("Asia/Irkutsk")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func rng(t *testing.T, s string) Range {
	t.Helper()
	r, err := ParseRange(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseRange(t *testing.T) {
	for in, want := range map[string]Range{
		"09:00-18:00": {540, 1080}, "20:00-08:00": {1200, 480}, "00:00-24:00": {0, 1440}, " 07:30 - 19:45 ": {450, 1185},
	} {
		got, err := ParseRange(in)
		if err != nil || got != want {
			t.Errorf("ParseRange(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "09:00", "9:00-18:00", "24:00-01:00", "09:60-10:00", "09:00-24:30", "aa:bb-cc:dd", "09:00-18:00-19:00"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("ParseRange(%q) accepted", bad)
		}
	}
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, irk)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWindowsNightShiftHolidayAndSwap(t *testing.T) {
	s := &Schedule{Location: irk, Dates: map[Date][]Range{}}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		s.Weekly[wd] = []Range{rng(t, "09:00-13:00"), rng(t, "14:00-18:00")} // split shift
	}
	s.Weekly[time.Sunday] = []Range{rng(t, "20:00-08:00")}           // night into Monday
	s.Dates[Date{2026, 11, 4}] = []Range{}                           // a holiday (Wednesday)
	s.Dates[Date{2026, 11, 7}] = []Range{rng(t, "10:00-12:00")}      // a swapped Saturday
	got := s.Windows(at("2026-11-01 00:00"), at("2026-11-09 00:00")) // Sun 1 .. Sun 8 inclusive
	want := []health.Interval{
		{Start: at("2026-11-01 20:00"), End: at("2026-11-02 08:00")},
		{Start: at("2026-11-02 09:00"), End: at("2026-11-02 13:00")}, {Start: at("2026-11-02 14:00"), End: at("2026-11-02 18:00")},
		{Start: at("2026-11-03 09:00"), End: at("2026-11-03 13:00")}, {Start: at("2026-11-03 14:00"), End: at("2026-11-03 18:00")},
		{Start: at("2026-11-05 09:00"), End: at("2026-11-05 13:00")}, {Start: at("2026-11-05 14:00"), End: at("2026-11-05 18:00")},
		{Start: at("2026-11-06 09:00"), End: at("2026-11-06 13:00")}, {Start: at("2026-11-06 14:00"), End: at("2026-11-06 18:00")},
		{Start: at("2026-11-07 10:00"), End: at("2026-11-07 12:00")},
		{Start: at("2026-11-08 20:00"), End: at("2026-11-09 00:00")}, // clipped at to
	}
	if len(got) != len(want) {
		t.Fatalf("got %d windows %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) || got[i].Start.Location() != time.UTC {
			t.Errorf("window %d = %v, want %v (in UTC)", i, got[i], want[i])
		}
	}
	// A night shift begun the evening before the range runs into it.
	if w := s.Windows(at("2026-11-02 06:00"), at("2026-11-02 10:00")); len(w) != 2 || !w[0].Start.Equal(at("2026-11-02 06:00")) || !w[0].End.Equal(at("2026-11-02 08:00")) {
		t.Errorf("night shift from the day before: %v", w)
	}
	if !s.Contains(at("2026-11-02 07:59")) || s.Contains(at("2026-11-02 08:00")) || s.Contains(at("2026-11-04 10:00")) {
		t.Error("Contains disagrees with the windows")
	}
	var none *Schedule
	if w := none.Windows(at("2026-11-02 06:00"), at("2026-11-02 10:00")); len(w) != 1 || w[0].End.Sub(w[0].Start) != 4*time.Hour {
		t.Errorf("no schedule is around the clock: %v", w)
	}
}

// The windows equal a minute-by-minute oracle on random schedules: night,
// split and whole-day shifts, holidays, swapped days, in a zone with DST too.
func TestWindowsEqualOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, loc := range []*time.Location{irk, mustZone("Europe/Berlin")} {
		for range 300 {
			s := randomSchedule(r, loc)
			from := time.Date(2026, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), 0, 0, loc)
			to := from.Add(time.Duration(r.IntN(10*24*60)) * time.Minute)
			got := s.Windows(from, to)
			i := 0
			for m := from; m.Before(to); m = m.Add(time.Minute) {
				want := oracle(s, m)
				for i < len(got) && !m.Before(got[i].End) {
					i++
				}
				in := i < len(got) && !m.Before(got[i].Start)
				if in != want {
					t.Fatalf("%s: at %v windows say %v, oracle %v (schedule %+v)", loc, m, in, want, s)
				}
			}
			for j := 1; j < len(got); j++ {
				if !got[j].Start.After(got[j-1].End) {
					t.Fatalf("windows not merged: %v", got)
				}
			}
		}
	}
}

// oracle decides one instant from its own and the day before's shifts.
func oracle(s *Schedule, t time.Time) bool {
	lt := t.In(s.Location)
	for back := 0; back <= 1; back++ {
		dd := time.Date(lt.Year(), lt.Month(), lt.Day()-back, 0, 0, 0, 0, s.Location)
		d := Date{dd.Year(), dd.Month(), dd.Day()}
		for _, r := range s.day(d) {
			st := time.Date(d.Year, d.Month, d.Day, 0, r.Start, 0, 0, s.Location)
			en := time.Date(d.Year, d.Month, d.Day, 0, r.Start+r.length(), 0, 0, s.Location)
			if !t.Before(st) && t.Before(en) {
				return true
			}
		}
	}
	return false
}

func randomSchedule(r *rand.Rand, loc *time.Location) *Schedule {
	s := &Schedule{Location: loc, Dates: map[Date][]Range{}}
	shifts := func() []Range {
		var rs []Range
		for range r.IntN(3) {
			a := r.IntN(24*60/15) * 15
			b := r.IntN(24*60/15+1) * 15
			rs = append(rs, Range{a, b}) // any order, overlaps and night shifts allowed
		}
		return rs
	}
	for wd := range 7 {
		s.Weekly[wd] = shifts()
	}
	for range r.IntN(10) {
		s.Dates[Date{2026, time.Month(1 + r.IntN(12)), 1 + r.IntN(28)}] = shifts()
	}
	return s
}

func TestShippedCalendarAndFollow(t *testing.T) {
	c, err := ShippedCalendar("ru-2026")
	if err != nil {
		t.Fatal(err)
	}
	if c.Year != 2026 || len(c.Holidays) == 0 {
		t.Fatalf("calendar %+v", c)
	}
	if _, err := ShippedCalendar("ru-1999"); err == nil {
		t.Fatal("an unknown calendar was accepted")
	}
	s := &Schedule{Location: irk, Dates: map[Date][]Range{{2026, 11, 3}: {rng(t, "10:00-11:00")}}}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		s.Weekly[wd] = []Range{rng(t, "09:00-18:00")}
	}
	s.Follow(c)
	if w := s.Windows(at("2026-11-04 00:00"), at("2026-11-05 00:00")); len(w) != 0 {
		t.Errorf("4 November is a holiday: %v", w)
	}
	if w := s.Windows(at("2026-04-30 00:00"), at("2026-05-01 00:00")); len(w) != 1 || !w[0].End.Equal(at("2026-04-30 17:00")) {
		t.Errorf("30 April is an hour shorter: %v", w)
	}
	if w := s.Windows(at("2026-11-03 00:00"), at("2026-11-04 00:00")); len(w) != 1 || !w[0].End.Equal(at("2026-11-03 11:00")) {
		t.Errorf("the schedule's own date wins over the calendar: %v", w)
	}
	sw, _ := ParseCalendar([]byte("calendar: x\nyear: 2027\nholidays: []\nworkdays: [2027-02-20]\nshort: []\n"))
	s.Follow(sw)
	if w := s.Windows(at("2027-02-20 00:00"), at("2027-02-21 00:00")); len(w) != 1 || !w[0].Start.Equal(at("2027-02-20 09:00")) {
		t.Errorf("a working Saturday has the weekday's shift: %v", w)
	}
}

func TestParseCalendarRefusesBadData(t *testing.T) {
	for _, bad := range []string{
		"calendar: ru\nyear: 2026\nholidays: [2027-01-01]\n",
		"calendar: ru\nyear: 2026\nholidays: [2026-13-01]\n",
		"calendar: ru\nyear: 2026\nholidays: [2026-01-01]\nshort: [2026-01-01]\n",
		"calendar: ru\nyear: 26\n",
		"calendar: ru\nyear: 2026\nholiday: []\n",
	} {
		if _, err := ParseCalendar([]byte(bad)); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}
