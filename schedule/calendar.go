package schedule

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Calendar is a dated production calendar: which weekdays are holidays,
// which weekend days are working days by a transfer, and which days are
// one hour shorter. Schedules that include it follow it; 24/7 desks don't.
type Calendar struct {
	Name     string   `yaml:"calendar"`
	Year     int      `yaml:"year"`
	Holidays []string `yaml:"holidays"`
	Workdays []string `yaml:"workdays"`
	Short    []string `yaml:"short"`
}

//go:embed calendars/*.yaml
var shipped embed.FS

// Shipped lists the calendars built into deskwatch, by name ("ru-2026").
func Shipped() []string {
	ents, _ := fs.ReadDir(shipped, "calendars")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return out
}

// ShippedCalendar reads a built-in calendar by name.
func ShippedCalendar(name string) (*Calendar, error) {
	b, err := shipped.ReadFile("calendars/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no built-in calendar %q (built in: %s)", name, strings.Join(Shipped(), ", "))
	}
	return ParseCalendar(b)
}

// ParseCalendar reads a calendar file; every date must fall in its year.
func ParseCalendar(b []byte) (*Calendar, error) {
	var c Calendar
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	if c.Year < 2000 || c.Year > 2100 {
		return nil, fmt.Errorf("calendar: year %d: want the calendar's year, e.g. 2026", c.Year)
	}
	seen := map[string]string{}
	for _, l := range []struct {
		name  string
		dates []string
	}{{"holidays", c.Holidays}, {"workdays", c.Workdays}, {"short", c.Short}} {
		for _, s := range l.dates {
			d, err := ParseDate(s)
			if err != nil {
				return nil, fmt.Errorf("calendar %d: %s: %w", c.Year, l.name, err)
			}
			if d.Year != c.Year {
				return nil, fmt.Errorf("calendar %d: %s: %s is not in %d", c.Year, l.name, s, c.Year)
			}
			if prev, ok := seen[s]; ok {
				return nil, fmt.Errorf("calendar %d: %s is both in %s and in %s", c.Year, s, prev, l.name)
			}
			seen[s] = l.name
		}
	}
	return &c, nil
}

// Follow makes the schedule keep the calendar: holidays have no shifts, a
// working weekend day has the shifts of the schedule's first working weekday,
// a short day ends its last listed shift an hour early. Dates the schedule names
// itself win over the calendar.
func (s *Schedule) Follow(c *Calendar) {
	if s.Dates == nil {
		s.Dates = map[Date][]Range{}
	}
	own := make(map[Date]bool, len(s.Dates))
	for d := range s.Dates {
		own[d] = true
	}
	set := func(str string, rs []Range) {
		if d, _ := ParseDate(str); !own[d] { // dates checked by ParseCalendar
			s.Dates[d] = rs
		}
	}
	for _, h := range c.Holidays {
		set(h, []Range{})
	}
	var weekday []Range
	for _, wd := range []int{1, 2, 3, 4, 5} { // Monday..Friday
		if len(s.Weekly[wd]) > 0 {
			weekday = s.Weekly[wd]
			break
		}
	}
	for _, w := range c.Workdays {
		set(w, weekday)
	}
	for _, str := range c.Short {
		d, _ := ParseDate(str)
		if own[d] {
			continue
		}
		rs := append([]Range(nil), s.day(d)...)
		if n := len(rs); n > 0 && rs[n-1].length() > 60 {
			last := rs[n-1].Start + rs[n-1].length() - 60
			rs[n-1].End = last % (24 * 60)
		}
		s.Dates[d] = rs
	}
}
