package journal_test

import (
	"context"
	"deskwatch/internal/logtest"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

// fakeSource serves the spans overlapping the asked range, as the store does.
type fakeSource struct {
	mu    sync.Mutex
	spans map[string]health.Span
	err   error
	calls [][2]time.Time
}

func newSource(spans ...health.Span) *fakeSource {
	f := &fakeSource{spans: map[string]health.Span{}}
	f.put(spans...)
	return f
}

func (f *fakeSource) put(spans ...health.Span) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range spans {
		f.spans[s.ID] = s
	}
}

func (f *fakeSource) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeSource) Spans(_ context.Context, from, to time.Time) ([]health.Span, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, [2]time.Time{from, to})
	if f.err != nil {
		return nil, f.err
	}
	var out []health.Span
	for _, s := range f.spans {
		if s.Start.Before(to) && (s.Open() || s.End.After(from)) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeSource) firstCall() [2]time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[0]
}

// follow runs Follow until the test ends and checks that it returned nil.
func follow(t *testing.T, j *journal.Journal, src journal.SpanSource) {
	t.Helper()
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- j.Follow(fctx, src, 10*time.Millisecond) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Follow returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Follow did not stop")
		}
	})
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func recent(desk string, ago time.Duration, cause health.Cause) health.Span {
	start := time.Now().Add(-ago).UTC().Truncate(time.Millisecond)
	return health.Span{ID: desk + "-" + start.Format("20060102T150405.000Z"), Workstation: desk, Start: start,
		Cause: cause, Sources: []health.Source{health.SourceARI}}
}

func count(j *journal.Journal) int {
	es, err := j.Entries(ctx, time.Time{}, time.Time{})
	if err != nil {
		return -1
	}
	return len(es)
}

func TestFollow(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := newJournal(t, rdb, prefix, func(o *journal.Options) { o.Margin = time.Minute; o.RescanEvery = -1 })
	old := recent("op122-01", 2*time.Hour, health.CauseUnregistered)
	old.End = old.Start.Add(time.Minute)
	ongoing := recent("op122-02", time.Minute, health.CauseUnreachable)
	src := newSource(old, ongoing)
	start := time.Now()
	follow(t, j, journal.SpanSourceFunc(src.Spans))

	eventually(t, "the first pass", func() bool { return count(j) == 2 })
	if first := src.firstCall(); start.Sub(first[0]) < journal.DefaultLookback-time.Minute {
		t.Errorf("first pass read from %v: want about Lookback back", first[0])
	}

	src.put(recent("op117-01", 30*time.Second, health.CauseOffline))
	eventually(t, "a new span", func() bool { return count(j) == 3 })
	ongoing.End = time.Now()
	src.put(ongoing)
	eventually(t, "the span's end", func() bool {
		e, err := j.Entry(ctx, ongoing.Start.In(irkutsk).Year(), 2)
		return err == nil && !e.Ongoing()
	})
	// Later passes read from the checkpoint, less the margin.
	src.mu.Lock()
	last := src.calls[len(src.calls)-1]
	src.mu.Unlock()
	if d := last[1].Sub(last[0]); d < time.Minute || d > time.Minute+time.Second {
		t.Errorf("a later pass read [%v, %v)", last[0], last[1])
	}
	if cp := rdb.HGet(ctx, prefix+":{journal}:follow", "checkpoint").Val(); cp == "" {
		t.Error("no checkpoint in Redis")
	}
}

func TestFollowRescan(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix, func(o *journal.Options) {
		o.Margin, o.RescanEvery = time.Minute, 200*time.Millisecond
	})
	old := recent("op122-01", 30*24*time.Hour, health.CauseOffline)
	old.End = old.Start.Add(time.Hour)
	src := newSource(old)
	follow(t, j, src)
	eventually(t, "the old span", func() bool { return count(j) == 1 })

	// An exclusion set a month later, far outside the margin.
	old.Exclusion = &health.Exclusion{Category: "power", Reason: "Авария электросети", By: "Петрова", At: time.Now()}
	src.put(old)
	eventually(t, "the exclusion, by a rescan", func() bool {
		es, err := j.Entries(ctx, time.Time{}, time.Time{})
		return err == nil && len(es) == 1 && es[0].Excluded()
	})
}

func TestFollowSurvivesOutages(t *testing.T) {
	srv := redistest.StartServer(t)
	var logs logtest.Buffer
	j, err := journal.New(newClient(t, srv.Addr()), journal.Options{Prefix: prefix, Location: irkutsk}, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	src := newSource(recent("op122-01", time.Minute, health.CauseUnregistered))
	follow(t, j, src)
	eventually(t, "the first span", func() bool { return count(j) == 1 })

	src.fail(errors.New("store: spans: connection refused"))
	eventually(t, "the failure logged", func() bool { return strings.Contains(logs.String(), "retrying") })
	srv.Stop()
	src.fail(nil)
	src.put(recent("op122-02", 50*time.Second, health.CauseOffline))
	time.Sleep(100 * time.Millisecond)
	srv.Restart() // empty again: Follow starts over from Lookback

	eventually(t, "both spans after the outage", func() bool { return count(j) == 2 })
	out := logs.String()
	if !strings.Contains(out, "connection refused") || !strings.Contains(out, "retrying") || !strings.Contains(out, "recovered") {
		t.Errorf("logs:\n%s", out)
	}
	if strings.Count(out, "retrying") > 2 {
		t.Errorf("failures logged more than once a minute:\n%s", out)
	}
}

func TestFollowLeavesOutInvalidSpans(t *testing.T) {
	var logs logtest.Buffer
	j, err := journal.New(newClient(t, redistest.Start(t)), journal.Options{Prefix: prefix, Location: irkutsk}, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	bad := recent("op122-01", time.Minute, "")
	follow(t, j, newSource(bad, recent("op122-02", time.Minute, health.CauseOffline)))
	eventually(t, "the valid span", func() bool { return count(j) == 1 })
	time.Sleep(50 * time.Millisecond) // a few more passes
	if strings.Count(logs.String(), "invalid span left out") != 1 {
		t.Errorf("logs:\n%s", logs.String())
	}
}
