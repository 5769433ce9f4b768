package monitor_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/monitor"
	"deskwatch/internal/redistest"
	"deskwatch/store"
)

var wss = []health.Workstation{{ID: "d1", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d1"}}}

type rig struct {
	t     *testing.T
	redis *redistest.Server
	st    *store.Store
	clock time.Time
}

func newRig(t *testing.T) *rig {
	r := &rig{t: t, redis: redistest.StartServer(t), clock: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	rdb := redis.NewClient(&redis.Options{Addr: r.redis.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	r.st = store.New(rdb, "m:", zerolog.Nop())
	return r
}

func (r *rig) run(now time.Time) (*monitor.Monitor, func()) { return r.runWith(now, nil) }

func (r *rig) runWith(now time.Time, onContact func(endpoint, contact string)) (*monitor.Monitor, func()) {
	m := monitor.New(monitor.Options{Workstations: wss, Store: r.st, Logger: zerolog.Nop(), Now: func() time.Time { return now },
		RetryMin: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond, Heartbeat: 50 * time.Millisecond, OnContact: onContact})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	return m, func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			r.t.Fatal("monitor did not stop")
		}
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func obs(at time.Time, k health.Kind, snapshot bool) health.Observation {
	return health.Observation{Endpoint: "PJSIP/d1", Source: health.SourceARI, Kind: k, At: at, Contact: "sip:d1@h", Snapshot: snapshot}
}

func (r *rig) spans() []health.Span {
	sp, err := r.st.Spans(context.Background(), store.SpanQuery{From: r.clock.Add(-time.Hour), To: r.clock.Add(time.Hour)})
	if err != nil {
		return nil
	}
	return sp
}

// While Redis is down the monitor keeps deciding, queues its writes in
// order, reports the failure, and writes everything once Redis is back.
func TestRedisOutageQueuesAndRecovers(t *testing.T) {
	r := newRig(t)
	m, stop := r.run(r.clock)
	defer stop()
	m.Input() <- obs(r.clock, health.KindOnline, true)
	m.Input() <- health.Observation{Source: health.SourceARI, Kind: health.KindSighted, At: r.clock}
	eventually(t, "up", func() bool { return m.Views()[0].State == health.StateUp })

	r.redis.Stop()
	t1 := r.clock.Add(10 * time.Second)
	m.Input() <- obs(t1, health.KindContactRemoved, false)
	eventually(t, "down while redis is down", func() bool { return m.Views()[0].State == health.StateDown })
	eventually(t, "write failure reported", func() bool { s := m.Stats(); return !s.StoreOK && s.Queued > 0 && s.WriteErrors > 0 })

	t2 := t1.Add(5 * time.Second)
	m.Input() <- obs(t2, health.KindContactAvailable, false)
	r.redis.Restart() // comes back empty: only what the monitor re-sends is there
	eventually(t, "queue flushed", func() bool { s := m.Stats(); return s.StoreOK && s.Queued == 0 })
	sp := r.spans()
	if len(sp) != 1 || !sp[0].Start.Equal(t1) || !sp[0].End.Equal(t2) || sp[0].Cause != health.CauseUnregistered {
		t.Fatalf("spans after recovery: %+v", sp)
	}
}

// After a stop, the next start records the time the monitor was not
// running as blind, and continues the open span.
func TestRestartRecordsGapAndContinuesSpan(t *testing.T) {
	r := newRig(t)
	m, stop := r.run(r.clock)
	m.Input() <- obs(r.clock, health.KindOffline, true)
	eventually(t, "span", func() bool { return len(r.spans()) == 1 })
	stop() // writes a last heartbeat at r.clock

	later := r.clock.Add(90 * time.Second)
	m2, stop2 := r.run(later)
	defer stop2()
	eventually(t, "restored", func() bool {
		v := m2.Views()[0]
		return v.Decided == health.StateDown && v.State == health.StateUnknown
	})
	eventually(t, "gap recorded", func() bool {
		b, _ := r.st.Blind(context.Background(), r.clock.Add(-time.Hour), later.Add(time.Hour))
		for _, iv := range b {
			if iv.Start.Equal(r.clock) && iv.End.Equal(later) {
				return true
			}
		}
		return false
	})
	m2.Input() <- obs(later.Add(time.Second), health.KindOffline, true)
	m2.Input() <- obs(later.Add(2*time.Second), health.KindContactAvailable, false)
	eventually(t, "closed", func() bool { s := r.spans(); return len(s) == 1 && !s[0].Open() })
	if s := r.spans(); !s[0].Start.Equal(r.clock) || !s[0].End.Equal(later.Add(2*time.Second)) {
		t.Fatalf("span %+v", s[0])
	}
}

// Observations for endpoints of no configured desk are counted and ignored.
func TestUnknownEndpointIgnored(t *testing.T) {
	r := newRig(t)
	m, stop := r.run(r.clock)
	defer stop()
	m.Input() <- health.Observation{Endpoint: "PJSIP/stranger", Source: health.SourceARI, Kind: health.KindOnline, Snapshot: true, At: r.clock}
	eventually(t, "ignored", func() bool { return m.Stats().Ignored == 1 })
	if len(r.spans()) != 0 {
		t.Fatal("a stranger opened a span")
	}
}

// The contacts Asterisk binds to configured endpoints reach OnContact, in
// order, from the loop; strangers, removed contacts and our probes' own
// contacts do not.
func TestContactsReachOnContact(t *testing.T) {
	r := newRig(t)
	got := make(chan string, 16)
	m, stop := r.runWith(r.clock, func(ep, c string) { got <- ep + " " + c })
	defer stop()
	aor := health.Observation{Endpoint: "PJSIP/d1", Source: health.SourceARI, Kind: health.KindAORContact, At: r.clock, Contact: "sip:d1@aor"}
	stranger := aor
	stranger.Endpoint = "PJSIP/stranger"
	probe := health.Observation{Endpoint: "PJSIP/d1", Source: health.SourceSIP, Kind: health.KindProbeOK, At: r.clock, Contact: "sip:d1@probed"}
	last := aor
	last.Contact = "sip:d1@last"
	for _, o := range []health.Observation{stranger, aor, obs(r.clock, health.KindContactRemoved, false), probe,
		obs(r.clock, health.KindContactUnreachable, false), obs(r.clock, health.KindContactAvailable, false), last} {
		m.Input() <- o
	}
	var all []string
	for len(all) == 0 || all[len(all)-1] != "PJSIP/d1 sip:d1@last" {
		select {
		case s := <-got:
			all = append(all, s)
		case <-time.After(10 * time.Second):
			t.Fatalf("OnContact got only %q", all)
		}
	}
	if want := []string{"PJSIP/d1 sip:d1@aor", "PJSIP/d1 sip:d1@h", "PJSIP/d1 sip:d1@h", "PJSIP/d1 sip:d1@last"}; !slices.Equal(all, want) {
		t.Fatalf("OnContact got %q, want %q", all, want)
	}
}

// lostReplies applies every other batch and then fails it, as when Redis
// ran the pipeline but the reply never arrived.
type lostReplies struct {
	*store.Store
	calls atomic.Int64
	most  atomic.Int64 // the most transitions of one desk in a batch
}

func (l *lostReplies) Apply(ctx context.Context, trs []health.Transition) error {
	per := map[string]int64{}
	for _, tr := range trs {
		per[tr.Workstation]++
		if per[tr.Workstation] > l.most.Load() {
			l.most.Store(per[tr.Workstation])
		}
	}
	if err := l.Store.Apply(ctx, trs); err != nil || l.calls.Add(1)%2 == 0 {
		return errors.Join(err, errors.New("reply lost"))
	}
	return nil
}

// A desk's transitions queued during an outage go out in batches the
// store's idempotency covers: retrying a batch whose reply was lost
// doubles nothing and closes no span early.
func TestRetriedBatchesStayWithinTheDedupWindow(t *testing.T) {
	r := newRig(t)
	st := &lostReplies{Store: r.st}
	m := monitor.New(monitor.Options{Workstations: wss, Store: st, Logger: zerolog.Nop(), Now: func() time.Time { return r.clock },
		RetryMin: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond, Heartbeat: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	m.Input() <- obs(r.clock, health.KindOnline, true)
	m.Input() <- health.Observation{Source: health.SourceARI, Kind: health.KindSighted, At: r.clock}
	eventually(t, "up", func() bool { s := m.Stats(); return s.StoreOK && s.Queued == 0 && m.Views()[0].State == health.StateUp })

	r.redis.Stop()
	// Far beyond the 64 transitions the store remembers, ending down: a
	// replayed old "up" would close the open span early.
	const flips = 301
	var starts []time.Time
	for i := 1; i <= flips; i++ {
		at := r.clock.Add(time.Duration(i) * time.Second)
		k := health.KindContactUnreachable
		if i%2 == 0 {
			k = health.KindContactAvailable
		} else {
			starts = append(starts, at)
		}
		m.Input() <- obs(at, k, false)
	}
	eventually(t, "all decided", func() bool { return m.Stats().Transitions == flips+1 })
	r.redis.Restart()
	eventually(t, "queue flushed", func() bool { s := m.Stats(); return s.StoreOK && s.Queued == 0 })

	sp := r.spans()
	slices.Reverse(sp) // oldest first
	if len(sp) != len(starts) {
		t.Fatalf("%d spans, want %d", len(sp), len(starts))
	}
	for i, s := range sp {
		end := starts[i].Add(time.Second)
		if i == len(sp)-1 {
			end = time.Time{} // still open
		}
		if !s.Start.Equal(starts[i]) || !s.End.Equal(end) {
			t.Fatalf("span %d = %v..%v, want %v..%v", i, s.Start, s.End, starts[i], end)
		}
	}
	if most := st.most.Load(); most > store.MaxBatchPerDesk {
		t.Fatalf("a batch held %d transitions of one desk, more than %d", most, store.MaxBatchPerDesk)
	}
}
