package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"deskwatch/store"
)

// truthScript changes the phones' registrations in pbxsim at known times
// and keeps the spans they imply: the ground truth the record must equal.
type truthScript struct {
	h     *harness
	rows  []spanRow
	open  map[string]int       // phone -> index in rows of its open span
	moved map[string]time.Time // phone -> the time of its last event
	last  time.Time            // the last event's time: each next one is later
	rng   *rand.Rand
	moves int
}

func newTruthScript(h *harness, rng *rand.Rand) *truthScript {
	return &truthScript{h: h, open: map[string]int{}, moved: map[string]time.Time{}, rng: rng}
}

// tick pins pbxsim's clock to now, strictly after the last event (ms).
func (s *truthScript) tick() time.Time {
	at := time.Now().Truncate(time.Millisecond)
	if !at.After(s.last) {
		at = s.last.Add(time.Millisecond)
	}
	s.last = at
	return s.h.at(at)
}

// toggle un-registers a registered phone (a span opens) or registers an
// un-registered one (its span closes), at the next tick.
func (s *truthScript) toggle(p string) {
	s.h.t.Helper()
	t := s.tick()
	at := ts(t)
	s.moves++
	s.moved[p] = t
	if j, ok := s.open[p]; ok {
		if err := s.h.pbx.Register(p, "sip:"+p+"@127.0.0.1:5101"); err != nil {
			s.h.t.Fatal(err)
		}
		s.rows[j].end = at
		delete(s.open, p)
		return
	}
	if err := s.h.pbx.Unregister(p); err != nil {
		s.h.t.Fatal(err)
	}
	s.open[p] = len(s.rows)
	s.rows = append(s.rows, spanRow{p, at, "", "unregistered"})
}

// toggles toggles n phones picked at random.
func (s *truthScript) toggles(n int) {
	s.h.t.Helper()
	for range n {
		s.toggle(s.h.phones[s.rng.IntN(len(s.h.phones))])
	}
}

// unseenBy is "" when the instance's view has every phone as the script
// left it, decided no earlier than its last event if it ran then (it got
// every event); else the first difference. An instance started after a
// desk's last event knows it from Redis, its spool and the snapshot, and
// may show an earlier time (see DESIGN.md, 27, the limits).
func (s *truthScript) unseenBy(p *proc) string {
	var r struct{ Workstations []deskState }
	if err := json.Unmarshal([]byte(p.fetch("/api/v1/workstations")), &r); err != nil || len(r.Workstations) != len(s.h.phones) {
		return fmt.Sprintf("workstations: %v", err)
	}
	for _, d := range r.Workstations {
		_, down := s.open[d.ID]
		want := map[bool]string{true: "down", false: "up"}[down]
		since, _ := time.Parse(time.RFC3339Nano, d.Since)
		if at, ok := s.moved[d.ID]; d.State != want || ok && at.After(p.started) && since.Before(at) {
			return fmt.Sprintf("%s is %s since %s, want %s since %s at the earliest", d.ID, d.State, d.Since, want, ts(at))
		}
	}
	return ""
}

func (s *truthScript) truth() []spanRow { return sortRows(slices.Clone(s.rows)) }

// waitTruth waits until Redis holds exactly the script's spans: each once,
// with its exact times.
func (h *harness) waitTruth(st *store.Store, s *truthScript, within time.Duration) {
	h.t.Helper()
	want := s.truth()
	var got []spanRow
	deadline := time.Now().Add(within)
	for {
		if got = h.storedSpans(st); slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			// Read per desk too: a span missing from the global index only
			// shows there.
			perDesk, err := st.Spans(context.Background(), store.SpanQuery{Workstations: h.phones})
			states, err2 := st.CurrentStates(context.Background())
			h.t.Fatalf("after %s the record differs from the script's truth:\n%s\nper desk: %d spans (%v); states %+v (%v)",
				within, diffRows(got, want), len(perDesk), err, states, err2)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// diffRows lists the rows only one side has.
func diffRows(got, want []spanRow) string {
	var b strings.Builder
	for _, r := range got {
		if !slices.Contains(want, r) {
			fmt.Fprintf(&b, "  extra   %+v\n", r)
		}
	}
	for _, r := range want {
		if !slices.Contains(got, r) {
			fmt.Fprintf(&b, "  missing %+v\n", r)
		}
	}
	return fmt.Sprintf("%d rows stored, %d expected\n%s", len(got), len(want), b.String())
}

var fencedWrites = regexp.MustCompile(`(?m)^deskwatch_ha_fenced_writes_total\{ha_instance="([a-z]+)"\} (\d+)$`)

// fenced is the child's deskwatch_ha_fenced_writes_total (-1: unread).
func (p *proc) fenced() int {
	m := fencedWrites.FindStringSubmatch(p.fetch("/metrics"))
	if m == nil || m[1] != p.name {
		return -1
	}
	n, _ := strconv.Atoi(m[2])
	return n
}

// kill -9 the leader process in the middle of a burst of registrations
// lost and regained: the standby leads within lease + 1 s and the spans are
// the script's, each once, with the events' times, and no time is blind.
func TestHAProcKillLeaderMidBurst(t *testing.T) {
	h := haHarness(t)
	a, b := h.procPair()
	s := newTruthScript(h, rand.New(rand.NewPCG(9, 1)))
	start := time.Now()
	tick := time.NewTicker(50 * time.Millisecond) // paces the burst, decides nothing
	defer tick.Stop()
	var killed time.Time
	for i := range 30 {
		if i == 15 {
			a.kill()
			killed = time.Now()
		}
		s.toggle(haPhones[i%len(haPhones)])
		<-tick.C
	}
	took := b.waitRole("leader", 10*time.Second).Sub(killed)
	t.Logf("failover: the standby led %s after kill -9", took.Round(time.Millisecond))
	if took > haLease+time.Second {
		t.Errorf("the standby led %s after the kill; want within lease + 1 s", took)
	}
	st := h.haStore()
	h.waitTruth(st, s, 10*time.Second)
	if bl, err := st.Blind(context.Background(), start, time.Time{}); err != nil || len(bl) != 0 {
		t.Fatalf("blind intervals %v, %v: some instance watched throughout", bl, err)
	}
}

// SIGSTOP the leader for twice the lease, then SIGCONT: the standby leads
// meanwhile, and the thawed leader's late writes (the events that queued
// on its socket while it was stopped, its overdue heartbeat) are refused
// by the fence and counted in its /metrics, and it stands by. Whether a
// late write reaches Redis before the thawed process's own renewal notices
// the lost lease is a race inside it; the round is repeated (with the
// roles swapped) until one does, at most five times.
func TestHAProcPausedLeaderIsFenced(t *testing.T) {
	h := haHarness(t)
	a, b := h.procPair()
	st := h.haStore()
	s := newTruthScript(h, rand.New(rand.NewPCG(9, 2)))
	leader, standby := a, b
	for round := 1; ; round++ {
		before := leader.fenced()
		leader.signal(syscall.SIGSTOP)
		stopped := time.Now()
		s.toggle(haPhones[0]) // queued on the stopped leader's socket
		standby.waitRole("leader", 10*time.Second)
		h.waitTruth(st, s, 10*time.Second)
		s.toggle(haPhones[1]) // after the new leader raised its fences
		h.waitTruth(st, s, 10*time.Second)
		<-time.After(time.Until(stopped.Add(2 * haLease))) // the pause's length, not a wait for anything
		leader.signal(syscall.SIGCONT)
		leader.waitRole("standby", 10*time.Second)
		h.waitTruth(st, s, 10*time.Second) // the late writes changed nothing
		n := leader.fenced()
		t.Logf("round %d: %s paused %s; fenced writes %d -> %d", round, leader.name, time.Since(stopped).Round(time.Millisecond), before, n)
		if standby.health().HA.Role != "leader" {
			t.Fatalf("%s does not lead after %s was thawed", standby.name, leader.name)
		}
		// The thawed instance observes again and stands by: a change is
		// recorded once, by the leader.
		leader.waitFor("every desk decided", 10*time.Second, leader.settled)
		s.toggle(haPhones[2])
		h.waitTruth(st, s, 10*time.Second)
		if n > before {
			return
		}
		if round == 5 {
			t.Fatalf("in %d rounds no thawed leader wrote before noticing it lost the lease: no fenced write counted", round)
		}
		leader, standby = standby, leader
	}
}

// A second instance whose ari.app a live instance holds exits non-zero
// with an error naming that instance.
func TestHAProcDuplicateAppRefused(t *testing.T) {
	h := haHarness(t)
	h.startProc("a", "dw-a").waitRole("leader", 10*time.Second)
	text, err := h.haConfigText("c", "dw-a")
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(h.stateDir, "c.yaml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, deskwatchBinary(t), "serve", "-config", cfgPath).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() <= 0 {
		t.Fatalf("the second instance with ari.app dw-a: %v, want a non-zero exit\n%s", err, out)
	}
	if !strings.Contains(string(out), `deskwatch: ha: ari.app "dw-a" is in use by the live instance "a"`) {
		t.Fatalf("the refusal does not name the instance a:\n%s", out)
	}
}
