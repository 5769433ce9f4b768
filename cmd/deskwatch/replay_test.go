package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const replaySpeed = 20

// fixtureTime is a recorded ARI timestamp.
func fixtureTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02T15:04:05.000-0700", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type wantSpan struct {
	ws         string
	start, end string // recorded timestamps; "" start: the connect snapshot; "" end: open
	cause      string
}

// replayFixture plays a real recording through pbxsim at replaySpeed and
// checks the spans against those its README describes, the recorded times
// mapped onto the replay's clock.
func replayFixture(t *testing.T, file string, desks []string, want []wantSpan) {
	h := newHarness(t, desks...)
	h.start()
	connected := time.Now()
	for _, d := range desks {
		h.waitFor(d+" down (not registered yet)", func() bool { return h.desk(d).State == "down" })
	}
	f, err := os.Open(filepath.Join("..", "..", "testdata", "ari", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base := time.Now().Add(50 * time.Millisecond)
	h.at(base) // the replay rewrites timestamps from pbxsim's clock at its start
	if err := h.pbx.Replay(context.Background(), f, replaySpeed); err != nil {
		t.Fatal(err)
	}
	var first time.Time
	for _, w := range want { // the first recorded line is the first want's end
		if w.end != "" {
			first = fixtureTime(t, w.end)
			break
		}
	}
	mapped := func(s string) time.Time {
		return base.Add(time.Duration(float64(fixtureTime(t, s).Sub(first)) / replaySpeed))
	}
	for _, d := range desks {
		var exp []wantSpan
		for _, w := range want {
			if w.ws == d {
				exp = append(exp, w)
			}
		}
		h.waitFor(d+" spans", func() bool { return len(h.outagesOf(d)) == len(exp) })
		got := h.outagesOf(d)
		for i, w := range exp {
			g := got[len(got)-1-i] // newest first
			start, _ := time.Parse(time.RFC3339Nano, g.Start)
			if w.start == "" {
				if start.Before(connected.Add(-5*time.Second)) || start.After(base) {
					t.Errorf("%s span %d starts %v: want the connect snapshot", d, i, start)
				}
			} else if d := start.Sub(mapped(w.start)); d < -2*time.Millisecond || d > 2*time.Millisecond {
				t.Errorf("%s span %d starts %v, want %v (recorded %s)", w.ws, i, start, mapped(w.start), w.start)
			}
			if w.end == "" {
				if g.End != nil {
					t.Errorf("%s span %d closed at %s, want open", w.ws, i, *g.End)
				}
			} else {
				if g.End == nil {
					t.Errorf("%s span %d open, want closed at %s", w.ws, i, w.end)
					continue
				}
				end, _ := time.Parse(time.RFC3339Nano, *g.End)
				if d := end.Sub(mapped(w.end)); d < -2*time.Millisecond || d > 2*time.Millisecond {
					t.Errorf("%s span %d ends %v, want %v (recorded %s)", w.ws, i, end, mapped(w.end), w.end)
				}
			}
			if g.Cause != w.cause {
				t.Errorf("%s span %d cause %q, want %q", w.ws, i, g.Cause, w.cause)
			}
		}
	}
}

// ari-events.jsonl (subscribeAll): three phones register; op122-02
// un-registers (Removed); op117-01 is killed (Unreachable 4.9 s later);
// op122-03 registers for 30 s and expires (Removed 33 s later).
func TestReplayRecordedSubscribeAll(t *testing.T) {
	replayFixture(t, "ari-events.jsonl", []string{"op122-01", "op122-02", "op122-03", "op117-01"}, []wantSpan{
		{"op122-01", "", "2026-11-27T16:04:17.115+0000", "offline"},
		{"op122-02", "", "2026-11-27T16:04:26.188+0000", "offline"},
		{"op122-02", "2026-11-27T16:05:00.212+0000", "", "unregistered"},
		{"op117-01", "", "2026-11-27T16:04:35.248+0000", "offline"},
		{"op117-01", "2026-11-27T16:05:23.251+0000", "", "unreachable"},
		{"op122-03", "", "2026-11-27T16:05:40.679+0000", "offline"},
		{"op122-03", "2026-11-27T16:06:13.741+0000", "", "unregistered"},
	})
}

// run2-tech-subscription.jsonl (endpoint:PJSIP): op122-06 registers and
// un-registers; op117-01 re-registers, is killed, and is un-registered while
// Unreachable (one span: unreachable, then removed).
func TestReplayRecordedTechSubscription(t *testing.T) {
	replayFixture(t, "run2-tech-subscription.jsonl", []string{"op122-06", "op117-01"}, []wantSpan{
		{"op122-06", "", "2026-11-27T16:07:42.892+0000", "offline"},
		{"op122-06", "2026-11-27T16:07:54.089+0000", "", "unregistered"},
		// EndpointStateChange online arrives 1 ms before the contact
		// event, which decides.
		{"op117-01", "", "2026-11-27T16:08:05.250+0000", "offline"},
		{"op117-01", "2026-11-27T16:08:18.250+0000", "", "unreachable"},
	})
}
