package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A reload that changes a schedule's shifts (the desk names the same
// schedule, so the desks are unchanged) takes effect at once: the board's
// stream ends and the board gets the desk on shift, the API says so, and
// desk_down, quiet while the desk was off shift, fires.
func TestReloadRefreshesSchedules(t *testing.T) {
	hookURL, events := webhookRecorder(t)
	r := newReloadRig(t, "op122-01", "op122-02") // no phone registered: both down
	days := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	allDay := "  shift: {weekly: {" + strings.Join(days, `: ["00:00-24:00"], `) + `: ["00:00-24:00"]}}` + "\n"
	r.extraYAML = "schedules:\n  shift: {dates: {\"2000-01-03\": [\"09:00-18:00\"]}}\n" + deskDownAlertYAML(hookURL, "1s")
	r.deskYAML = map[string]string{"op122-01": ", schedule: shift"}
	r.write()
	r.startd()
	firing := func(id string) map[string]any {
		for _, ev := range events() {
			if ev["id"] == id && ev["kind"] == "firing" {
				return ev
			}
		}
		return nil
	}
	// The desk without a schedule fires: the alerts run.
	r.waitFor("op122-02's alert", func() bool { return firing("desk-down/desk/op122-02") != nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream := r.stream(ctx)
	if ev := next(t, stream, 5*time.Second); ev.event != "snapshot" || !strings.Contains(ev.data, `"on_shift":false`) {
		t.Fatalf("stream began with %+v", ev)
	}

	reloadAt := time.Now()
	r.writeText(strings.Replace(r.text(), "  shift: {dates: {\"2000-01-03\": [\"09:00-18:00\"]}}\n", allDay, 1))
	r.sighup()
	if c := r.configHealth(); c["reload"] != "ok" {
		t.Fatalf("reload: %v", c)
	}
	// The board's stream rendered with the old shifts: it ends, and the
	// board reconnects to the new ones.
	streamEnds(t, stream, "a reload that changed the shifts")
	if ev := next(t, r.stream(ctx), 5*time.Second); ev.event != "snapshot" || strings.Contains(ev.data, `"on_shift":false`) {
		t.Fatalf("the stream after the reload began with %+v", ev)
	}
	var ws struct {
		Workstations []struct {
			ID      string `json:"id"`
			OnShift bool   `json:"on_shift"`
		}
	}
	r.get("/api/v1/workstations", &ws)
	for _, w := range ws.Workstations {
		if !w.OnShift {
			t.Errorf("%s off shift after the reload", w.ID)
		}
	}
	r.waitFor("op122-01's alert", func() bool { return firing("desk-down/desk/op122-01") != nil })
	at, err := time.Parse(time.RFC3339Nano, firing("desk-down/desk/op122-01")["at"].(string))
	if err != nil || at.Before(reloadAt) {
		t.Errorf("op122-01 fired at %v, before the reload at %v: it was off shift (%v)", at, reloadAt, err)
	}
}

// streamEnds waits for an event stream to end, as it must after what.
func streamEnds(t *testing.T, c <-chan sse, what string) {
	t.Helper()
	for open := true; open; {
		select {
		case _, open = <-c:
		case <-time.After(10 * time.Second):
			t.Fatalf("the stream outlived %s", what)
		}
	}
}
