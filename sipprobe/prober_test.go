package sipprobe

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"deskwatch/health"

	"github.com/emiago/sipgo/sip"
)

// A desk phone answers, goes silent, answers 503, answers too late, and
// comes back: the observations follow MissesBeforeDown=2 and
// AnswersBeforeUp=2 exactly, and only state changes are emitted.
func TestHysteresisFollowsThePhone(t *testing.T) {
	t.Parallel()
	opts := testOptions(t)
	opts.AnswersBeforeUp = 2
	slow := action{code: 200, delay: 2 * opts.Timeout}
	script := []action{
		1: answer(200), 2: answer(200), // up (first answer: state was unknown)
		3: silent, 4: silent, // lost at the deadline of #4
		5: answer(503),                 // alive (do-not-disturb), 1 of 2
		6: slow,                        // too late: a miss, the count starts over
		7: answer(503), 8: answer(200), // 2 in a row: back up at #8
		9: silent, 10: answer(200), 11: answer(200), 12: answer(200), // one miss changes nothing
	}
	ph := newPhone(t, "udp", "op122-01", func(n int) action {
		if n < len(script) {
			return script[n]
		}
		return answer(200)
	})
	h := startProber(t, opts, func(p *Prober) {
		if err := p.SetTarget("PJSIP/op122-01", ph.contact, nil); err != nil {
			t.Fatal(err)
		}
	})
	waitFor(t, 10*time.Second, "13 probes", func() bool { return ph.count() >= 13 })
	time.Sleep(opts.Timeout) // let #13 finish

	got := h.of("PJSIP/op122-01")
	want := []health.Kind{health.KindProbeOK, health.KindProbeLost, health.KindProbeOK}
	if !slices.Equal(kinds(got), want) {
		t.Fatalf("observations %v, want %v: %+v", kinds(got), want, got)
	}
	for _, o := range got {
		if o.Source != health.SourceSIP || o.Contact != ph.contact || o.At.Location() != time.UTC {
			t.Errorf("bad observation %+v", o)
		}
	}
	ok1, lost, ok2 := got[0], got[1], got[2]
	if ok1.Code != 200 || ok1.RTT <= 0 || !near(ok1.At, ph.arrival(1), 100*time.Millisecond) {
		t.Errorf("first ProbeOK %+v, phone saw #1 at %s", ok1, ph.arrival(1))
	}
	if lost.Code != 0 || lost.RTT != 0 || !strings.Contains(lost.Detail, "no answer to 2 OPTIONS") {
		t.Errorf("ProbeLost %+v", lost)
	}
	// At = the deadline of the second missed probe (#4).
	if !near(lost.At, ph.arrival(4).Add(opts.Timeout), 60*time.Millisecond) {
		t.Errorf("ProbeLost at %s, want the deadline of #4 ≈ %s", lost.At, ph.arrival(4).Add(opts.Timeout))
	}
	if ok2.Code != 200 || !near(ok2.At, ph.arrival(8), 100*time.Millisecond) || !strings.Contains(ok2.Detail, "2 times in a row") {
		t.Errorf("second ProbeOK %+v, phone saw #8 at %s", ok2, ph.arrival(8))
	}

	last := h.p.Results()["PJSIP/op122-01"]
	if !last.Alive || last.Code != 200 || last.Misses != 0 || last.RTT <= 0 || last.Contact != ph.contact {
		t.Errorf("Results: %+v", last)
	}
	if one, ok := h.p.Result("PJSIP/op122-01"); !ok || one.Code != last.Code || one.Contact != last.Contact {
		t.Errorf("Result: %+v %v, Results gave %+v", one, ok, last)
	}
	s := h.p.Stats()
	if s.Targets != 1 || s.Sent < 13 || s.Answers < 9 || s.Timeouts < 4 || s.Errors != 0 {
		t.Errorf("Stats: %+v", s)
	}
	if s.Stray < 1 {
		t.Errorf("the late answer to #6 should count as stray: %+v", s)
	}
	b := s.RTT.Buckets()
	if b[len(b)-1].Count != s.RTT.Count || s.RTT.Count != s.Answers {
		t.Errorf("RTT histogram %+v does not add up to %d answers", b, s.Answers)
	}
}

// One UDP, one TCP and one TLS (sips:) phone, each answering with its own
// code; the TCP phone loses power.
func TestTransports(t *testing.T) {
	t.Parallel()
	udp := newPhone(t, "udp", "op122-02", func(int) action { return answer(200) })
	tcp := newPhone(t, "tcp", "op122-03", func(int) action { return answer(503) })
	tls := newPhone(t, "tls", "op117-01", func(int) action { return answer(401) })
	opts := testOptions(t)
	testCert(t)
	opts.TLSConfig = tlsClientConfig()
	h := startProber(t, opts, func(p *Prober) {
		for ep, ph := range map[string]*phone{"PJSIP/op122-02": udp, "PJSIP/op122-03": tcp, "PJSIP/op117-01": tls} {
			if err := p.SetTarget(ep, ph.contact, nil); err != nil {
				t.Fatal(err)
			}
		}
	})
	waitFor(t, 5*time.Second, "three ProbeOK", func() bool { return len(h.observations()) == 3 })
	for ep, code := range map[string]int{"PJSIP/op122-02": 200, "PJSIP/op122-03": 503, "PJSIP/op117-01": 401} {
		got := h.of(ep)
		if len(got) != 1 || got[0].Kind != health.KindProbeOK || got[0].Code != code {
			t.Errorf("%s: %+v, want one ProbeOK with code %d", ep, got, code)
		}
	}
	tcp.stop()
	waitFor(t, 5*time.Second, "the TCP phone lost", func() bool { return len(h.of("PJSIP/op122-03")) == 2 })
	time.Sleep(2 * opts.Interval)
	if got := kinds(h.of("PJSIP/op122-03")); !slices.Equal(got, []health.Kind{health.KindProbeOK, health.KindProbeLost}) {
		t.Errorf("TCP phone: %v", got)
	}
	if n := len(h.of("PJSIP/op122-02")) + len(h.of("PJSIP/op117-01")); n != 2 {
		t.Errorf("the other phones changed: %+v", h.observations())
	}
	if r := h.p.Results()["PJSIP/op122-03"]; r.Alive || r.Misses < 2 {
		t.Errorf("TCP phone result %+v", r)
	}
}

// The PBX goes silent: one PBXDown; back: PBXUp. Like Asterisk it answers
// unauthenticated OPTIONS with 401, which proves it alive.
func TestPBXLiveness(t *testing.T) {
	t.Parallel()
	challenge := sip.NewHeader("WWW-Authenticate", `Digest realm="asterisk",nonce="1795795492/46c1",opaque="62e7",algorithm=MD5,qop="auth"`)
	pbx := newPhone(t, "udp", "", func(n int) action {
		if n >= 3 && n <= 6 {
			return silent
		}
		return action{code: 401, header: challenge}
	})
	opts := testOptions(t)
	opts.PBX = strings.Replace(pbx.contact, "sip:@", "sip:", 1)
	desk := newPhone(t, "udp", "op122-05", func(int) action { return answer(200) })
	h := startProber(t, opts, func(p *Prober) { p.SetTarget("PJSIP/op122-05", desk.contact, nil) })
	waitFor(t, 10*time.Second, "9 PBX probes", func() bool { return pbx.count() >= 9 })
	time.Sleep(opts.Timeout)

	got := h.of("")
	want := []health.Kind{health.KindPBXUp, health.KindPBXDown, health.KindPBXUp}
	if !slices.Equal(kinds(got), want) {
		t.Fatalf("PBX observations %v, want %v: %+v", kinds(got), want, got)
	}
	if got[0].Code != 401 || got[2].Code != 401 || got[1].Code != 0 {
		t.Errorf("codes: %+v", got)
	}
	if !near(got[1].At, pbx.arrival(4).Add(opts.Timeout), 60*time.Millisecond) {
		t.Errorf("PBXDown at %s, want the deadline of #4", got[1].At)
	}
	if d := h.of("PJSIP/op122-05"); len(d) != 1 || d[0].Kind != health.KindProbeOK {
		t.Errorf("the desk should stay up throughout: %+v", d)
	}
	if l, ok := h.p.PBX(); !ok || !l.Alive || l.Code != 401 {
		t.Errorf("PBX() = %+v, %v", l, ok)
	}
	if _, ok := h.p.Results()[""]; ok {
		t.Error("the PBX must not be in Results")
	}
}

// Probes leave at each target's own phase, every interval, whatever the
// silent and slow peers among them do.
func TestScheduleSpreadAndSlowPeers(t *testing.T) {
	opts := testOptions(t)
	opts.Interval, opts.Timeout = 400*time.Millisecond, 200*time.Millisecond
	var mu sync.Mutex
	arrivals := map[string][]time.Time{}
	u := newUAS(t, 2, func(user string, at time.Time) {
		mu.Lock()
		arrivals[user] = append(arrivals[user], at)
		mu.Unlock()
	})
	silentUsers := map[string]bool{}
	for i := 30; i < 50; i++ {
		silentUsers[fmt.Sprintf("d%03d", i)] = true
	}
	u.silence(silentUsers)
	slow := newPhone(t, "udp", "slow", func(int) action { return action{code: 200, delay: opts.Timeout * 3 / 4} })
	h := startProber(t, opts, func(p *Prober) {
		for i := range 50 {
			p.SetTarget(fmt.Sprintf("PJSIP/d%03d", i), fmt.Sprintf("sip:d%03d@%s", i, u.addr(i)), nil)
		}
		p.SetTarget("PJSIP/slow", slow.contact, nil)
	})
	time.Sleep(6 * opts.Interval)

	mu.Lock()
	defer mu.Unlock()
	for i := range 30 {
		user := fmt.Sprintf("d%03d", i)
		at := arrivals[user]
		if len(at) < 4 {
			t.Errorf("%s probed %d times", user, len(at))
			continue
		}
		phase := phaseOf("PJSIP/"+user, opts.Interval)
		for k, a := range at {
			off := time.Duration(a.UnixNano() % int64(opts.Interval))
			if d := (off - phase + opts.Interval) % opts.Interval; d > 100*time.Millisecond {
				t.Errorf("%s probe %d left %s after its phase %s", user, k, d, phase)
			}
			if k > 0 && !near(a, at[k-1].Add(opts.Interval), 100*time.Millisecond) {
				t.Errorf("%s: probes %s apart", user, a.Sub(at[k-1]))
			}
		}
		if got := kinds(h.of("PJSIP/" + user)); !slices.Equal(got, []health.Kind{health.KindProbeOK}) {
			t.Errorf("%s: %v", user, got)
		}
	}
	for user := range silentUsers {
		if got := kinds(h.of("PJSIP/" + user)); !slices.Equal(got, []health.Kind{health.KindProbeLost}) {
			t.Errorf("%s: %v", user, got)
		}
	}
	if got := h.of("PJSIP/slow"); len(got) != 1 || got[0].Kind != health.KindProbeOK || got[0].RTT < opts.Timeout/2 {
		t.Errorf("slow phone: %+v", got)
	}
}
