package health

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dayShifts are the windows of a 09:00-18:00 weekday schedule (UTC+8) over
// p, as package schedule gives them: one shared list for every desk on it.
func dayShifts(p Interval, startHour, hours int) []Interval {
	irk := time.FixedZone("IRKT", 8*3600)
	var out []Interval
	for d := p.Start.In(irk); d.Before(p.End); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		s := time.Date(d.Year(), d.Month(), d.Day(), startHour, 0, 0, 0, irk)
		out = append(out, Interval{Start: s.UTC(), End: s.Add(time.Duration(hours) * time.Hour).UTC()})
	}
	return out
}

// The quarter with schedules (half the desks on a day shift, half on a
// night shift crossing midnight) against the same desks around the clock,
// which is BenchmarkAvailability's desks=10k/spans=1M: run them together
// (-count) on a busy machine, bench/README.md wants within 1.2×.
func BenchmarkAvailabilitySchedules(b *testing.B) {
	p, desks := makeQuarter(10_000, 1_000_000, 0)
	unknown := []Interval{{p.Start.Add(time.Hour), p.Start.Add(2 * time.Hour)}}
	day, night := dayShifts(p, 9, 9), Normalize(dayShifts(p, 20, 12))
	for i := range desks {
		desks[i].Unknown = unknown
	}
	run := func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			if res := Availability(p, p.End, desks); res.N != 10_000 {
				b.Fatalf("N=%d", res.N)
			}
		}
		// CPU time per op: wall time swings with the other work on the box.
		b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	}
	b.Run("schedules=none", run)
	for i := range desks {
		desks[i].Schedule = day
		if i%2 == 1 {
			desks[i].Schedule = night
		}
	}
	b.Run("schedules=day+night", run)
}
