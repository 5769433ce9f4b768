package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"deskwatch/internal/logtest"
)

// The README's first command runs this: the demo starts its own Redis,
// PBX and phones, prints an address and a token that work, and stops
// cleanly when asked.
func TestDemoSmoke(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out logtest.Buffer
	done := make(chan error, 1)
	go func() {
		done <- cmdDemo(ctx, []string{"-listen", "127.0.0.1:0", "-chaos", "0", "-log-level", "warn"}, &out, io.Discard)
	}()
	re := regexp.MustCompile(`API:\s+(\S+)\n(?s:.*)Token:\s+(\S+)`)
	var m []string
	deadline := time.Now().Add(20 * time.Second)
	for m == nil {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("demo printed no address and token:\n%s", out.String())
		}
		select {
		case err := <-done:
			t.Fatalf("demo exited: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		m = re.FindStringSubmatch(out.String())
	}
	api, token := m[1], m[2]
	var ws struct {
		Workstations []struct{ ID, State string }
	}
	for ok := false; !ok; {
		if time.Now().After(deadline) {
			t.Fatalf("desks not up: %+v", ws)
		}
		req, _ := http.NewRequest("GET", api+"/api/v1/workstations", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&ws)
		resp.Body.Close()
		up := 0
		for _, w := range ws.Workstations {
			if w.State == "up" {
				up++
			}
		}
		ok = len(ws.Workstations) == 20 && up == 20
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo did not stop")
	}
}
