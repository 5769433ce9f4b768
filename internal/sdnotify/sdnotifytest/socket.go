// Package sdnotifytest is systemd's side of the notify protocol, for tests.
package sdnotifytest

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Listen makes a socket like systemd's and points NOTIFY_SOCKET at it; a
// positive watchdog also sets WATCHDOG_USEC for this process.
func Listen(t *testing.T, watchdog time.Duration) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	if watchdog > 0 {
		t.Setenv("WATCHDOG_USEC", strconv.FormatInt(watchdog.Microseconds(), 10))
		t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	}
	return c
}

// Next reads the next datagram (waiting up to 30 s), skipping watchdog
// pings unless pings is set.
func Next(c *net.UnixConn, pings bool) (string, error) {
	buf := make([]byte, 4096)
	for {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			return "", err
		}
		if s := string(buf[:n]); pings || s != "WATCHDOG=1" {
			return s, nil
		}
	}
}
