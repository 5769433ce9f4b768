package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/monitor"
	"deskwatch/store"
)

// stuckStore wedges Apply until released, ignoring its context as a hung
// call would.
type stuckStore struct {
	*store.Store
	entered chan struct{}
	release chan struct{}
}

func (s stuckStore) Apply(ctx context.Context, trs []health.Transition) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-s.release
	return s.Store.Apply(ctx, trs)
}

// Alive holds while the loop turns and fails once it is wedged: the
// watchdog must not vouch for a loop that takes no evidence.
func TestAliveOnlyWhileTheLoopTurns(t *testing.T) {
	r := newRig(t)
	st := stuckStore{Store: r.st, entered: make(chan struct{}, 1), release: make(chan struct{})}
	m := monitor.New(monitor.Options{Workstations: wss, Store: st, Logger: zerolog.Nop(), Heartbeat: 20 * time.Millisecond})
	if m.Alive() {
		t.Fatal("alive before Run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-m.Started()
	if !m.Alive() {
		t.Fatal("not alive once started")
	}
	m.Input() <- obs(r.clock, health.KindOffline, true) // a transition: Apply wedges
	<-st.entered
	eventually(t, "a wedged loop to stop being alive", func() bool { return !m.Alive() })
	close(st.release)
	eventually(t, "the loop to be alive again", m.Alive)
}
