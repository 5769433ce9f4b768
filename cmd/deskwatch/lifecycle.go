package main

import (
	"context"
	"fmt"
	"sync"
)

// serveUntilDone tells systemd the daemon is ready once the API listens
// (bound by newDaemon, served since start) and the monitor's loop turns,
// starts the watchdog, and reloads the configuration when asked until ctx
// ends or a part fails (the first failure is returned).
func (d *Daemon) serveUntilDone(ctx context.Context, wg *sync.WaitGroup, errc chan error) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	case <-d.mon.Started():
	}
	d.ready()
	// Pings go out only while the monitor's loop makes progress: a wedged
	// loop stops them and systemd restarts the daemon.
	wg.Go(func() { d.systemd.Watchdog(ctx, d.mon.Alive) })
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return err
		case <-d.reloaded.reloader.signals: // nil without a reloader: never
			d.reload(ctx, wg, errc)
		}
	}
}

// ready tells systemd the daemon serves, with a status line.
func (d *Daemon) ready() {
	if err := d.systemd.Ready(fmt.Sprintf("serving; desks: %d", len(d.cfg.Workstations))); err != nil {
		d.log.Warn().Err(err).Msg("could not tell systemd the daemon is ready")
	}
}
