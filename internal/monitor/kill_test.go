package monitor_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/monitor"
	"deskwatch/store"
)

// childEnv makes the test binary a deskwatch monitor that decides as fast
// as it can and prints every decision once it is made (TestMain).
const childEnv = "DESKWATCH_MONITOR_KILL_CHILD"

type childSpec struct {
	Dir, Redis string
	Base       time.Time // time of the child's first observation
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(child(spec))
	}
	os.Exit(m.Run())
}

var killDesks = func() []health.Workstation {
	var ws []health.Workstation
	for i := range 10 {
		ws = append(ws, health.Workstation{ID: fmt.Sprintf("d%d", i), Hotlines: []string{"122"}, Endpoints: []string{fmt.Sprintf("PJSIP/d%d", i)}})
	}
	return ws
}()

// child runs a monitor on the spool in spec.Dir with Redis unreachable and
// feeds it flapping desks and a flapping SIP blindness until killed. It
// prints "T desk state unixnano" for each transition and "B open|close
// unixnano" for each blind interval change as the loop reports them: from
// then on the decision was made, and anyone could have seen it.
func child(spec string) int {
	var s childSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rdb := redis.NewClient(&redis.Options{Addr: s.Redis, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	// Blind changes sent, in order: the loop reports them in the same order.
	blinds := make(chan string, 1<<16)
	started := false
	m := monitor.New(monitor.Options{Workstations: killDesks, Store: store.New(rdb, "k:", zerolog.Nop()),
		Logger: zerolog.New(os.Stderr).Level(zerolog.WarnLevel), SpoolDir: s.Dir,
		Heartbeat: 20 * time.Millisecond, RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond,
		// os.Stdout is unbuffered: a line is one write(2), sent once printed.
		OnTransitions: func(trs []health.Transition) {
			for _, t := range trs {
				fmt.Fprintf(os.Stdout, "T %s %s %d\n", t.Workstation, t.To, t.At.UnixNano())
			}
		},
		OnBlindChange: func() {
			if !started { // the monitor's own ARI blindness at start
				started = true
				return
			}
			fmt.Fprintln(os.Stdout, <-blinds)
		}})
	go func() {
		if err := m.Run(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "run:", err)
			os.Exit(3)
		}
	}()
	for k := 0; ; k++ {
		at := s.Base.Add(time.Duration(k) * time.Millisecond)
		if k%50 == 49 {
			kind, word := health.KindBlind, "open"
			if k%100 == 99 {
				kind, word = health.KindSighted, "close"
			}
			blinds <- fmt.Sprintf("B %s %d", word, at.UnixNano())
			m.Input() <- health.Observation{Source: health.SourceSIP, Kind: kind, At: at}
			continue
		}
		kind := health.KindContactRemoved
		if (k/10)%2 == 1 {
			kind = health.KindContactAvailable
		}
		ep := fmt.Sprintf("PJSIP/d%d", k%10)
		m.Input() <- health.Observation{Endpoint: ep, Source: health.SourceARI, Kind: kind, At: at, Contact: "sip:" + ep + "@h"}
	}
}

// made is what the children printed.
type made struct {
	downs, ups  map[string][]time.Time // desk -> transition times
	opens       []time.Time
	closes      map[time.Time]time.Time // open -> close, when printed
	transitions int
}

func (d *made) parse(t *testing.T, line string) {
	f := strings.Fields(line)
	ns, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err != nil || len(f) < 3 {
		t.Fatalf("child printed %q", line)
	}
	at := time.Unix(0, ns).UTC()
	switch {
	case f[0] == "T" && f[2] == string(health.StateDown):
		d.downs[f[1]] = append(d.downs[f[1]], at)
		d.transitions++
	case f[0] == "T":
		d.ups[f[1]] = append(d.ups[f[1]], at)
		d.transitions++
	case f[1] == "open":
		d.opens = append(d.opens, at)
	default:
		d.closes[d.opens[len(d.opens)-1]] = at
	}
}

// Issue 9: kill -9 at any moment loses no decision that was made. Children
// decide with Redis unreachable and are killed mid-stream, three times over
// the same spool; then this process, with Redis up, replays it: every
// transition and blind interval a child printed is in Redis at its exact
// time, and each restart's gap is recorded as blind.
func TestKill9LosesNoDecision(t *testing.T) {
	r := newRig(t)
	r.redis.Stop() // its port is closed while the children run
	dir := t.TempDir()
	d := &made{downs: map[string][]time.Time{}, ups: map[string][]time.Time{}, closes: map[time.Time]time.Time{}}
	rng := rand.New(rand.NewPCG(9, 13))
	const rounds = 3
	for round := range rounds {
		spec, _ := json.Marshal(childSpec{Dir: dir, Redis: r.redis.Addr(), Base: r.clock.Add(time.Duration(round) * time.Hour)})
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 200 + rng.IntN(2000)
		sc := bufio.NewScanner(stdout)
		for n := 0; sc.Scan(); n++ {
			if n == killAfter {
				if err := cmd.Process.Kill(); err != nil { // SIGKILL
					t.Fatal(err)
				}
			}
			d.parse(t, sc.Text()) // what was printed before the kill too
		}
		if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("child %d: %v (killed after %d lines)\n%s", round, err, killAfter, stderr.String())
		}
		if strings.Contains(stderr.String(), "run:") {
			t.Fatalf("child %d failed:\n%s", round, stderr.String())
		}
		t.Logf("round %d: killed after %d lines, %d decisions so far", round, killAfter, d.transitions)
	}

	r.redis.Restart()
	r.clock = time.Now().UTC()
	m, _, _ := r.start(func(o *monitor.Options) { o.SpoolDir, o.Workstations = dir, killDesks; o.Now = time.Now })
	eventually(t, "replayed", func() bool { s := m.Stats(); return s.StoreOK && s.Queued == 0 })
	ctx := context.Background()
	all, err := r.st.Spans(ctx, store.SpanQuery{})
	if err != nil {
		t.Fatal(err)
	}
	starts, ends := map[string]map[time.Time]bool{}, map[string]map[time.Time]bool{}
	for _, s := range all {
		if starts[s.Workstation] == nil {
			starts[s.Workstation], ends[s.Workstation] = map[time.Time]bool{}, map[time.Time]bool{}
		}
		starts[s.Workstation][s.Start] = true
		if !s.Open() {
			ends[s.Workstation][s.End] = true
		}
	}
	missing := 0
	for ws, ts := range d.downs {
		for _, at := range ts {
			if !starts[ws][at] {
				t.Errorf("%s went down at %s: no span starts then", ws, at.Format(time.RFC3339Nano))
				missing++
			}
		}
	}
	for ws, ts := range d.ups {
		for _, at := range ts {
			if !ends[ws][at] {
				t.Errorf("%s came back at %s: no span ends then", ws, at.Format(time.RFC3339Nano))
				missing++
			}
		}
	}
	blind, err := r.st.BlindOf(ctx, time.Time{}, time.Time{}, health.SourceSIP)
	if err != nil {
		t.Fatal(err)
	}
	// An opening finds the interval that holds it: its own, or one a kill
	// left open (the store keeps an open interval); a printed closing ends it.
	for _, open := range d.opens {
		want, closed := d.closes[open]
		found := false
		for _, iv := range blind {
			if !iv.Start.After(open) && (iv.Open() || !iv.End.Before(open)) {
				found = !closed || iv.End.Equal(want)
				break
			}
		}
		if !found {
			t.Errorf("SIP blind from %s (to %s, printed %v): not stored as such in %v", open.Format(time.RFC3339Nano), want, closed, blind)
			missing++
		}
	}
	if missing > 0 || d.transitions == 0 || len(d.opens) == 0 {
		t.Fatalf("%d of %d decisions missing (%d blind intervals)", missing, d.transitions+len(d.opens), len(d.opens))
	}
	gaps, _ := r.st.BlindOf(ctx, time.Time{}, time.Time{}, health.SourceMonitor)
	if len(gaps) < rounds {
		t.Fatalf("restart gaps %v, want one per restart after a kill", gaps)
	}
}
