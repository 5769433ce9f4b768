package alerts

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestRunnerEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var got []Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Error(err)
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer srv.Close()
	received := func() []Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]Event(nil), got...)
	}

	cfg := hookConfig(srv.URL, 0, 0)
	rules := []Rule{{Name: "short", Kind: KindHotlineShort, Hotline: "122", MinUp: 1, For: 30 * time.Millisecond, Channels: []string{"hook"}}}
	n, err := NewNotifier(cfg, zerolog.Nop(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	var wmu sync.Mutex
	desk := Desk{ID: "op122-01", Name: "АРМ 1", Hotlines: []string{"122"}, State: StateUp, Since: time.Now().Add(-time.Hour)}
	set := func(state string) {
		wmu.Lock()
		desk.State, desk.Since = state, time.Now()
		wmu.Unlock()
	}
	input := func() Input {
		wmu.Lock()
		defer wmu.Unlock()
		return Input{Desks: []Desk{desk}}
	}
	r := NewRunner(NewEvaluator(rules, irkutsk), n, input, 5*time.Millisecond, zerolog.Nop())

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	var runErr error
	go func() { runErr = r.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })

	set(StateDown)
	waitFor(t, "firing", func() bool { return len(received()) == 1 })
	set(StateUp)
	waitFor(t, "resolved", func() bool { return len(received()) == 2 })
	time.Sleep(50 * time.Millisecond) // nothing more comes
	evs := received()
	if len(evs) != 2 || evs[0].Kind != EventFiring || evs[1].Kind != EventResolved || evs[0].ID != "short/hotline/122" {
		t.Fatalf("received %+v", evs)
	}
	if held := evs[0].At.Sub(evs[0].Since); held < 30*time.Millisecond {
		t.Fatalf("fired after %s, before for", held)
	}

	cancel()
	select {
	case <-stopped:
		if runErr != nil {
			t.Fatal(runErr)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not stop on ctx")
	}
}

// A runner run again after its first run ended (an ha instance leading a
// second time) delivers again: its notifier runs in each tenure.
func TestRunnerSecondTenureDelivers(t *testing.T) {
	var mu sync.Mutex
	var got []Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev Event
		_ = json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}))
	defer srv.Close()
	n, err := NewNotifier(hookConfig(srv.URL, 0, 0), zerolog.Nop(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	rules := []Rule{{Name: "short", Kind: KindHotlineShort, Hotline: "122", MinUp: 1, For: 10 * time.Millisecond, Channels: []string{"hook"}}}
	var wmu sync.Mutex
	state := StateUp
	input := func() Input {
		wmu.Lock()
		defer wmu.Unlock()
		return Input{Desks: []Desk{{ID: "op122-01", Name: "АРМ 1", Hotlines: []string{"122"}, State: state, Since: time.Now().Add(-time.Hour)}}}
	}
	r := NewRunner(NewEvaluator(rules, irkutsk), n, input, 5*time.Millisecond, zerolog.Nop())
	for tenure := 1; tenure <= 2; tenure++ {
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan error, 1)
		go func() { stopped <- r.Run(ctx) }()
		if tenure == 2 {
			wmu.Lock()
			state = StateDown
			wmu.Unlock()
			waitFor(t, "firing in the second tenure", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(got) == 1 && got[0].Kind == EventFiring
			})
		}
		cancel()
		if err := <-stopped; err != nil {
			t.Fatalf("tenure %d: %v", tenure, err)
		}
	}
}
