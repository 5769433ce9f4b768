package alerts

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// hookServer counts the events a webhook receiver gets.
type hookServer struct {
	*httptest.Server
	mu sync.Mutex
	n  int
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.n++
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// A reload that moves a firing rule to another channel keeps it firing
// (nothing sent again) and its resolution goes to the new channel only.
func TestUpdateKeepsFiringRulesAndSwapsTheNotifier(t *testing.T) {
	old, moved := newHookServer(t), newHookServer(t)
	n1, err := NewNotifier(hookConfig(old.URL, 0, 0), zerolog.Nop(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	rule := Rule{Name: "short", Kind: KindHotlineShort, Hotline: "122", MinUp: 1, Channels: []string{"hook"}}
	var mu sync.Mutex
	state := StateDown
	input := func() Input {
		mu.Lock()
		defer mu.Unlock()
		return Input{Desks: []Desk{{ID: "op122-01", Hotlines: []string{"122"}, State: state, Since: time.Now().Add(-time.Hour)}}}
	}
	r := NewRunner(NewEvaluator([]Rule{rule}, irkutsk), n1, input, 5*time.Millisecond, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = r.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	waitFor(t, "firing", func() bool { return old.count() == 1 })

	ch := hookConfig(moved.URL, 0, 0)
	ch.Webhook[0].Name = "hook2"
	n2, err := NewNotifier(ch, zerolog.Nop(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	rule.Channels = []string{"hook2"}
	if err := r.Update(ctx, []Rule{rule}, n2); err != nil {
		t.Fatal(err)
	}
	if got := r.ChannelStats(); len(got) != 1 || got[0].Name != "hook2" {
		t.Fatalf("channels after the update: %+v", got)
	}
	mu.Lock()
	state = StateUp
	mu.Unlock()
	waitFor(t, "resolved on the new channel", func() bool { return moved.count() == 1 })
	if old.count() != 1 {
		t.Fatalf("the old channel got %d events", old.count())
	}
}

// A standby's runner is not running (its leader sends the alerts): a
// reload's Update must take the rules at once, not wait for a Run that may
// never come, and /metrics must show the new minimums.
func TestUpdateWhileNotRunning(t *testing.T) {
	r := NewRunner(NewEvaluator([]Rule{{Name: "short", Kind: KindHotlineShort, Hotline: "122", MinUp: 2}}, time.UTC),
		nil, func() Input { return Input{} }, time.Second, zerolog.Nop())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rules := []Rule{{Name: "short", Kind: KindHotlineShort, Hotline: "122", MinUp: 5}, {Name: "s117", Kind: KindHotlineShort, Hotline: "117", MinUp: 1}}
	if err := r.Update(ctx, rules, nil); err != nil {
		t.Fatalf("Update without Run: %v", err)
	}
	got := map[string]float64{}
	for _, m := range r.Metrics() {
		if m.Name == "deskwatch_hotline_min_up" {
			got[m.Labels["hotline"]] = m.Value
		}
	}
	if got["122"] != 5 || got["117"] != 1 || len(got) != 2 {
		t.Fatalf("min_up after the update: %v", got)
	}
	if len(r.eval.rules) != 2 || r.eval.rules[0].MinUp != 5 {
		t.Fatalf("evaluator rules %+v", r.eval.rules)
	}
}
