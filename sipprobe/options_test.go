package sipprobe

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"deskwatch/health"

	"github.com/emiago/sipgo/sip"
	"github.com/rs/zerolog"
)

func TestNewDefaultsAndErrors(t *testing.T) {
	p, err := New(Options{Logger: zerolog.Nop(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.cfg != (config{5 * time.Second, 2 * time.Second, 2, 1}) || p.opts.FromUser != "deskwatch" || p.host != "127.0.0.1" || cap(p.sem) != defaultMaxConnecting {
		t.Errorf("defaults: %+v host %q", p.cfg, p.host)
	}
	p2, err := New(Options{Interval: 1500 * time.Millisecond, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if p2.cfg.timeout != 750*time.Millisecond {
		t.Errorf("timeout for a 1.5 s interval: %s", p2.cfg.timeout)
	}

	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Interval: 5 * time.Millisecond}, "Interval 5ms is below the minimum"},
		{Options{Interval: time.Second, Timeout: time.Second}, "Timeout 1s must be positive and shorter than Interval 1s"},
		{Options{Timeout: -time.Second}, "Timeout -1s must be positive"},
		{Options{MissesBeforeDown: -1}, "MissesBeforeDown -1"},
		{Options{AnswersBeforeUp: -2}, "AnswersBeforeUp -2"},
		{Options{MaxConnecting: -1}, "MaxConnecting -1"},
		{Options{PBX: "http://pbx"}, "PBX: sipprobe: contact URI \"http://pbx\": scheme must be sip or sips"},
		{Options{Listen: "127.0.0.1:99999"}, "listen 127.0.0.1:99999"},
	} {
		if _, err := New(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): %v, want %q", tc.o, err, tc.want)
		}
	}
}

// Per-target options, a contact that moves, and a target removed while it
// is being probed.
func TestTargetLifecycle(t *testing.T) {
	t.Parallel()
	dead := newPhone(t, "udp", "dead", func(int) action { return silent })
	alive := newPhone(t, "udp", "alive", func(int) action { return answer(200) })
	gone := newPhone(t, "udp", "gone", func(int) action { return silent })
	opts := testOptions(t)
	h := startProber(t, opts, func(p *Prober) {
		if err := p.SetTarget("PJSIP/fast", dead.contact, &TargetOptions{MissesBeforeDown: 1, Interval: 200 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		p.SetTarget("PJSIP/moving", dead.contact, nil)
		p.SetTarget("PJSIP/gone", gone.contact, nil)
		if err := p.SetTarget("PJSIP/bad", "sip:x@y", &TargetOptions{Timeout: time.Hour}); err == nil || !strings.Contains(err.Error(), "target PJSIP/bad") {
			t.Errorf("bad target options: %v", err)
		}
		if err := p.SetTarget("", alive.contact, nil); err == nil {
			t.Error("empty endpoint accepted")
		}
	})
	waitFor(t, 5*time.Second, "both lost", func() bool { return len(h.of("PJSIP/fast")) == 1 && len(h.of("PJSIP/moving")) == 1 })
	if o := h.of("PJSIP/fast")[0]; !strings.HasPrefix(o.Detail, "no answer to 1 OPTIONS") {
		t.Errorf("fast: %+v, want lost after 1 miss", o)
	}
	if o := h.of("PJSIP/moving")[0]; !strings.HasPrefix(o.Detail, "no answer to 2 OPTIONS") {
		t.Errorf("moving: %+v, want lost after 2 misses", o)
	}
	// The phone re-registers from another address.
	if err := h.p.SetTarget("PJSIP/moving", alive.contact, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "moving back", func() bool { return len(h.of("PJSIP/moving")) == 2 })
	if o := h.of("PJSIP/moving")[1]; o.Kind != health.KindProbeOK || o.Contact != alive.contact {
		t.Errorf("after the move: %+v", o)
	}

	// Remove "gone" while a probe of it is waiting for its (slow) answer.
	// Remove "gone", lost so far, while its first answer is on the way: the
	// answer must not bring it back.
	waitFor(t, 5*time.Second, "gone lost", func() bool { return len(h.of("PJSIP/gone")) == 1 })
	gone.setScript(func(int) action { return action{code: 200, delay: 100 * time.Millisecond} })
	n0 := gone.count()
	waitFor(t, 5*time.Second, "gone probed", func() bool { return gone.count() > n0 })
	h.p.RemoveTarget("PJSIP/gone")
	seen := len(h.of("PJSIP/gone"))
	h.p.RemoveTarget("PJSIP/never-added")
	n := gone.count()
	time.Sleep(3 * opts.Interval)
	if gone.count() != n {
		t.Errorf("removed target probed again: %d → %d", n, gone.count())
	}
	if _, ok := h.p.Results()["PJSIP/gone"]; ok {
		t.Error("removed target still in Results")
	}
	if _, ok := h.p.Result("PJSIP/gone"); ok {
		t.Error("removed target still has a Result")
	}
	if got := h.of("PJSIP/gone"); len(got) != seen {
		t.Errorf("the answer to a removed target's probe was used: %+v", got)
	}
	if s := h.p.Stats(); s.Targets != 2 {
		t.Errorf("Stats.Targets %d", s.Targets)
	}
	if err := h.p.Run(context.Background(), nil); err != errRunTwice {
		t.Errorf("second Run: %v", err)
	}
}

// Run returns promptly when its context ends, even with probes waiting and
// nobody reading the observations.
func TestRunStopsWithBlockedConsumer(t *testing.T) {
	ph := newPhone(t, "udp", "x", func(int) action { return silent })
	p, err := New(testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range []string{"a", "b", "c"} {
		p.SetTarget(ep, ph.contact, &TargetOptions{MissesBeforeDown: 1})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx, make(chan health.Observation)) }() // never read
	waitFor(t, 5*time.Second, "three lost, queued", func() bool {
		p.pendMu.Lock()
		defer p.pendMu.Unlock()
		return len(p.pending) == 3
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not stop")
	}
	if got := kinds(p.pending); !slices.Equal(got, []health.Kind{health.KindProbeLost, health.KindProbeLost, health.KindProbeLost}) {
		t.Errorf("pending %v", got)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close after Run: %v", err)
	}
}

// UDP resends (RFC 3261 timer E), contacts with a host name, one that does
// not resolve, and the Via of a prober listening on all interfaces.
func TestResendResolveAndVia(t *testing.T) {
	t.Parallel()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	vias := make(chan string, 100)
	go func() { // answers only the second copy of every request
		seen := map[string]int{}
		buf := make([]byte, 4096)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			m, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
			if err != nil {
				continue
			}
			id := m.CallID().Value()
			seen[id]++
			if seen[id] == 1 {
				select {
				case vias <- m.Via().Value():
				default:
				}
				continue
			}
			if _, res, ok := optionsResponse(buf[:n], nil); ok {
				c.WriteTo(res, from)
			}
		}
	}()
	port := c.LocalAddr().(*net.UDPAddr).Port
	opts := testOptions(t)
	opts.Listen = "0.0.0.0:0" // Via host: the address that routes to the phone
	opts.Interval, opts.Timeout = 1500*time.Millisecond, time.Second
	h := startProber(t, opts, func(p *Prober) {
		p.SetTarget("PJSIP/shy", fmt.Sprintf("sip:shy@127.0.0.1:%d", port), nil)
		p.SetTarget("PJSIP/byname", fmt.Sprintf("sip:byname@localhost:%d", port), nil)
		p.SetTarget("PJSIP/nowhere", "sip:x@nowhere.invalid", nil)
	})
	waitFor(t, 8*time.Second, "three observations", func() bool { return len(h.observations()) == 3 })
	for _, ep := range []string{"PJSIP/shy", "PJSIP/byname"} {
		got := h.of(ep)
		if len(got) != 1 || got[0].Kind != health.KindProbeOK || got[0].RTT < 400*time.Millisecond {
			t.Errorf("%s: %+v, want ProbeOK answered to the resend (RTT ≥ T1)", ep, got)
		}
	}
	if got := h.of("PJSIP/nowhere"); len(got) != 1 || got[0].Kind != health.KindProbeLost {
		t.Errorf("unresolvable: %+v", got)
	}
	if v := <-vias; !strings.Contains(v, "127.0.0.1:"+strconv.Itoa(h.p.LocalAddr().(*net.UDPAddr).Port)) || !strings.Contains(v, "rport") {
		t.Errorf("Via %q: want the routed address 127.0.0.1, our port and rport", v)
	}
	if s := h.p.Stats(); s.Errors+s.Timeouts < 2 || s.Stray != 0 {
		t.Errorf("stats %+v", s)
	}
}
