package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSchedules(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	c, err := Parse([]byte(yamlLines(ariOK, redisOK, httpOK,
		"schedules:",
		"  day:",
		"    weekly: {mon: [\"09:00-18:00\"], tue: [\"09:00-18:00\"], wed: [\"09:00-13:00\", \"14:00-18:00\"], thu: [\"09:00-18:00\"], fri: [\"09:00-18:00\"]}",
		"    dates: {\"2026-11-01\": [\"09:00-18:00\"], 2026-11-05: []}",
		"    include: [ru-2026]",
		"  night:",
		"    weekly: {sat: [\"20:00-08:00\"], sun: [\"20:00-08:00\"]}",
		"workstations:",
		"  - {id: a, hotlines: [\"122\"], endpoints: [PJSIP/a], schedule: day}",
		"  - {id: b, hotlines: [\"122\"], endpoints: [PJSIP/b], schedule: night}",
		"  - {id: c, hotlines: [\"122\"], endpoints: [PJSIP/c]}",
	)))
	if err != nil {
		t.Fatal(err)
	}
	irk := c.Location()
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, irk)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	day, night := c.ScheduleOf("a"), c.ScheduleOf("b")
	if day == nil || night == nil || c.ScheduleOf("c") != nil || day.Name != "day" {
		t.Fatalf("ScheduleOf: %v %v %v", day, night, c.ScheduleOf("c"))
	}
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"2026-11-02 09:00", true}, {"2026-11-02 08:59", false}, {"2026-11-02 18:00", false},
		{"2026-11-04 12:00", false}, // a holiday from ru-2026
		{"2026-11-03 17:30", false}, // short day before it: ends at 17:00
		{"2026-11-03 16:59", true},
		{"2026-11-01 10:00", true},                                                           // a Sunday named in dates
		{"2026-11-05 10:00", false},                                                          // a Thursday named as a day off
		{"2026-11-04 13:30", false}, {"2026-11-11 13:30", false}, {"2026-11-11 14:00", true}, // split shift
	} {
		if got := day.Contains(at(tc.s)); got != tc.want {
			t.Errorf("day at %s: %v, want %v", tc.s, got, tc.want)
		}
	}
	// The Saturday night shift runs into Sunday morning.
	if !night.Contains(at("2026-11-08 07:59")) || night.Contains(at("2026-11-09 08:00")) || !night.Contains(at("2026-11-07 23:00")) {
		t.Error("night shift across midnight")
	}
	if ws := c.HealthWorkstations(); ws[0].Schedule != "day" || ws[2].Schedule != "" {
		t.Errorf("HealthWorkstations schedules %q %q", ws[0].Schedule, ws[2].Schedule)
	}
	if len(c.CompiledSchedules()) != 2 {
		t.Errorf("CompiledSchedules %v", c.CompiledSchedules())
	}
}

func TestScheduleErrors(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	_, err := Parse([]byte(yamlLines(ariOK, redisOK, httpOK,
		"schedules:",
		"  day:",
		"    weekly:",
		"      mon: [\"09:00-18:00\", \"9-18\"]",
		"      monday: [\"09:00-18:00\"]",
		"      tue: [\"25:00-26:00\"]",
		"    dates: {\"2026-13-01\": []}",
		"    include: [ru-1999, relative/cal.yaml]",
		"  empty: {}",
		"workstations:",
		"  - {id: a, hotlines: [\"122\"], endpoints: [PJSIP/a], schedule: dya}",
	)))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`schedules.day.weekly.mon[1] (line 7): "9-18": time "9": want HH:MM`,
		`schedules.day.weekly.monday (line 8): unknown weekday "monday"`,
		`schedules.day.weekly.tue[0] (line 9): "25:00-26:00": time "25:00" is not a time of day`,
		`schedules.day.dates.2026-13-01 (line 10): date "2026-13-01": want YYYY-MM-DD`,
		`schedules.day.include[0] (line 11): no built-in calendar "ru-1999" (built in: ru-2026)`,
		`schedules.day.include[1] (line 11): calendar file "relative/cal.yaml": give an absolute path`,
		`schedules.empty (line 12): has no shifts`,
		`workstations[0].schedule (line 14): unknown schedule "dya": define it under schedules (defined: day, empty)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestScheduleCalendarFile(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	dir := t.TempDir()
	good := filepath.Join(dir, "ru-2027.yaml")
	if err := os.WriteFile(good, []byte("calendar: ru\nyear: 2027\nholidays: [2027-01-01]\nworkdays: [2027-01-09]\nshort: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("calendar: ru\nyear: 2027\nholidays: [2026-01-01]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := func(inc string) []byte {
		return []byte(yamlLines(ariOK, redisOK, httpOK,
			"schedules:",
			"  day: {weekly: {mon: [\"09:00-18:00\"]}, include: ["+inc+"]}",
			"workstations:",
			"  - {id: a, hotlines: [\"122\"], endpoints: [PJSIP/a], schedule: day}",
		))
	}
	c, err := Parse(doc(good))
	if err != nil {
		t.Fatal(err)
	}
	sat := time.Date(2027, 1, 9, 10, 0, 0, 0, c.Location()) // a working Saturday
	if !c.ScheduleOf("a").Contains(sat) || c.ScheduleOf("a").Contains(time.Date(2027, 1, 1, 10, 0, 0, 0, c.Location())) {
		t.Error("calendar file not followed")
	}
	if _, err := Parse(doc(bad)); err == nil || !strings.Contains(err.Error(), "schedules.day.include[0] (line 5): "+bad+": calendar 2027: holidays: 2026-01-01 is not in 2027") {
		t.Errorf("bad calendar: %v", err)
	}
}

func TestComputers(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	c, err := Parse([]byte(yamlLines(ariOK, redisOK, httpOK,
		"workstations:",
		"  - {id: a, hotlines: [\"122\"], endpoints: [PJSIP/a], computer: {host: 10.0.1.21}}",
		"  - {id: b, hotlines: [\"122\"], endpoints: [PJSIP/b], computer: {host: \"fe80::1\", check: tcp, port: 3389, interval: 4s}}",
	)))
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Workstations[0].Computer, c.Workstations[1].Computer
	if *a != (ComputerConfig{Host: "10.0.1.21", Check: CheckICMP, Interval: 10 * time.Second, Timeout: 2 * time.Second, Misses: 3, Answers: 1}) ||
		b.Timeout != 2*time.Second || b.Interval != 4*time.Second || b.Port != 3389 {
		t.Errorf("defaults %+v %+v", a, b)
	}
	if ws := c.HealthWorkstations(); ws[0].Computer != "10.0.1.21" || ws[1].Computer != "fe80::1" {
		t.Errorf("HealthWorkstations %+v", ws)
	}
	_, err = Parse([]byte(yamlLines(ariOK, redisOK, httpOK,
		"workstations:",
		"  - {id: a, hotlines: [\"122\"], endpoints: [PJSIP/a], computer: {host: \"10.0.1.21:22\", check: tcp}}",
		"  - {id: b, hotlines: [\"122\"], endpoints: [PJSIP/b], computer: {host: 10.0.1.22, check: udp, interval: 500ms, misses: 101}}",
		"  - {id: c, hotlines: [\"122\"], endpoints: [PJSIP/c], computer: {host: 10.0.1.22, port: 80, timeout: 20s}}",
		"  - {id: d, hotlines: [\"122\"], endpoints: [PJSIP/d], computer: {}}",
	)))
	for _, want := range []string{
		`workstations[0].computer.host (line 5): "10.0.1.21:22" must be a bare IP address or host name`,
		`workstations[0].computer.port (line 5): 0: check tcp needs the port`,
		`workstations[1].computer.check (line 6): unknown check "udp": use icmp or tcp`,
		`workstations[1].computer.interval (line 6): 500ms is below the minimum of 1s`,
		`workstations[1].computer.misses (line 6): 101 must be from 1 to 100`,
		`workstations[2].computer.host (line 7): "10.0.1.22" is already the computer of workstations[1] (line 6)`,
		`workstations[2].computer.port (line 7): is only for check: tcp`,
		`workstations[2].computer.timeout (line 7): 20s must be positive and at most the interval (10s)`,
		`workstations[3].computer.host (line 8): is required`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
