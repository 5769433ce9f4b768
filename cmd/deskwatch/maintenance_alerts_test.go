package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// waitLong is waitFor with its own deadline, for what follows the
// journal's settle time or a window's end.
func (h *harness) waitLong(what string, within time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// declare declares a window through the API and returns its id and end.
func (h *harness) declare(body map[string]any) (string, time.Time) {
	h.t.Helper()
	var w struct {
		ID string `json:"id"`
		To string `json:"to"`
	}
	if code := h.do("POST", "/api/v1/maintenance", h.token, body, &w); code != 201 {
		h.t.Fatalf("declare %v: %d", body, code)
	}
	to, err := time.Parse(time.RFC3339Nano, w.To)
	if err != nil {
		h.t.Fatal(err)
	}
	return w.ID, to
}

// A window declared through the API for a desk, and one for a hotline,
// silence desk_down and hotline_short while they hold: a desk outside
// them going down in the same run does fire, so the pipeline was live.
// The outages are recorded and planned in the API, and the journal's own
// records name the windows (and `journal verify` passes). When the windows
// end by the clock, the desks still down fire, no earlier than the end,
// and resolve when they come back: nothing is lost, only held.
func TestMaintenanceSilencesAlertsEndToEnd(t *testing.T) {
	hookURL, events := webhookRecorder(t)
	h := newHarness(t, "op122-01", "op122-02", "op117-01")
	h.extraYAML = `alerts:
  rules:
    - {name: desk-down, kind: desk_down, for: 1s, channels: [hook]}
    - {name: short-117, kind: hotline_short, hotline: "117", min_up: 1, for: 1s, channels: [hook]}
  channels:
    webhook:
      - {name: hook, url: "` + hookURL + `", timeout: 2s}
`
	registerAll(t, h)
	h.start()
	for _, p := range h.phones {
		h.waitFor(p+" up", func() bool { return h.desk(p).State == "up" })
	}

	// 20 s: room for the control desk to fire (hold 1 s, one tick) on a
	// busy machine while the windows hold.
	now := time.Now().UTC()
	deskWin, end := h.declare(map[string]any{"workstations": []string{"op122-01"}, "from": ts(now), "to": ts(now.Add(20 * time.Second)), "reason": "замена телефона"})
	lineWin, _ := h.declare(map[string]any{"hotlines": []string{"117"}, "from": ts(now), "to": ts(now.Add(20 * time.Second)), "reason": "обновление АТС"})
	for _, p := range []string{"op122-01", "op117-01"} {
		if err := h.pbx.Unregister(p); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("the planned desks down", func() bool { return h.desk("op122-01").State == "down" && h.desk("op117-01").State == "down" })
	if err := h.pbx.Unregister("op122-02"); err != nil {
		t.Fatal(err)
	}
	firing := func(id string) (map[string]any, bool) {
		for _, ev := range events() {
			if ev["id"] == id && ev["kind"] == "firing" {
				return ev, true
			}
		}
		return nil, false
	}
	h.waitFor("the control desk's alert", func() bool { _, ok := firing("desk-down/desk/op122-02"); return ok })
	if time.Now().After(end) {
		t.Fatalf("the control desk fired only after the windows ended (%v): the machine is too slow for this test's 20 s window", end)
	}
	for _, ev := range events() {
		if ev["id"] != "desk-down/desk/op122-02" {
			t.Errorf("an alert while the windows hold: %v", ev)
		}
	}

	// The outages are recorded and marked planned in the API.
	for desk, want := range map[string][]string{"op122-01": {deskWin}, "op117-01": {lineWin}, "op122-02": nil} {
		var outs struct{ Outages []plannedOutage }
		h.waitFor(desk+"'s outage recorded", func() bool {
			outs.Outages = nil
			h.get("/api/v1/outages?workstation="+desk, &outs)
			return len(outs.Outages) == 1
		})
		if o := outs.Outages[0]; o.Planned != (want != nil) || !slices.Equal(o.Maintenance, want) {
			t.Errorf("%s's outage %+v, want planned in %v", desk, o, want)
		}
	}

	// The windows end by the clock: the desks still down fire, not before.
	ids := []string{"desk-down/desk/op122-01", "desk-down/desk/op117-01", "short-117/hotline/117"}
	h.waitLong("the alerts after the windows", time.Until(end)+15*time.Second, func() bool {
		for _, id := range ids {
			if _, ok := firing(id); !ok {
				return false
			}
		}
		return true
	})
	for _, id := range ids {
		ev, _ := firing(id)
		at, err := time.Parse(time.RFC3339Nano, ev["at"].(string))
		if err != nil || at.Before(end) {
			t.Errorf("%s fired at %v, before the window's end %v (%v)", id, ev["at"], end, err)
		}
	}
	for _, p := range []string{"op122-01", "op117-01", "op122-02"} {
		h.pbx.Register(p, "sip:"+p+"@127.0.0.1:5100")
	}
	h.waitLong("every alert resolved", 15*time.Second, func() bool {
		n := 0
		for _, ev := range events() {
			if ev["kind"] == "resolved" {
				n++
			}
		}
		return n >= 4
	})
	if evs := events(); len(evs) != 8 {
		t.Errorf("%d alerts, want each of the four fired and resolved once: %v", len(evs), evs)
	}
	checkPlannedJournal(t, h, map[string]string{"op122-01": deskWin, "op117-01": lineWin, "op122-02": ""})
}

// checkPlannedJournal waits for the journal to record each desk's span and
// checks that the span's first record names its window (none: ""), that
// the maintenance records name the authenticated caller, and that
// `deskwatch journal verify` passes.
func checkPlannedJournal(t *testing.T, h *harness, want map[string]string) {
	t.Helper()
	type record struct {
		Kind    string          `json:"kind"`
		Actor   string          `json:"actor"`
		Payload json.RawMessage `json:"payload"`
	}
	var jr struct {
		Journal []struct {
			Planned []string `json:"planned"`
			History []record `json:"history"`
		}
	}
	added := map[string]json.RawMessage{}
	h.waitLong("the journal's records of the spans", 40*time.Second, func() bool {
		jr.Journal = nil
		from, to := time.Now().Add(-time.Hour).UTC(), time.Now().Add(time.Hour).UTC()
		h.get("/api/v1/journal?from="+ts(from)+"&to="+ts(to), &jr)
		for _, e := range jr.Journal {
			for _, r := range e.History {
				var p struct{ Desk string }
				if r.Kind == "span_added" && json.Unmarshal(r.Payload, &p) == nil {
					added[p.Desk] = r.Payload
				}
			}
		}
		return len(added) == len(want)
	})
	for desk, win := range want {
		var p struct {
			Planned []string `json:"planned"`
		}
		json.Unmarshal(added[desk], &p)
		if (win == "" && len(p.Planned) != 0) || (win != "" && !slices.Equal(p.Planned, []string{win})) {
			t.Errorf("%s's span_added %s, want planned %q", desk, added[desk], win)
		}
	}
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr()})
	defer rdb.Close()
	for _, win := range want {
		if win == "" {
			continue
		}
		seqs, err := rdb.LRange(context.Background(), "dwtest:{journal}:e:"+win, 0, -1).Result()
		if err != nil || len(seqs) == 0 {
			t.Fatalf("the chain's records of %s: %v %v", win, seqs, err)
		}
		if rec := rdb.HGetAll(context.Background(), "dwtest:{journal}:r:"+seqs[0]).Val(); rec["kind"] != "maintenance" || rec["actor"] != "duty" || rec["by"] != "duty" {
			t.Errorf("the declaration of %s: %v", win, rec)
		}
	}
	cfg := filepath.Join(t.TempDir(), "deskwatch.yaml")
	if err := os.WriteFile(cfg, []byte(h.configText()), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if rc := run([]string{"journal", "verify", "-config", cfg}, &out, &errb); rc != 0 || !strings.Contains(out.String(), "is intact") {
		t.Fatalf("journal verify: rc %d\n%s\n%s", rc, out.String(), errb.String())
	}
}

// The board hears a window start and end by the clock, with no API call
// and no transition: the stream sends the desk with its maintenance mark
// at the start and without it at the end.
func TestBoardFollowsMaintenanceByTheClock(t *testing.T) {
	h := liveDaemon(t, "op122-01", "op122-02")
	from := time.Now().Add(2 * time.Second).UTC()
	to := from.Add(2 * time.Second)
	id, _ := h.declare(map[string]any{"workstations": []string{"op122-01"}, "from": ts(from), "to": ts(to), "reason": "замена гарнитуры"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := h.stream(ctx)
	var snap struct {
		Workstations []struct {
			ID          string `json:"id"`
			Maintenance string `json:"maintenance"`
		}
	}
	if ev := next(t, events, 5*time.Second); ev.event != "snapshot" || json.Unmarshal([]byte(ev.data), &snap) != nil {
		t.Fatalf("first event %+v", ev)
	}
	wants := []struct {
		mark  string
		after time.Time
	}{{id, from}, {"", to}}
	for _, w := range snap.Workstations {
		switch {
		case w.ID != "op122-01":
		case w.Maintenance == id: // a slow machine: the window began before the stream
			wants = wants[1:]
		case w.Maintenance != "":
			t.Fatalf("snapshot %+v", snap.Workstations)
		}
	}
	for _, want := range wants {
		for {
			ev := next(t, events, 10*time.Second)
			var d struct {
				ID          string `json:"id"`
				Maintenance string `json:"maintenance"`
			}
			if ev.event != "workstation" || json.Unmarshal([]byte(ev.data), &d) != nil || d.ID != "op122-01" || d.Maintenance != want.mark {
				continue
			}
			if time.Now().Before(want.after) {
				t.Fatalf("maintenance %q sent before %v", want.mark, want.after)
			}
			break
		}
	}
}
