package sdnotify

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"deskwatch/internal/sdnotify/sdnotifytest"
)

func listen(t *testing.T) *net.UnixConn { return sdnotifytest.Listen(t, 0) }

func read(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	s, err := sdnotifytest.Next(c, true)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStatesReachTheSocket(t *testing.T) {
	c := listen(t)
	n := FromEnv()
	if err := n.Ready("serving 3 desks"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c); got != "READY=1\nSTATUS=serving 3 desks" {
		t.Fatalf("got %q", got)
	}
	if err := n.Reloading(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c); !strings.HasPrefix(got, "RELOADING=1\nMONOTONIC_USEC=") || strings.HasSuffix(got, "=0") {
		t.Fatalf("got %q", got)
	}
	if err := n.Stopping(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, c); got != "STOPPING=1" {
		t.Fatalf("got %q", got)
	}
}

func TestWatchdogPingsOnlyWhileAlive(t *testing.T) {
	c := listen(t)
	t.Setenv("WATCHDOG_USEC", "20000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	n := FromEnv()
	if n.WatchdogInterval() != 10*time.Millisecond {
		t.Fatalf("interval %v", n.WatchdogInterval())
	}
	ctx, cancel := context.WithCancel(context.Background())
	alive := make(chan bool, 1)
	alive <- true
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Watchdog(ctx, func() bool {
			select {
			case v := <-alive:
				return v
			default:
				return false // wedged: no ping
			}
		})
	}()
	if got := read(t, c); got != "WATCHDOG=1" {
		t.Fatalf("got %q", got)
	}
	// No more "alive" tokens: the next read must time out with nothing.
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c.Read(make([]byte, 64)); err == nil {
		t.Fatalf("pinged while the loop was wedged (%d bytes)", n)
	}
	cancel()
	<-done
}

func TestOutsideSystemdNothingHappens(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "")
	n := FromEnv()
	if err := n.Ready("x"); err != nil {
		t.Fatal(err)
	}
	var nilN *Notifier
	if err := nilN.Stopping(); err != nil || nilN.WatchdogInterval() != 0 {
		t.Fatal("nil notifier must be a no-op")
	}
	n.Watchdog(context.Background(), nil) // returns at once: no watchdog configured
}

func TestWatchdogForAnotherPidIsIgnored(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "20000")
	t.Setenv("WATCHDOG_PID", "1")
	if FromEnv().WatchdogInterval() != 0 {
		t.Fatal("a watchdog meant for another process was taken")
	}
}
