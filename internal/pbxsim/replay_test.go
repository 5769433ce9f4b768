package pbxsim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestReplay(t *testing.T) {
	const speed = 50
	base := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := &fakeClock{t: base}
	srv := startLab(t, func(o *Options) { o.Clock = clk.Now })
	all := dial(t, srv, "app=probe&subscribeAll=true")
	techC := dial(t, srv, "app=probe-tech")
	one := dial(t, srv, "app=probe-ep")
	none := dial(t, srv, "app=probe-none")
	subscribe(t, srv, http.MethodPost, "probe-tech", "endpoint:PJSIP")
	subscribe(t, srv, http.MethodPost, "probe-ep", "endpoint:PJSIP/op122-01")

	lines := fixtureLines(t, "ari-events.jsonl")
	ctx, cancel := contextTimeout(10 * time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Replay(ctx, bytes.NewReader(fixture(t, "ari-events.jsonl")), speed); err != nil {
		t.Fatal(err)
	}

	orig := func(b []byte) time.Time {
		ts, _ := generic(t, b).(map[string]any)["timestamp"].(string)
		at, err := time.Parse(TimeFormat, ts)
		if err != nil {
			t.Fatalf("timestamp %q: %v", ts, err)
		}
		return at
	}
	first := orig(lines[0])
	var lag []time.Duration // arrival minus schedule, per line
	for i, line := range lines {
		r := all.nextRec(t)
		off := time.Duration(float64(orig(line).Sub(first)) / speed)
		if want := base.Add(off).Format(TimeFormat); !contains(r.b, `"timestamp":"`+want+`"`) {
			t.Errorf("line %d: timestamp not rewritten to %s: %s", i+1, want, r.b)
		}
		// Same event otherwise, application rewritten to the receiver.
		g, w := norm(t, r.b), norm(t, line)
		if canonMap(g) != canonMap(w) {
			t.Errorf("line %d:\n got  %s\n want %s", i+1, r.b, line)
		}
		checkDecode(t, r.b, time.Time{}, "probe")
		lag = append(lag, r.at.Sub(start)-off)
	}
	// Pacing: no line leaves before its slot (a replay that ignored the
	// recording's timing would send the later lines seconds early). That
	// bound holds on any machine; how late a line is depends on how busy
	// the machine is, so lateness is only logged.
	var worst time.Duration
	for i, l := range lag {
		if l < -time.Millisecond {
			t.Errorf("line %d arrived %v before its slot", i+1, -l)
		}
		worst = max(worst, l)
	}
	t.Logf("latest line %v after its slot", worst)
	all.quiet(t, 30*time.Millisecond)

	// endpoint:PJSIP gets the Contact/Peer lines, no device states.
	for _, line := range lines {
		if contains(line, `"DeviceStateChanged"`) {
			continue
		}
		got := techC.next(t)
		if !contains(got, `"application":"probe-tech"`) || norm(t, got)["type"] != norm(t, line)["type"] {
			t.Fatalf("probe-tech got %s for %s", got, line)
		}
	}
	techC.quiet(t, 30*time.Millisecond)
	one.take(t, 3) // lines 1-3 are the only op122-01 ones
	one.quiet(t, 30*time.Millisecond)
	none.quiet(t, 30*time.Millisecond)

	// REST follows the replayed state.
	_, body := get(t, srv, "/endpoints")
	sameJSON(t, "endpoints after replay", body, fixture(t, "ari-endpoints-final.json"))
	if st, _ := srv.State("op117-01"); st.ContactStatus != StatusUnreachable || st.Contact != "sip:op117-01@127.0.0.1:5201" {
		t.Errorf("op117-01 after replay: %+v", st)
	}
	if st, _ := srv.State("op122-02"); st.Contact != "" {
		t.Errorf("op122-02 after replay: %+v", st)
	}
}

func canonMap(m map[string]any) string {
	delete(m, "application")
	b, _ := json.Marshal(m)
	return string(b)
}

func TestReplayAddsUnknownEndpoints(t *testing.T) {
	srv := startLab(t, func(o *Options) { o.Endpoints = nil })
	c := dial(t, srv, "app=probe-tech")
	subscribe(t, srv, http.MethodPost, "probe-tech", "endpoint:PJSIP")
	if err := srv.Replay(context.Background(), bytes.NewReader(fixture(t, "run2-tech-subscription.jsonl")), 1e6); err != nil {
		t.Fatal(err)
	}
	want := fixtureLines(t, "run2-tech-subscription.jsonl")
	sameEvents(t, "replayed", c.take(t, len(want)), want, true)
	if st, ok := srv.State("op122-06"); !ok || st.State != "offline" || st.Contact != "" {
		t.Fatalf("op122-06: %+v %v", st, ok)
	}
}

func TestReplayErrors(t *testing.T) {
	srv := startLab(t, nil)
	good := string(fixtureLines(t, "ari-events.jsonl")[0])
	for in, want := range map[string]string{
		good + "\n\nnot json\n":                            "line 3",
		good + "\n{\"timestamp\":\"2026-11-27\"}\n":        "line 2",
		good + "\n{\"type\":\"X\",\"timestamp\":\"yo\"}\n": "line 2",
	} {
		err := srv.Replay(context.Background(), strings.NewReader(in), 1000)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Replay(%q) = %v, want error naming %s", in, err, want)
		}
	}
	if err := srv.Replay(context.Background(), strings.NewReader(good), 0); err == nil {
		t.Error("speed 0 accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := good + "\n" + string(fixtureLines(t, "ari-events.jsonl")[27])
	if err := srv.Replay(ctx, strings.NewReader(in), 1); err != context.Canceled {
		t.Errorf("cancelled replay: %v", err)
	}
}
