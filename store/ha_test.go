package store_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/monitor"
	"deskwatch/store"
)

// load drives the real monitor over a store at 1,000 transitions/s: the
// desks flip down and up in turn, one observation a millisecond, each at
// its own time, so every transition and span of the script is known.
type load struct {
	t     *testing.T
	st    *store.Store
	m     *monitor.Monitor
	eps   []string
	base  time.Time
	sent  atomic.Int64
	most  atomic.Int64 // the longest write queue seen
	stopM func()
}

const loadDesks = 20

func haLogger(t *testing.T) zerolog.Logger {
	if os.Getenv("DESKWATCH_TEST_LOG") == "" {
		return zerolog.Nop()
	}
	return zerolog.New(zerolog.NewTestWriter(t)).With().Timestamp().Logger()
}

// startLoad starts a monitor over st with every desk up, written.
func startLoad(t *testing.T, st *store.Store) *load {
	l := &load{t: t, st: st, base: time.Now().Add(-3 * time.Minute).Truncate(time.Millisecond)}
	var ws []health.Workstation
	for i := range loadDesks {
		id := fmt.Sprintf("op%03d", i)
		l.eps = append(l.eps, "PJSIP/"+id)
		ws = append(ws, health.Workstation{ID: id, Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/" + id}})
	}
	l.m = monitor.New(monitor.Options{Workstations: ws, Store: st, Logger: haLogger(t).With().Str("component", "monitor").Logger(),
		Heartbeat: 200 * time.Millisecond, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.m.Run(ctx); close(done) }()
	l.stopM = func() { cancel(); <-done }
	t.Cleanup(l.stopM)
	for _, ep := range l.eps {
		l.m.Input() <- health.Observation{Endpoint: ep, Source: health.SourceARI, Kind: health.KindOnline, Snapshot: true, At: l.base.Add(-time.Second)}
	}
	l.settled(loadDesks)
	return l
}

// feed sends observations at 1,000/s until stop is closed and returns
// how many it sent. It never fails the test: the test goroutine does.
func (l *load) feed(stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		start := time.Now()
		for {
			select {
			case <-stop:
				out <- l.sent.Load()
				return
			case now := <-tick.C:
				// Keep to the schedule, not to the ticks: a stall is made up.
				for due := int64(now.Sub(start) / time.Millisecond); l.sent.Load() < due; {
					i := l.sent.Load()
					kind := health.KindContactUnreachable
					if (i/loadDesks)%2 == 1 {
						kind = health.KindContactAvailable
					}
					l.m.Input() <- health.Observation{Endpoint: l.eps[i%loadDesks], Source: health.SourceARI, Kind: kind,
						Contact: "sip:x", At: l.base.Add(time.Duration(i) * time.Millisecond)}
					l.sent.Add(1)
				}
				l.most.Store(max(l.most.Load(), l.m.Stats().Queued))
			}
		}
	}()
	return out
}

// run feeds until after() returns (called on the test goroutine: it may
// kill a master and wait for the failover), then keeps feeding for tail.
func (l *load) run(after func(), tail time.Duration) int64 {
	stop := make(chan struct{})
	sent := l.feed(stop)
	after()
	mark := l.sent.Load()
	l.eventually(2*time.Minute, "the load to go on after the failover", func() bool {
		return l.sent.Load() >= mark+int64(tail/time.Millisecond)
	})
	close(stop)
	n := <-sent
	l.settled(loadDesks + n)
	return n
}

// settled waits until the monitor has decided n transitions and written
// every one of them.
func (l *load) settled(n int64) {
	l.eventually(2*time.Minute, fmt.Sprintf("%d transitions decided and written", n), func() bool {
		s := l.m.Stats()
		return s.Transitions == n && s.Queued == 0 && s.StoreOK
	})
}

func (l *load) eventually(timeout time.Duration, what string, cond func() bool) {
	l.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			l.t.Fatalf("timed out after %s waiting for %s; monitor %+v", timeout, what, l.m.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// check stops the monitor and compares the stored spans with the script
// of n observations: every span present once, with its end, none extra.
func (l *load) check(n int64) {
	l.t.Helper()
	l.stopM()
	type span struct{ start, end time.Time }
	want := map[string]span{}
	for i := int64(0); i < n; i++ {
		if (i/loadDesks)%2 == 1 {
			continue // an up
		}
		s := span{start: l.base.Add(time.Duration(i) * time.Millisecond)}
		if i+loadDesks < n {
			s.end = s.start.Add(loadDesks * time.Millisecond)
		}
		want[fmt.Sprintf("op%03d@%d", i%loadDesks, s.start.UnixMilli())] = s
	}
	got, err := l.st.Spans(context.Background(), store.SpanQuery{})
	if err != nil {
		l.t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, sp := range got {
		k := fmt.Sprintf("%s@%d", sp.Workstation, sp.Start.UnixMilli())
		w, ok := want[k]
		switch {
		case seen[k]:
			l.t.Errorf("span %s listed twice", sp.ID)
		case !ok:
			l.t.Errorf("span %s is not in the script", sp.ID)
		case !sp.End.Equal(w.end):
			l.t.Errorf("span %s ends at %v, want %v", sp.ID, sp.End, w.end)
		}
		seen[k] = true
	}
	for k := range want {
		if !seen[k] {
			l.t.Errorf("span %s of the script is missing", k)
		}
	}
	s := l.m.Stats()
	l.t.Logf("%d transitions, %d spans checked; %d failed writes retried, longest queue %d", n, len(want), s.WriteErrors, l.most.Load())
}
