package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/journal"
	"deskwatch/store"
)

// holdFollower makes in's journal follower wait, after reading the spans
// of a pass, while when(now, spans) holds, until release is closed (a
// process frozen between its read and its append). held is closed when
// the first pass is held.
func (in *haInstance) holdFollower(when func(now time.Time, spans []health.Span) bool) (held <-chan struct{}, release func()) {
	heldc, rel := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hold := func(ctx context.Context, now time.Time, spans []health.Span) {
		if !when(now, spans) {
			return
		}
		once.Do(func() { close(heldc) })
		select {
		case <-rel:
		case <-ctx.Done():
		}
	}
	in.d.followHold.Store(&hold)
	var relOnce sync.Once
	release = func() { relOnce.Do(func() { close(rel) }) }
	in.h.t.Cleanup(release)
	return heldc, release
}

// chainEntries reads the journal's entries straight from Redis.
func (h *harness) chainEntries() []journal.Entry {
	h.t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr()})
	defer rdb.Close()
	cfg := h.config()
	jr, err := newJournal(cfg, rdb, store.New(rdb, cfg.Redis.Prefix, zerolog.Nop()), zerolog.Nop())
	if err != nil {
		h.t.Fatal(err)
	}
	es, err := jr.Entries(context.Background(), time.Time{}, time.Time{})
	if err != nil {
		h.t.Fatal(err)
	}
	return es
}

// cli runs a deskwatch command on the harness's configuration.
func (h *harness) cli(args ...string) (int, string) {
	cfg := filepath.Join(h.t.TempDir(), "deskwatch.yaml")
	if err := os.WriteFile(cfg, []byte(h.configText()), 0o600); err != nil {
		h.t.Fatal(err)
	}
	var out, errb bytes.Buffer
	rc := run(append(args, "-config", cfg), &out, &errb)
	return rc, out.String() + errb.String()
}

// A leader paused between reading the spans and appending them to the
// journal is fenced there too: once the new leader has raised the
// journal's fence, the old one's append is refused and counted, it stands
// by, the chain verifies, and the new leader's follower records the span.
func TestHAPausedLeaderJournalFenced(t *testing.T) {
	h := haHarness(t)
	a, b := h.startPair()
	b.waitFor("b sees the desks up", func() bool { return b.deskState(haPhones[0]) == "up" })
	bHeld, bRelease := b.holdFollower(func(time.Time, []health.Span) bool { return true })
	t1 := h.at(time.Now().Add(time.Second))
	settled := func(now time.Time, spans []health.Span) bool {
		for _, sp := range spans {
			if sp.Workstation == haPhones[0] && sp.Start.Equal(t1) && now.Sub(sp.Start) >= journal.DefaultSettle {
				return true
			}
		}
		return false
	}
	aHeld, aRelease := a.holdFollower(settled)
	if err := h.pbx.Unregister(haPhones[0]); err != nil {
		t.Fatal(err)
	}
	select { // the span settles (10 s), then a's next pass (5 s)
	case <-aHeld:
	case <-time.After(30 * time.Second):
		t.Fatal("a's follower never read the settled span")
	}
	resume, renew := a.pause()
	b.waitRole(true, 10*time.Second)
	select {
	case <-bHeld: // b's follower runs, its fence raised, and waits
	case <-time.After(10 * time.Second):
		t.Fatal("b's follower did not start")
	}
	aRelease()
	a.waitRole(false, 10*time.Second)
	if n := a.d.journal.FencedAppends(); n == 0 {
		t.Fatal("a's journal append was not fenced")
	}
	if es := h.chainEntries(); len(es) != 0 {
		t.Fatalf("the chain has %d entries after the fenced append, want none", len(es))
	}
	a.waitFor("the fenced append counted", func() bool {
		m := regexp.MustCompile(`(?m)^deskwatch_ha_fenced_writes_total\{ha_instance="a"\} (\d+)$`).FindStringSubmatch(a.metricsText())
		return m != nil && m[1] != "0"
	})
	bRelease()
	b.waitFor("the new leader journals the span", func() bool {
		es := h.chainEntries()
		return len(es) == 1 && len(es[0].SpanIDs) == 1 && es[0].Start.Equal(t1)
	})
	if rc, out := h.cli("journal", "verify"); rc != 0 || !strings.Contains(out, "is intact") {
		t.Fatalf("journal verify: rc %d\n%s", rc, out)
	}
	resume()
	renew()
}

// waitSeeing waits until in's ARI counts as seeing, every other instance
// knows it, and the leader's record has moved on since in connected (a
// heartbeat after it), so that in's own connect is no news on promotion.
func (h *harness) waitSeeing(in *haInstance, others ...*haInstance) {
	h.t.Helper()
	for _, o := range append(others, in) {
		o.waitFor(in.d.ha.instance+" seen as seeing by "+o.d.ha.instance, func() bool {
			sg := o.d.ha.sight.Load()
			return sg != nil && sg.peers[in.d.ha.instance].ARI == ariSeeing
		})
	}
	_, since := in.d.ari.Connected()
	st := h.haStore()
	in.waitFor("a heartbeat after "+in.d.ha.instance+" connected", func() bool {
		hb, err := st.LastHeartbeat(context.Background())
		return err == nil && hb.After(since)
	})
}

// scriptBurst changes the phones every step from base on (pbxsim's clock
// pinned to each event's time) and returns the spans it causes.
func (h *harness) scriptBurst(base time.Time, steps int, step time.Duration, between func(i int)) []spanRow {
	h.t.Helper()
	var truth []spanRow
	open := map[string]int{}
	for i := range steps {
		if between != nil {
			between(i)
		}
		p := haPhones[i%len(haPhones)]
		at := ts(h.at(base.Add(time.Duration(i) * step)))
		if j, ok := open[p]; ok {
			if err := h.pbx.Register(p, "sip:"+p+"@127.0.0.1:5101"); err != nil {
				h.t.Fatal(err)
			}
			truth[j].end = at
			delete(open, p)
			continue
		}
		if err := h.pbx.Unregister(p); err != nil {
			h.t.Fatal(err)
		}
		open[p] = len(truth)
		truth = append(truth, spanRow{p, at, "", "unregistered"})
	}
	return sortRows(truth)
}

// noBlindTime checks that every blind interval from since on is closed and
// empty: some instance watched throughout.
func noBlindTime(t *testing.T, st *store.Store, since time.Time) {
	t.Helper()
	bl, err := st.Blind(context.Background(), since, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, iv := range bl {
		if iv.End.IsZero() || !iv.End.Equal(iv.Start) {
			t.Fatalf("blind intervals %v: want none but empty ones, the standby watched throughout", bl)
		}
	}
}

// The leader's ARI is cut off (its socket drops, its reconnects are
// refused) while the standby's is connected: after a lease the leader
// hands the lease over, the standby leads, and the spans are the script's
// with their exact times, with no blind time: the standby's kept decisions
// cover the window and it closes the interval the leader opened.
func TestHABlindLeaderHandsOver(t *testing.T) {
	h := haHarness(t)
	a, b := h.startPair()
	b.waitFor("b sees the desks up", func() bool { return b.deskState(haPhones[2]) == "up" })
	h.waitSeeing(b, a)
	cut := time.Now()
	h.pbx.CutApp("dw-a")
	truth := h.scriptBurst(time.Now().Add(time.Second), 24, 150*time.Millisecond, nil)
	led := b.waitRole(true, 10*time.Second)
	t.Logf("handover: b led %s after a's ARI was cut", led.Sub(cut).Round(time.Millisecond))
	a.waitRole(false, time.Second) // a stood by before b could lead
	st := h.haStore()
	b.waitFor("the script's spans", func() bool { return slices.Equal(h.storedSpans(st), truth) })
	noBlindTime(t, st, cut.Add(-time.Second))
	if bl, _ := st.BlindOf(context.Background(), cut.Add(-time.Second), time.Time{}, health.SourceARI); len(bl) != 1 {
		t.Errorf("ari blind intervals %v: want a's, closed where it opened", bl)
	}
	if !strings.Contains(a.metricsText(), `deskwatch_ha_handovers_total{ha_instance="a",reason="ari_blind"} 1`) {
		t.Error("a's handover not counted")
	}
	var hz struct {
		HA struct {
			Role string `json:"role"`
			ARI  string `json:"ari"`
		} `json:"ha"`
	}
	a.get("/healthz", &hz)
	if hz.HA.Role != "standby" || hz.HA.ARI != ariBlind {
		t.Errorf("a's healthz ha %+v: want a blind standby", hz.HA)
	}
	// The blind standby leaves the lease to b; it takes it when b dies,
	// since a blind leader beats none.
	b.crash()
	a.waitRole(true, 10*time.Second)
}

// The leader dies with its ARI blind interval open in Redis; the standby,
// whose ARI was connected, takes over and closes it where it opened. A
// phone that dropped and came back while the leader was blind but still
// heartbeating keeps its span: the standby kept its decisions from the
// interval's start on, not only from the leader's last heartbeat.
func TestHADeadBlindLeaderIntervalClosed(t *testing.T) {
	h := haHarness(t)
	a, b := h.startPair()
	b.waitFor("b sees the desks up", func() bool { return b.deskState(haPhones[1]) == "up" })
	h.waitSeeing(b, a)
	a.d.ha.noHandover.Store(true) // a dies blind instead
	st := h.haStore()
	cut := time.Now()
	h.pbx.CutApp("dw-a")
	a.waitFor("a's ARI blind interval in Redis", func() bool {
		open, err := st.OpenBlinds(context.Background())
		return err == nil && !open[health.SourceARI].IsZero()
	})
	t1 := h.at(time.Now())
	if err := h.pbx.Unregister(haPhones[1]); err != nil {
		t.Fatal(err)
	}
	t2 := h.at(t1.Add(200 * time.Millisecond))
	if err := h.pbx.Register(haPhones[1], "sip:x@127.0.0.1:5101"); err != nil {
		t.Fatal(err)
	}
	want := []spanRow{{haPhones[1], ts(t1), ts(t2), "unregistered"}}
	// a's heartbeat (every 5 s) passes the return by more than the lease;
	// b trims its kept decisions at each of its own (as often).
	for deadline := time.Now().Add(20 * time.Second); ; {
		hb, err := st.LastHeartbeat(context.Background())
		if err == nil && hb.After(t2.Add(haLease+5*time.Second)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a's heartbeat stays at %v", hb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.crash()
	b.waitRole(true, 10*time.Second)
	b.waitFor("the span at its times", func() bool { return slices.Equal(h.storedSpans(st), want) })
	noBlindTime(t, st, cut.Add(-time.Second))
}

// Three instances: the leader dies while one standby is cut off ARI and
// the other sees. The lease goes to the one that sees, though the blind
// one tries as often; it keeps its decisions all the same.
func TestHABlindStandbyLeavesLeaseToSeeing(t *testing.T) {
	h := haHarness(t)
	a, b := h.startPair()
	c := h.startInstance("c", "dw-c")
	h.waitSeeing(c, a, b)
	h.pbx.CutApp("dw-b")
	b.waitFor("b blind, and c seeing, as b sees them", func() bool {
		sg := b.d.ha.sight.Load()
		return sg != nil && sg.ari == ariBlind && sg.peers["c"].ARI == ariSeeing
	})
	a.crash()
	c.waitRole(true, 10*time.Second)
	select {
	case <-b.roles:
		t.Fatal("the blind standby led")
	default:
	}
	if b.d.ha.leading.Load() {
		t.Fatal("the blind standby leads")
	}
}
