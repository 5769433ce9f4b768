package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"deskwatch/ari"
	"deskwatch/health"
	"deskwatch/metrics"
)

// ariConn is the ARI client the daemon follows. A reload that changes
// ari.* replaces it: the old socket closes and the new client connects,
// the time between recorded as blind. Everything else keeps asking this.
type ariConn struct {
	cur  atomic.Pointer[ari.Client]
	pass string // the password the client was built with; a reload may read another

	// Of the running client's goroutine, owned by the Run that started it.
	stop context.CancelFunc
	done chan struct{}
}

func (a *ariConn) client() *ari.Client { return a.cur.Load() }

// Connected, AORConfig and Stats ask the current client.
func (a *ariConn) Connected() (bool, time.Time) { return a.client().Connected() }
func (a *ariConn) AORConfig(ctx context.Context, id string) (map[string]string, error) {
	return a.client().AORConfig(ctx, id)
}
func (a *ariConn) Stats() ari.Stats { return a.client().Stats() }

// Metrics are the running client's (a reload that reconnects starts them
// again).
func (a *ariConn) Metrics() []metrics.Metric { return a.client().Metrics() }

// ready reports whether ARI is connected, for the qualify check.
func (a *ariConn) ready() bool { ok, _ := a.Connected(); return ok }

// run starts the current client in wg until ctx ends or replace stops it;
// a failure goes to errc without blocking (Run needs the first only).
func (a *ariConn) run(ctx context.Context, wg *sync.WaitGroup, out chan<- health.Observation, errc chan<- error) {
	c := a.client()
	cctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	a.stop, a.done = stop, done
	wg.Go(func() {
		defer close(done)
		if err := c.Run(cctx, out); err != nil && cctx.Err() == nil {
			select {
			case errc <- fmt.Errorf("ari: %w", err):
			default:
			}
		}
	})
}

// replace stops the running client and starts c in its place. The monitor
// is told the old socket is gone (ARI blind from now) so the new client's
// snapshot, when it connects, closes the blind time and decides every desk.
func (a *ariConn) replace(ctx context.Context, wg *sync.WaitGroup, c *ari.Client, pass string, out chan<- health.Observation, errc chan<- error) {
	a.stop()
	<-a.done
	select {
	case out <- health.Observation{Source: health.SourceARI, Kind: health.KindBlind, At: time.Now().UTC(), Detail: "ari settings reloaded: reconnecting"}:
	case <-ctx.Done():
		return
	}
	a.cur.Store(c)
	a.pass = pass
	a.run(ctx, wg, out, errc)
}
