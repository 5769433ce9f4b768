package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/monitor"
)

// Alive holds while the loop turns and fails once it is wedged (here in a
// callback that never returns): the watchdog must not vouch for a loop
// that takes no evidence. A frozen Redis does not wedge it: its writes go
// from a goroutine of their own.
func TestAliveOnlyWhileTheLoopTurns(t *testing.T) {
	r := newRig(t)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	wedge := func([]health.Transition) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	}
	m := monitor.New(monitor.Options{Workstations: wss, Store: r.st, Logger: zerolog.Nop(), Heartbeat: 20 * time.Millisecond, OnTransitions: wedge})
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
	m.Input() <- obs(r.clock, health.KindOffline, true) // a transition: the callback wedges the loop
	<-entered
	eventually(t, "a wedged loop to stop being alive", func() bool { return !m.Alive() })
	close(release)
	eventually(t, "the loop to be alive again", m.Alive)
}
