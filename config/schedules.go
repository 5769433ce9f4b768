package config

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"deskwatch/schedule"
)

// ScheduleConfig is a named service schedule: the shifts of each weekday,
// dated exceptions, and production calendars it follows. Times are in the
// configured zone; "20:00-08:00" crosses midnight.
type ScheduleConfig struct {
	Weekly  map[string][]string `yaml:"weekly"`  // mon..sun → ["09:00-18:00"]
	Dates   map[string][]string `yaml:"dates"`   // "2026-11-04" → [] (a day off) or shifts
	Include []string            `yaml:"include"` // built-in calendar names or absolute paths
}

// weekdays are the keys of weekly, in time.Weekday order.
var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ScheduleOf returns the compiled schedule of a desk (nil: around the clock).
// Valid after a successful Validate.
func (c *Config) ScheduleOf(desk string) *schedule.Schedule {
	for _, w := range c.Workstations {
		if w.ID == desk && w.Schedule != "" {
			return c.scheds[w.Schedule]
		}
	}
	return nil
}

// CompiledSchedules returns the compiled schedules by name (shared: do not modify).
// Valid after a successful Validate.
func (c *Config) CompiledSchedules() map[string]*schedule.Schedule { return c.scheds }

// schedules checks and compiles the schedules section and every desk's
// reference to it.
func (v *validator) schedules() {
	v.c.scheds = map[string]*schedule.Schedule{}
	loc := v.c.loc
	if loc == nil {
		loc = time.UTC // the zone's own error is reported apart
	}
	for _, name := range slices.Sorted(maps.Keys(v.c.Schedules)) {
		p := "schedules." + name
		if !urlSafe.MatchString(name) {
			v.addf(p, "schedule name %q may contain only letters, digits, '.', '_' and '-'", name)
			continue
		}
		if s := v.schedule(p, name, v.c.Schedules[name], loc); s != nil {
			v.c.scheds[name] = s
		}
	}
	for i, w := range v.c.Workstations {
		if w.Schedule == "" {
			continue
		}
		if _, ok := v.c.Schedules[w.Schedule]; !ok {
			names := slices.Sorted(maps.Keys(v.c.Schedules))
			v.addf(fmt.Sprintf("workstations[%d].schedule", i), "unknown schedule %q: define it under schedules (defined: %s)", w.Schedule, orNone(names))
		}
	}
}

func (v *validator) schedule(p, name string, sc ScheduleConfig, loc *time.Location) *schedule.Schedule {
	s := &schedule.Schedule{Name: name, Location: loc, Dates: map[schedule.Date][]schedule.Range{}}
	ok := true
	ranges := func(path string, list []string) []schedule.Range {
		out := []schedule.Range{} // an empty list is a day off, not "no entry"
		for j, str := range list {
			r, err := schedule.ParseRange(str)
			if err != nil {
				v.addf(fmt.Sprintf("%s[%d]", path, j), "%v", err)
				ok = false
				continue
			}
			out = append(out, r)
		}
		return out
	}
	for _, day := range slices.Sorted(maps.Keys(sc.Weekly)) {
		i := slices.Index(weekdays, strings.ToLower(day))
		if i < 0 {
			v.addf(p+".weekly."+day, "unknown weekday %q: use mon, tue, wed, thu, fri, sat or sun", day)
			ok = false
			continue
		}
		s.Weekly[i] = ranges(p+".weekly."+day, sc.Weekly[day])
	}
	for _, ds := range slices.Sorted(maps.Keys(sc.Dates)) {
		d, err := schedule.ParseDate(ds)
		if err != nil {
			v.addf(p+".dates."+ds, "%v", err)
			ok = false
			continue
		}
		s.Dates[d] = ranges(p+".dates."+ds, sc.Dates[ds])
	}
	if len(sc.Weekly) == 0 && len(sc.Dates) == 0 {
		v.addf(p, "has no shifts: set weekly (and dates), or leave the desks without a schedule to count them around the clock")
		ok = false
	}
	for j, inc := range sc.Include {
		cal, err := loadCalendar(inc)
		if err != nil {
			v.addf(fmt.Sprintf("%s.include[%d]", p, j), "%v", err)
			ok = false
			continue
		}
		s.Follow(cal)
	}
	if !ok {
		return nil
	}
	return s
}

// loadCalendar reads a built-in calendar by name, or a calendar file by
// absolute path.
func loadCalendar(ref string) (*schedule.Calendar, error) {
	if !strings.ContainsAny(ref, `/\`) && !strings.HasSuffix(ref, ".yaml") {
		return schedule.ShippedCalendar(ref)
	}
	if !filepath.IsAbs(ref) {
		return nil, fmt.Errorf("calendar file %q: give an absolute path, or a built-in calendar (%s)", ref, strings.Join(schedule.Shipped(), ", "))
	}
	b, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("calendar file: %w", err)
	}
	cal, err := schedule.ParseCalendar(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return cal, nil
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}
