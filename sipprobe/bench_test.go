package sipprobe

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"deskwatch/health"

	"github.com/rs/zerolog"
)

// The benchmarks measure rates and latencies over wall time, not per b.N:
//
//	go test -run '^$' -bench . -benchtime 1x ./sipprobe/
//
// (never with -race). Each reports custom metrics and logs one line (-v).
// SIPPROBE_RATES="5000,20000" changes BenchmarkProbeRate's ladder.

// benchProber starts a quiet Prober with n desks "d00000"… on the UAS
// addresses (round robin) and hands its observations to obs.
func benchProber(b *testing.B, n int, addrs []string, opts Options, obs func(health.Observation)) *Prober {
	b.Helper()
	opts.Logger = zerolog.Nop()
	opts.Listen = "127.0.0.1:0"
	p, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := p.SetTarget(desk(i), fmt.Sprintf("sip:d%05d@%s", i, addrs[i%len(addrs)]), nil); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan health.Observation, 1024)
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx, out) })
	wg.Go(func() {
		for {
			select {
			case o := <-out:
				if obs != nil {
					obs(o)
				}
			case <-ctx.Done():
				return
			}
		}
	})
	b.Cleanup(func() { cancel(); wg.Wait() })
	return p
}

func desk(i int) string { return fmt.Sprintf("PJSIP/d%05d", i) }

// BenchmarkProbeRate: one stateless UAS in this process (one UDP socket)
// answers as many desks as the offered rate, each probed once a second
// (timeout 500 ms), for 5 s. Then SIPp, as UAC, sends OPTIONS at the same
// rate to a fresh UAS of the same kind: the reference. Both share the two
// cores with their UAS. A rate is sustained when it is sent and ≥ 99.9 %
// answered in time.
func BenchmarkProbeRate(b *testing.B) {
	const d = 5 * time.Second
	for _, rate := range benchRates() {
		b.Run(fmt.Sprintf("prober/%d", rate), func(b *testing.B) {
			u := newUAS(b, 1, nil)
			p := benchProber(b, rate, []string{u.addr(0)}, Options{Interval: time.Second, Timeout: 500 * time.Millisecond}, nil)
			time.Sleep(1500 * time.Millisecond) // every desk probed once
			s0, c0, t0 := p.Stats(), cpuTime(), time.Now()
			time.Sleep(d)
			s1, c1, t1 := p.Stats(), cpuTime(), time.Now()
			dt := t1.Sub(t0).Seconds()
			sent, answered := float64(s1.Sent-s0.Sent)/dt, float64(s1.Answers-s0.Answers)/dt
			missed := float64(s1.Timeouts+s1.Errors-s0.Timeouts-s0.Errors) / dt
			b.ReportMetric(answered, "answered/s")
			b.ReportMetric(missed, "missed/s")
			b.ReportMetric((c1-c0).Seconds()/dt, "cpu-cores")
			b.Logf("prober offered %d/s: sent %.0f/s, answered %.0f/s, missed %.1f/s, skipped %d; CPU %.2f cores (prober + UAS)",
				rate, sent, answered, missed, s1.Skipped-s0.Skipped, (c1-c0).Seconds()/dt)
		})
		b.Run(fmt.Sprintf("sipp/%d", rate), func(b *testing.B) {
			u := newUAS(b, 1, nil)
			ok, failed, wall, cpu := runSIPpUAC(b, u.addr(0), rate, int(d.Seconds())*rate)
			b.ReportMetric(float64(ok)/wall.Seconds(), "answered/s")
			b.ReportMetric(float64(failed)/wall.Seconds(), "missed/s")
			b.ReportMetric(cpu, "cpu-cores")
			b.Logf("SIPp   offered %d/s: %d answered, %d failed in %s: %.0f/s; CPU %.2f cores (SIPp + UAS)",
				rate, ok, failed, wall.Round(time.Millisecond), float64(ok)/wall.Seconds(), cpu)
		})
	}
}

// runSIPpUAC sends calls OPTIONS at rate to target with SIPp and returns
// the answered and failed counts, the wall time, and the CPU of SIPp and
// this process in cores.
func runSIPpUAC(b *testing.B, target string, rate, calls int) (ok, failed int, wall time.Duration, cores float64) {
	b.Helper()
	scenario, _ := filepath.Abs("testdata/options_uac.xml")
	cmd := exec.Command(sippPath(b), "-nostdin", "-sf", scenario, "-s", "desk", "-i", "127.0.0.1", "-p", strconv.Itoa(freeUDPPort(b)),
		"-r", strconv.Itoa(rate), "-m", strconv.Itoa(calls), "-l", "20000", target)
	cmd.Dir = b.TempDir()
	c0, t0 := cpuTime(), time.Now()
	outb, err := cmd.Output()
	wall = time.Since(t0)
	if ee, isExit := err.(*exec.ExitError); isExit && ee.ExitCode() == 1 {
		err = nil // SIPp: some calls failed; counted below
	}
	if err != nil {
		b.Fatalf("sipp: %v\n%s", err, outb)
	}
	ps := cmd.ProcessState
	cores = ((cpuTime() - c0) + ps.UserTime() + ps.SystemTime()).Seconds() / wall.Seconds()
	last := func(name string) int {
		m := regexp.MustCompile(name+`\s*\|\s*\d+\s*\|\s*(\d+)`).FindAllSubmatch(outb, -1)
		if len(m) == 0 {
			b.Fatalf("no %q in SIPp's output:\n%s", name, outb)
		}
		n, _ := strconv.Atoi(string(m[len(m)-1][1]))
		return n
	}
	return last("Successful call"), last("Failed call"), wall, cores
}

// BenchmarkCPU: the prober's own CPU (process rusage over 15 s of wall
// time) for 1,000 and 10,000 desks at the default 5 s interval. The desks
// are answered by SIPp in another process, so the rusage is the prober's.
func BenchmarkCPU(b *testing.B) {
	for _, desks := range []int{1000, 10000} {
		b.Run(strconv.Itoa(desks), func(b *testing.B) {
			port := freeUDPPort(b)
			scenario, _ := filepath.Abs("testdata/options_uas.xml")
			startSIPp(b, "-sf", scenario, "-i", "127.0.0.1", "-p", strconv.Itoa(port))
			p := benchProber(b, desks, []string{"127.0.0.1:" + strconv.Itoa(port)}, Options{}, nil)
			time.Sleep(6 * time.Second) // one interval: every desk probed
			const wall = 15 * time.Second
			s0, c0, t0 := p.Stats(), cpuTime(), time.Now()
			time.Sleep(wall)
			s1, c1, t1 := p.Stats(), cpuTime(), time.Now()
			cpu := (c1 - c0).Seconds() / t1.Sub(t0).Seconds()
			rate := float64(s1.Answers-s0.Answers) / t1.Sub(t0).Seconds()
			b.ReportMetric(cpu*100, "%core")
			b.ReportMetric(cpu*100*1000/float64(desks), "%core/1000desks")
			b.ReportMetric(rate, "answered/s")
			b.Logf("%d desks at 5 s: %.0f answers/s, %d timeouts; CPU %.2f %% of a core = %.2f %% per 1,000 desks (%.1f µs per probe)",
				desks, rate, s1.Timeouts-s0.Timeouts, cpu*100, cpu*100*1000/float64(desks), cpu/rate*1e6)
		})
	}
}

// BenchmarkDetection: 10,000 desks at the defaults (5 s interval, 2 s
// timeout, 2 misses) on one UAS; 1,000 of them stop answering at once. The
// latency is from that instant to their KindProbeLost leaving Run. Bound:
// interval × misses + timeout + 100 ms = 12.1 s.
func BenchmarkDetection(b *testing.B) {
	const desks, lost = 10000, 1000
	var mu sync.Mutex
	okSeen := map[string]bool{}
	lostAt := map[string]time.Time{}
	var silencedAt time.Time
	u := newUAS(b, 1, nil)
	benchProber(b, desks, []string{u.addr(0)}, Options{}, func(o health.Observation) {
		mu.Lock()
		defer mu.Unlock()
		switch o.Kind {
		case health.KindProbeOK:
			okSeen[o.Endpoint] = true
		case health.KindProbeLost:
			lostAt[o.Endpoint] = time.Now()
		}
	})
	wait := func(what string, d time.Duration, cond func() bool) {
		deadline := time.Now().Add(d)
		for {
			mu.Lock()
			done := cond()
			mu.Unlock()
			if done {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait("every desk up", 15*time.Second, func() bool { return len(okSeen) == desks })

	silent := map[string]bool{}
	for _, i := range rand.Perm(desks)[:lost] {
		silent[fmt.Sprintf("d%05d", i)] = true
	}
	mu.Lock()
	silencedAt = time.Now()
	u.silence(silent)
	mu.Unlock()
	wait("the silenced desks lost", 20*time.Second, func() bool { return len(lostAt) >= lost })
	time.Sleep(time.Second)

	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	for ep, at := range lostAt {
		if !silent[strings.TrimPrefix(ep, "PJSIP/")] {
			b.Errorf("%s reported lost but answers", ep)
			continue
		}
		lat = append(lat, at.Sub(silencedAt))
	}
	slices.Sort(lat)
	p50, p99, worst := lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	bound := 5*time.Second*2 + 2*time.Second + 100*time.Millisecond
	b.ReportMetric(p50.Seconds(), "p50-s")
	b.ReportMetric(p99.Seconds(), "p99-s")
	b.ReportMetric(worst.Seconds(), "max-s")
	b.Logf("%d of %d desks silenced: lost after p50 %s, p99 %s, max %s (bound %s)", lost, desks, p50.Round(time.Millisecond), p99.Round(time.Millisecond), worst.Round(time.Millisecond), bound)
	if p99 > bound {
		b.Errorf("p99 %s above the bound %s", p99, bound)
	}
}

// benchRates: SIPPROBE_RATES="5000,10000" overrides the ladder.
func benchRates() []int {
	rates := []int{5000, 10000, 15000, 20000, 25000, 30000}
	if s := os.Getenv("SIPPROBE_RATES"); s != "" {
		rates = rates[:0]
		for _, f := range strings.Split(s, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
				rates = append(rates, n)
			}
		}
	}
	return rates
}

// cpuTime is the user+system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
