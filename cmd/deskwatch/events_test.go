package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

type sse struct {
	event string
	data  string
}

// stream reads Server-Sent Events from the daemon into a channel.
func (h *harness) stream(ctx context.Context) <-chan sse {
	req, _ := http.NewRequestWithContext(ctx, "GET", h.api+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		h.t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sse, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			case line == "" && ev.event != "":
				out <- ev
				ev = sse{}
			}
		}
	}()
	return out
}

func next(t *testing.T, c <-chan sse, within time.Duration) sse {
	t.Helper()
	select {
	case ev, ok := <-c:
		if !ok {
			t.Fatal("stream closed")
		}
		return ev
	case <-time.After(within):
		t.Fatalf("no event within %v", within)
	}
	return sse{}
}

// The event stream sends a snapshot, then each desk change as it happens,
// and the blind state when ARI is lost.
func TestE2EEventStream(t *testing.T) {
	h := newHarness(t, "op122-01", "op117-01")
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.pbx.Register("op117-01", "sip:op117-01@127.0.0.1:5201")
	h.start()
	h.waitFor("desk up", func() bool { return h.desk("op122-01").State == "up" })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := h.stream(ctx)
	snap := next(t, events, 2*time.Second)
	var s struct{ Workstations []deskState }
	if snap.event != "snapshot" || json.Unmarshal([]byte(snap.data), &s) != nil || len(s.Workstations) != 2 {
		t.Fatalf("snapshot %+v", snap)
	}
	h.pbx.Unregister("op122-01")
	ev := next(t, events, time.Second)
	var d deskState
	if ev.event != "workstation" || json.Unmarshal([]byte(ev.data), &d) != nil || d.ID != "op122-01" || d.State != "down" || d.Cause != "unregistered" {
		t.Fatalf("change %+v", ev)
	}
	h.pbx.DropSockets()
	seen := map[string]string{}
	for len(seen) < 2 {
		ev = next(t, events, 2*time.Second)
		json.Unmarshal([]byte(ev.data), &d)
		if d.State == "unknown" {
			seen[d.ID] = d.State
		}
	}
}
