// Package schedule turns a desk's service schedule (weekly shifts, holidays
// and swapped days of the production calendar) into the intervals when the
// desk is provided: t_provided of the standard is the service window ∩
// these intervals, and an outage counts only inside them. Pure: no I/O, no
// clock; times are read in the schedule's zone.
package schedule

import (
	"fmt"
	"strings"
	"time"

	"deskwatch/health"
)

// Range is one shift within a day, in minutes after midnight. End ≤ Start
// crosses midnight ("20:00-08:00" ends at 08:00 the next day); "00:00-24:00"
// (or "00:00-00:00") is the whole day.
type Range struct{ Start, End int }

// ParseRange reads "HH:MM-HH:MM" (24:00 allowed as an end).
func ParseRange(s string) (Range, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Range{}, fmt.Errorf("%q: want HH:MM-HH:MM", s)
	}
	a, err := parseClock(from, false)
	if err != nil {
		return Range{}, fmt.Errorf("%q: %w", s, err)
	}
	b, err := parseClock(to, true)
	if err != nil {
		return Range{}, fmt.Errorf("%q: %w", s, err)
	}
	return Range{a, b}, nil
}

func parseClock(s string, end bool) (int, error) {
	s = strings.TrimSpace(s)
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	if _, err := fmt.Sscanf(s, "%2d:%2d", &h, &m); err != nil {
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	if m < 0 || m > 59 || h < 0 || h > 24 || (h == 24 && (m != 0 || !end)) {
		return 0, fmt.Errorf("time %q is not a time of day", s)
	}
	return h*60 + m, nil
}

// String is the range as written in the configuration.
func (r Range) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", r.Start/60, r.Start%60, r.End/60, r.End%60)
}

// length in minutes; a range that ends where it starts is the whole day.
func (r Range) length() int {
	n := r.End - r.Start
	if n <= 0 {
		n += 24 * 60
	}
	return n
}

// Date is a civil date in the schedule's zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads "2026-11-04".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Schedule is a desk's service schedule. A date in Dates replaces its
// weekday's shifts (an empty list is a day off); a shift belongs to the day
// it starts on, so a night shift begun before a holiday runs to its end.
type Schedule struct {
	Name     string
	Weekly   [7][]Range // indexed by time.Weekday
	Dates    map[Date][]Range
	Location *time.Location
}

// day returns the shifts that start on d.
func (s *Schedule) day(d Date) []Range {
	if rs, ok := s.Dates[d]; ok {
		return rs
	}
	wd := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
	return s.Weekly[wd]
}

// Windows returns the intervals of [from, to) when the desk is provided,
// sorted and merged, in UTC. A nil schedule is provided around the clock.
func (s *Schedule) Windows(from, to time.Time) []health.Interval {
	if !to.After(from) {
		return nil
	}
	if s == nil {
		return []health.Interval{{Start: from.UTC(), End: to.UTC()}}
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	// A shift that started the day before from may still run into it.
	lf := from.In(loc)
	day := time.Date(lf.Year(), lf.Month(), lf.Day()-1, 0, 0, 0, 0, loc)
	var out []health.Interval
	for ; day.Before(to); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		d := Date{day.Year(), day.Month(), day.Day()}
		for _, r := range s.day(d) {
			// Wall-clock arithmetic through time.Date keeps DST days right.
			st := time.Date(d.Year, d.Month, d.Day, 0, r.Start, 0, 0, loc)
			en := time.Date(d.Year, d.Month, d.Day, 0, r.Start+r.length(), 0, 0, loc)
			if st.Before(from) {
				st = from
			}
			if en.After(to) {
				en = to
			}
			if en.After(st) {
				out = append(out, health.Interval{Start: st.UTC(), End: en.UTC()})
			}
		}
	}
	return health.Normalize(out)
}

// Contains reports whether the desk is provided at t.
func (s *Schedule) Contains(t time.Time) bool {
	if s == nil {
		return true
	}
	return len(s.Windows(t, t.Add(time.Nanosecond))) > 0
}
