package main

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"deskwatch/internal/redistest"
	"deskwatch/store"
)

// The chaos test's fault model (DESIGN.md, 27): two instances (real
// processes) on pbxsim and one persistent redis-server; a seeded random
// sequence of faults, each followed by recovery (one leader, one standby,
// both seeing every desk) and a check that Redis holds exactly the spans
// the script implies. The script moves phones only while some instance
// can see them: before each fault, during a kill -9 of either instance
// (the other watches) and during a Redis outage (both watch; the record
// waits in their spools and gates), and after recovery; never while ARI is
// cut or the PBX restarts. A change nobody saw has no exact time to check:
// Asterisk reports only the state after the reconnect, and that time is
// the monitor's, not the script's. So every span of the truth has the
// exact times of its events, and the only blind time allowed is inside the
// windows when every instance's ARI was down.

var chaosPhones = []string{"op122-01", "op122-02", "op122-03", "op117-01", "op117-02", "op117-03"}

type fault int

const (
	killLeader fault = iota
	killStandby
	redisRestart
	ariCut
	pbxRestart
)

var faultNames = [...]string{"kill -9 the leader", "kill -9 the standby", "kill -9 and restart Redis", "cut ARI", "restart the PBX"}

// chaosRun is the test's state: the processes, the script and what the
// faults allow.
type chaosRun struct {
	h         *harness
	st        *store.Store
	s         *truthScript
	rng       *rand.Rand
	procs     [2]*proc
	blindOK   [][2]time.Time // when every instance's ARI was down
	failovers []time.Duration
}

func envInt(t *testing.T, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

func TestHAChaos(t *testing.T) {
	seed := envInt(t, "DESKWATCH_CHAOS_SEED", time.Now().UnixNano())
	faults := int(envInt(t, "DESKWATCH_CHAOS_FAULTS", 50))
	t.Logf("seed %d (DESKWATCH_CHAOS_SEED=%d repeats this run), %d faults", seed, seed, faults)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	h := newHarnessOn(t, redistest.StartPersistent(t), chaosPhones...)
	for _, p := range chaosPhones {
		if err := h.pbx.Register(p, "sip:"+p+"@127.0.0.1:5101"); err != nil {
			t.Fatal(err)
		}
	}
	a, b := h.procPair()
	c := &chaosRun{h: h, st: h.haStore(), s: newTruthScript(h, rng), rng: rng, procs: [2]*proc{a, b}}
	began := time.Now()
	counts := map[fault]int{}
	for i := range faults {
		f := fault(rng.IntN(len(faultNames)))
		counts[f]++
		at := time.Now()
		c.s.toggles(rng.IntN(3)) // just before: maybe not yet written when the fault hits
		if rng.IntN(3) == 0 {
			p := chaosPhones[rng.IntN(len(chaosPhones))]
			c.s.toggle(p) // a flap: two transitions a millisecond apart
			c.s.toggle(p)
		}
		c.inject(f)
		c.settle()
		c.s.toggles(1 + rng.IntN(3)) // the leader after the fault records too
		h.waitTruth(c.st, c.s, 20*time.Second)
		c.checkBlind(began)
		c.recorded()
		t.Logf("fault %d: %s: the record equals the truth (%d spans) after %s", i+1, faultNames[f], len(c.s.rows), time.Since(at).Round(time.Millisecond))
	}
	t.Logf("%d faults in %s (%v); %d script moves; %s", faults, time.Since(began).Round(time.Second), counts, c.s.moves, failovers(c.failovers))
	for _, d := range c.failovers {
		// The target is the p99 (lease + 1 s, bench/README.md); a single
		// kill on a loaded machine may take longer, but not this long.
		if d > 2*haLease+2*time.Second {
			t.Errorf("a failover took %s", d)
		}
	}
}

// roles returns the leader and the standby.
func (c *chaosRun) roles() (leader, standby *proc) {
	if c.procs[0].health().HA.Role == "leader" {
		return c.procs[0], c.procs[1]
	}
	return c.procs[1], c.procs[0]
}

func (c *chaosRun) inject(f fault) {
	h := c.h
	h.t.Helper()
	switch f {
	case killLeader:
		leader, standby := c.roles()
		leader.kill()
		killed := time.Now()
		// The standby alone watches the phones that move meanwhile.
		moves := c.spread(1500 * time.Millisecond)
		var led time.Time
		standby.waitFor("leading", 15*time.Second, func() bool {
			moves()
			if led.IsZero() && standby.health().HA.Role == "leader" {
				led = time.Now()
			}
			return !led.IsZero() && moves() == 0
		})
		c.failovers = append(c.failovers, led.Sub(killed))
		h.t.Logf("failover: %s led %s after kill -9 of %s", standby.name, led.Sub(killed).Round(time.Millisecond), leader.name)
		leader.restart()
	case killStandby:
		_, standby := c.roles()
		standby.kill()
		c.s.toggles(c.rng.IntN(3))
		standby.restart()
	case redisRestart:
		h.redis.Stop() // kill -9
		down := time.Duration(200+c.rng.IntN(2300)) * time.Millisecond
		back := time.Now().Add(down)
		// Both instances watch the phones that move meanwhile.
		moves := c.spread(down)
		for moves() > 0 || time.Now().Before(back) { // the outage's length
			time.Sleep(10 * time.Millisecond)
		}
		h.redis.Restart()
	case ariCut:
		c.delivered()
		from := time.Now()
		h.pbx.DropSockets()
		c.settle()
		c.blindOK = append(c.blindOK, [2]time.Time{from, time.Now()})
	case pbxRestart:
		c.delivered()
		c.s.tick() // Asterisk's startup_time: now
		from := time.Now()
		if err := h.pbx.Restart(time.Duration(100+c.rng.IntN(900)) * time.Millisecond); err != nil {
			h.t.Fatal(err)
		}
		c.settle()
		c.blindOK = append(c.blindOK, [2]time.Time{from, time.Now()})
	}
}

// spread schedules up to three toggles at random times within d and
// returns a function that makes those that are due and says how many are
// still to come.
func (c *chaosRun) spread(d time.Duration) func() int {
	var due []time.Time
	now := time.Now()
	for range c.rng.IntN(4) {
		due = append(due, now.Add(time.Duration(c.rng.Int64N(int64(d)))))
	}
	return func() int {
		rest := due[:0]
		for _, at := range due {
			if time.Now().After(at) {
				c.s.toggles(1)
			} else {
				rest = append(rest, at)
			}
		}
		due = rest
		return len(due)
	}
}

// delivered waits until both instances have every event the script made:
// an event still queued when the sockets drop is lost to the instance (as
// Asterisk's would be), and its change is dated by the reconnect's
// snapshot, not by the script (see DESIGN.md, 27, the limits).
//
// The leader must have them all: what it lacks, the record lacks. A
// standby that lacks one after 10 s is only logged: its view is not the
// record, and after a cut (no kill) it is not promoted. This was seen once
// in some hundred runs (CI, 2026-12-04): a standby restarted a fault
// earlier showed a desk "up since" the event before a 1 ms down-up flap,
// as if it had dropped the flap as older than a snapshot; not explained
// yet (DESIGN.md 27, limits).
func (c *chaosRun) delivered() {
	c.h.t.Helper()
	leader, _ := c.roles()
	for _, p := range c.procs {
		deadline := time.Now().Add(10 * time.Second)
		for diff := c.s.unseenBy(p); diff != ""; diff = c.s.unseenBy(p) {
			if time.Now().After(deadline) {
				if p == leader {
					c.h.t.Fatalf("the leader %s did not get every event within 10 s: %s", p.name, diff)
				}
				c.h.t.Logf("the standby %s did not get every event within 10 s (its view only; the record is checked next): %s", p.name, diff)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// settle waits until both instances run, one leads, the other stands by,
// and both see every desk.
func (c *chaosRun) settle() {
	c.h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var roles [2]string
		ok := true
		for i, p := range c.procs {
			select {
			case <-p.done:
				c.h.t.Fatalf("%s exited: %v\n%s", p.name, p.exit, p.logTail(30))
			default:
			}
			roles[i] = p.health().HA.Role
			ok = ok && p.settled()
		}
		if ok && (roles == [2]string{"leader", "standby"} || roles == [2]string{"standby", "leader"}) {
			return
		}
		if time.Now().After(deadline) {
			c.h.t.Fatalf("not settled within 30 s: roles %v", roles)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recorded waits until the leader's heartbeat in Redis is later than now:
// its record is complete up to here, so a standby's blindness before it
// (its start, a cut) is not blind time even if the leader dies next.
func (c *chaosRun) recorded() {
	c.h.t.Helper()
	now := time.Now()
	deadline := now.Add(10 * time.Second)
	for {
		hb, err := c.st.LastHeartbeat(context.Background())
		if err == nil && hb.After(now) {
			return
		}
		if time.Now().After(deadline) {
			c.h.t.Fatalf("the leader's heartbeat is %v (%v), not past %v", hb, err, now)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkBlind waits until every blind interval since began is closed and
// lies inside a window when no instance could see.
func (c *chaosRun) checkBlind(began time.Time) {
	c.h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		bl, err := c.st.Blind(context.Background(), began, time.Time{})
		bad := err != nil
		for _, iv := range bl {
			inside := false
			for _, w := range c.blindOK {
				inside = inside || !iv.Open() && !iv.Start.Before(w[0].Truncate(time.Millisecond)) && !iv.End.After(w[1])
			}
			bad = bad || !inside
		}
		if !bad {
			return
		}
		if time.Now().After(deadline) {
			c.h.t.Fatalf("blind intervals %v (%v) outside the windows when nobody saw: %v", bl, err, c.blindOK)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
