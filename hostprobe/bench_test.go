package hostprobe

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"deskwatch/health"
)

// The computers the benchmark probes listen in a child process (this test
// binary run as TestHelperListeners), so that getrusage(RUSAGE_SELF)
// counts the prober alone: accepting is the computers' work, not ours.
const helperEnv = "HOSTPROBE_BENCH_LISTEN"

func TestHelperListeners(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(helperEnv))
	if n == 0 {
		t.Skip("a helper process of BenchmarkComputerProbeCPU")
	}
	var addrs []string
	for i := range n {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.%d.%d:0", 1+i/250, 1+i%250))
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		go func() { // ends with the process
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	fmt.Println("READY " + strings.Join(addrs, " "))
	bufio.NewReader(os.Stdin).ReadString('\n') // until the benchmark closes stdin
}

// rusage is the process's CPU time: user, and system (the kernel's share,
// which over loopback includes both ends of every TCP handshake).
func rusage() (user, sys time.Duration) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// BenchmarkComputerProbeCPU probes 10,000 computers every 10 s (1,000
// probes a second) for HOSTPROBE_BENCH_SECONDS (default 30) and reports the
// prober's CPU as a percentage of one core. "tcp" connects to loopback
// listeners in another process; "icmp" pings 10,000 loopback addresses
// (127.1.0.1 on; the kernel answers, inside our own system time, as the
// listener's half of a handshake is); "fake" replaces the connect by an
// answer at once, which leaves the schedule's own cost.
func BenchmarkComputerProbeCPU(b *testing.B) {
	secs := 30
	if v, err := strconv.Atoi(os.Getenv("HOSTPROBE_BENCH_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	const desks, listeners = 10_000, 40
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperListeners$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", helperEnv, listeners))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	var addrs []string
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
			addrs = strings.Fields(rest)
			break
		}
	}
	if len(addrs) != listeners {
		b.Fatalf("helper gave %v", addrs)
	}
	targets := make([]Target, desks)
	pings := make([]Target, desks)
	for i := range targets {
		host, port, _ := net.SplitHostPort(addrs[i%listeners])
		p, _ := strconv.Atoi(port)
		targets[i] = Target{Desk: fmt.Sprintf("op-%05d", i), Host: host, Check: CheckTCP, Port: p}
		pings[i] = Target{Desk: targets[i].Desk, Host: fmt.Sprintf("127.1.%d.%d", i/250, 1+i%250), Check: CheckICMP}
	}
	instant := func(ctx context.Context, network, addr string) (net.Conn, error) { return nopConn{}, nil }
	for _, mode := range []string{"tcp", "icmp", "fake"} {
		b.Run(mode, func(b *testing.B) {
			opts := Options{Interval: 10 * time.Second, Timeout: 2 * time.Second, Misses: 3}
			targets := targets
			switch mode {
			case "fake":
				opts.Dial = instant
			case "icmp":
				allowICMP(b)
				targets = pings
			}
			for b.Loop() {
				p, err := New(opts, targets)
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				out := make(chan health.Observation, 1024)
				var wg sync.WaitGroup
				ups := 0
				wg.Go(func() {
					for range out {
						ups++
					}
				})
				done := make(chan struct{})
				go func() { defer close(done); p.Run(ctx, out) }()
				// The first interval brings every computer up at once; measure
				// the steady state after it.
				time.Sleep(11 * time.Second)
				u0, k0 := rusage()
				s0, t0 := p.Stats(), time.Now()
				time.Sleep(time.Duration(secs) * time.Second)
				u1, k1 := rusage()
				user, sys, s, wall := u1-u0, k1-k0, p.Stats(), time.Since(t0)
				cpu := user + sys
				cancel()
				<-done
				close(out)
				wg.Wait()
				sent := s.Sent - s0.Sent
				why := map[string]int{} // the last miss of each desk, by its word
				for _, tg := range targets {
					if r, ok := p.Result(tg.Desk); ok && !r.Alive {
						why[r.Detail]++
					}
				}
				if len(why) > 0 {
					b.Logf("%s: desks whose last probe missed: %v; %d replies ignored", mode, why, s.Ignored)
				}
				b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%core")
				b.ReportMetric(float64(sent)/wall.Seconds(), "probes/s")
				b.ReportMetric(float64(s.Misses-s0.Misses), "misses")
				b.ReportMetric(100*user.Seconds()/wall.Seconds(), "%core-user")
				b.Logf("%s: %d probes in %s, CPU %s (%.2f %% of a core: user %.2f %%, system %.2f %%), %d misses, %d skipped, %d computers up",
					mode, sent, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), 100*cpu.Seconds()/wall.Seconds(),
					100*user.Seconds()/wall.Seconds(), 100*sys.Seconds()/wall.Seconds(), s.Misses-s0.Misses, s.Skipped, ups)
			}
		})
	}
}

// nopConn is a connection that was made and is closed at once.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }
