package metrics

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// BuildInfo is deskwatch_build_info: 1, with the version and the Go that
// built it as labels, so dashboards can show what runs where.
func BuildInfo(version string) Collector {
	goVersion := runtime.Version()
	revision := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	m := Metric{Name: "deskwatch_build_info", Help: "deskwatch's version, revision and Go version; always 1.", Type: "gauge", Value: 1,
		Labels: map[string]string{"version": version, "revision": revision, "goversion": goVersion}}
	return Func(func() []Metric { return []Metric{m} })
}

// Process gives the usual process_* and go_* basics: open and maximum file
// descriptors (an API flooded with connections shows here first), resident
// memory, CPU time, start time, goroutines and the Go heap.
func Process() Collector {
	start := float64(time.Now().Unix())
	if st, err := os.Stat("/proc/self"); err == nil {
		start = float64(st.ModTime().Unix())
	}
	return Func(func() []Metric {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		out := []Metric{
			Gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.", start),
			Gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine())),
			Gauge("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and still in use.", float64(ms.HeapAlloc)),
			Gauge("go_memstats_sys_bytes", "Number of bytes obtained from the system.", float64(ms.Sys)),
			Counter("go_gc_cycles_total", "Completed GC cycles.", float64(ms.NumGC)),
		}
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
			out = append(out, Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", cpu))
		}
		if n, err := openFDs(); err == nil {
			out = append(out, Gauge("process_open_fds", "Number of open file descriptors.", float64(n)))
		}
		var lim syscall.Rlimit
		if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
			out = append(out, Gauge("process_max_fds", "Maximum number of open file descriptors.", float64(lim.Cur)))
		}
		if rss, err := residentBytes(); err == nil {
			out = append(out, Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", float64(rss)))
		}
		return out
	})
}

func openFDs() (int, error) {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	return len(names) - 1, err // less the directory being read
}

// residentBytes reads VmRSS from /proc/self/status (Linux only; elsewhere
// the sample is left out).
func residentBytes() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, os.ErrNotExist
}
