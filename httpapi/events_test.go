package httpapi

import (
	"fmt"
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
	tr := []health.Transition{{Workstation: "d1"}}
	// The fast client is fast by construction: it takes each change before
	// the next Publish, in this goroutine, so no scheduler can make it lag.
	// The publishing runs in its own goroutine only so that a hub that
	// blocks on the slow client fails the test instead of hanging it.
	fastErr := make(chan string, 1)
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := range 1001 {
			if i == 1000 {
				h.PublishAll()
			} else {
				h.Publish(tr)
			}
			ids, ok := <-fast
			if !ok {
				fastErr <- fmt.Sprintf("the reading client was cut off after %d changes", i)
				return
			}
			if want := i < 1000; want != (len(ids) == 1) {
				fastErr <- fmt.Sprintf("change %d carried %v", i, ids)
				return
			}
		}
	}()
	select {
	case <-published:
	case <-time.After(30 * time.Second):
		t.Fatal("Publish blocked on the client that does not read")
	}
	select {
	case msg := <-fastErr:
		t.Fatal(msg)
	default:
	}
	if !closedAfterBuffer(slow) {
		t.Fatal("the slow client was not cut off")
	}
	if h.Clients() != 1 {
		t.Fatalf("%d clients, want the fast one", h.Clients())
	}
	h.unsubscribe(fast)
	h.unsubscribe(fast) // twice is harmless
	if h.Clients() != 0 {
		t.Fatalf("%d clients after unsubscribe", h.Clients())
	}
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
