package httpapi

import (
	"testing"
	"time"

	"deskwatch/health"
)

// Publishing never blocks the monitor: a subscriber that stops reading is
// cut off (its channel closed) once its buffer is full; others keep getting
// every change.
func TestHubDropsSlowClients(t *testing.T) {
	h := NewHub()
	slow, fast := h.subscribe(), h.subscribe()
	got := 0
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case _, ok := <-fast:
				if !ok {
					return
				}
				got++
			case <-stop:
				return
			}
		}
	}()
	tr := []health.Transition{{Workstation: "d1"}}
	start := time.Now()
	for range 1000 {
		h.Publish(tr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Publish blocked for %v", d)
	}
	if !closedAfterBuffer(slow) {
		t.Fatal("the slow client was not cut off")
	}
	if h.Clients() != 1 {
		t.Fatalf("%d clients, want the fast one", h.Clients())
	}
	h.PublishAll()
	time.Sleep(50 * time.Millisecond)
	close(stop)
	<-done
	if got != 1001 {
		t.Fatalf("the reading client got %d of 1001 changes", got)
	}
	h.unsubscribe(fast)
	h.unsubscribe(fast) // twice is harmless
	var nilHub *Hub
	nilHub.Publish(tr) // a server without a hub
}

// closedAfterBuffer reads what a client had buffered and reports whether
// its channel was then closed.
func closedAfterBuffer(c chan []string) bool {
	for {
		select {
		case _, ok := <-c:
			if !ok {
				return true
			}
		case <-time.After(100 * time.Millisecond):
			return false
		}
	}
}
