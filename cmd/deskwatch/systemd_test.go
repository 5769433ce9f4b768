package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"deskwatch/internal/sdnotify/sdnotifytest"
)

// freeAddr is a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Under systemd (Type=notify, WatchdogSec) the daemon says READY once its
// API answers, pings the watchdog while the monitor's loop turns, and says
// STOPPING when it shuts down.
func TestSystemdHearsReadyWatchdogAndStopping(t *testing.T) {
	sock := sdnotifytest.Listen(t, 200*time.Millisecond)
	h := newHarness(t, "op122-01")
	h.listen = freeAddr(t)
	answered := make(chan error, 1)
	go func() { // ends with the first datagram; read below
		msg, err := sdnotifytest.Next(sock, true)
		if err == nil && !strings.HasPrefix(msg, "READY=1\nSTATUS=serving; desks: 1") {
			err = fmt.Errorf("first notice %q, want READY", msg)
		}
		if err == nil {
			var resp *http.Response
			if resp, err = http.Get("http://" + h.listen + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("/healthz at READY: %s", resp.Status)
				}
			}
		}
		answered <- err
	}()
	h.start()
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if msg, err := sdnotifytest.Next(sock, true); err != nil || msg != "WATCHDOG=1" {
		t.Fatalf("after READY: %q, %v; want a watchdog ping", msg, err)
	}
	h.stop()
	if msg, err := sdnotifytest.Next(sock, false); err != nil || msg != "STOPPING=1" {
		t.Fatalf("at shutdown: %q, %v", msg, err)
	}
}
