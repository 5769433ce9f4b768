// Package sdnotify speaks systemd's notify protocol (sd_notify(3)): a
// datagram to $NOTIFY_SOCKET saying READY=1, RELOADING=1, STOPPING=1 or
// WATCHDOG=1. Twenty lines of our own instead of a dependency; outside
// systemd (no NOTIFY_SOCKET) every call is a no-op.
package sdnotify

import (
	"context"
	"net"
	"os"
	"strconv"
	"time"
)

// Notifier sends states to systemd. The zero value (and nil) does nothing.
type Notifier struct {
	addr     *net.UnixAddr
	watchdog time.Duration
}

// FromEnv reads NOTIFY_SOCKET and WATCHDOG_USEC (honouring WATCHDOG_PID, as
// systemd sets it for the main process only).
func FromEnv() *Notifier {
	n := &Notifier{}
	if s := os.Getenv("NOTIFY_SOCKET"); s != "" {
		if s[0] == '@' { // an abstract socket
			s = "\x00" + s[1:]
		}
		n.addr = &net.UnixAddr{Name: s, Net: "unixgram"}
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid == "" || pid == strconv.Itoa(os.Getpid()) {
		if us, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64); err == nil && us > 0 {
			n.watchdog = time.Duration(us) * time.Microsecond
		}
	}
	return n
}

// Send sends one or more newline-separated assignments, e.g. "READY=1".
func (n *Notifier) Send(state string) error {
	if n == nil || n.addr == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// Ready says the daemon serves (and its status line).
func (n *Notifier) Ready(status string) error { return n.Send("READY=1\nSTATUS=" + status) }

// Reloading says a reload began; systemd waits for the next Ready. The
// monotonic time is required by Type=notify-reload and harmless before.
func (n *Notifier) Reloading() error {
	var ts time.Duration
	if t, err := monotonicNow(); err == nil {
		ts = t
	}
	return n.Send("RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(ts.Microseconds(), 10))
}

// Stopping says the daemon is shutting down.
func (n *Notifier) Stopping() error { return n.Send("STOPPING=1") }

// WatchdogInterval is half of systemd's WatchdogSec (0 without a watchdog):
// pinging at half the timeout survives one late tick.
func (n *Notifier) WatchdogInterval() time.Duration {
	if n == nil {
		return 0
	}
	return n.watchdog / 2
}

// Watchdog pings systemd while alive() says the daemon's loop is turning,
// until ctx ends. A wedged loop stops the pings and systemd restarts us:
// alive must check real progress, not just that this goroutine runs.
func (n *Notifier) Watchdog(ctx context.Context, alive func() bool) {
	every := n.WatchdogInterval()
	if every <= 0 || n.addr == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if alive == nil || alive() {
				_ = n.Send("WATCHDOG=1")
			}
		}
	}
}
