package hostprobe

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"deskwatch/health"
)

// silenceable is a computer's TCP service that can fall silent as a hung
// or switched-off host does: no refusal, the SYN dropped. Nothing accepts:
// the kernel completes each probe's handshake into the accept queue (room
// for 4,096 by default), which is all a probe asks. Silence shrinks the
// queue to nothing (listen(2) may be called again on a listening socket),
// so the probes' connections already in it make it full and the kernel
// drops every further SYN: a connect times out.
type silenceable struct{ ln *net.TCPListener }

func listenSilenceable(host string) (*silenceable, error) {
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		return nil, err
	}
	return &silenceable{ln: ln.(*net.TCPListener)}, nil
}

// silence makes the service drop SYNs from now on.
func (s *silenceable) silence() error {
	raw, err := s.ln.SyscallConn()
	if err != nil {
		return err
	}
	if cerr := raw.Control(func(fd uintptr) { err = unix.Listen(int(fd), 0) }); cerr != nil {
		return cerr
	}
	return err
}

func (s *silenceable) close() { s.ln.Close() }

// BenchmarkComputerDetection measures issue 11's acceptance: a computer
// going silent takes its desk down within interval × misses + timeout.
// 1,000 desks each have their own TCP service on a loopback address,
// probed every second (timeout 500 ms, 2 misses: bound 2.5 s). Once all
// are up, 50 services fall silent (SYNs dropped: each probe waits for its
// timeout) and 50 are closed (refused at once); each desk's down
// observation is timed by its own date (At) against the instant its
// service stopped answering. It reports p50, p99 and max per kind, and any other desk
// reported down (false alarms).
func BenchmarkComputerDetection(b *testing.B) {
	const desks, silent, closed = 1000, 50, 50
	const interval, timeout, misses = time.Second, 500 * time.Millisecond, 2
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < 4*desks {
		b.Skipf("RLIMIT_NOFILE %d: 1,000 listeners and their probes need %d", rl.Cur, 4*desks)
	}
	for b.Loop() {
		svcs := make([]*silenceable, desks)
		targets := make([]Target, desks)
		for i := range svcs {
			s, err := listenSilenceable(fmt.Sprintf("127.2.%d.%d", i/250, 1+i%250))
			if err != nil {
				b.Fatal(err)
			}
			svcs[i] = s
			host, port, _ := net.SplitHostPort(s.ln.Addr().String())
			p, _ := strconv.Atoi(port)
			targets[i] = Target{Desk: fmt.Sprintf("op-%04d", i), Host: host, Check: CheckTCP, Port: p}
		}
		p, err := New(Options{Interval: interval, Timeout: timeout, Misses: misses}, targets)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		out := make(chan health.Observation, 4*desks)
		var wg sync.WaitGroup
		wg.Go(func() { p.Run(ctx, out) })
		up := map[string]bool{}
		for len(up) < desks {
			o := <-out
			if o.Kind == health.KindComputerUp {
				up[o.Workstation] = true
			}
		}
		since := make([]time.Time, silent)
		for i := range silent {
			since[i] = time.Now()
			if err := svcs[i].silence(); err != nil {
				b.Fatal(err)
			}
		}
		closedAt := time.Now()
		for i := silent; i < silent+closed; i++ {
			svcs[i].ln.Close()
		}
		var silentD, closedD []time.Duration
		var false0 []string
		deadline := time.After(30 * time.Second)
		for len(silentD)+len(closedD) < silent+closed {
			select {
			case o := <-out:
				if o.Kind != health.KindComputerDown {
					continue
				}
				var i int
				fmt.Sscanf(o.Workstation, "op-%04d", &i)
				switch {
				case i < silent:
					silentD = append(silentD, o.At.Sub(since[i]))
				case i < silent+closed:
					closedD = append(closedD, o.At.Sub(closedAt))
				default:
					false0 = append(false0, o.Workstation)
				}
			case <-deadline:
				b.Fatalf("after 30 s, %d silent and %d closed desks of %d each reported down", len(silentD), len(closedD), silent)
			}
		}
		cancel()
		wg.Wait()
		for _, s := range svcs {
			s.close()
		}
		bound := interval*misses + timeout
		for _, r := range []struct {
			name string
			ds   []time.Duration
		}{{"silent", silentD}, {"closed", closedD}} {
			slices.Sort(r.ds)
			q := func(f float64) time.Duration { return r.ds[int(f*float64(len(r.ds)-1))] }
			b.ReportMetric(q(0.5).Seconds(), r.name+"-p50-s")
			b.ReportMetric(q(0.99).Seconds(), r.name+"-p99-s")
			b.ReportMetric(r.ds[len(r.ds)-1].Seconds(), r.name+"-max-s")
			b.Logf("%s: %d desks down after p50 %s, p99 %s, max %s (bound %s)", r.name, len(r.ds),
				q(0.5).Round(time.Millisecond), q(0.99).Round(time.Millisecond), r.ds[len(r.ds)-1].Round(time.Millisecond), bound)
		}
		b.ReportMetric(float64(len(false0)), "false-downs")
		if len(false0) > 0 {
			b.Logf("desks reported down that stayed up: %v", false0)
		}
	}
}
