// Package slowclient plays, for tests over real sockets, the clients an
// HTTP server must not be held by: many connections from one address, idle
// ones, and ones whose headers or body trickle in.
package slowclient

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Generous bounds every wait: far beyond any timeout under test, so that a
// busy two-core machine fails a test only when a limit does not work.
const Generous = 15 * time.Second

// Dial connects to addr from a loopback address of its own (all of
// 127.0.0.0/8 is local on Linux), so that a test can be several clients.
func Dial(t testing.TB, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: Generous}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Get sends a keep-alive GET over c, with the header lines given ("Name:
// value"), and reads the answer.
func Get(c net.Conn, br *bufio.Reader, path string, header ...string) (*http.Response, error) {
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: test\r\n", path)
	for _, h := range header {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(Generous))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

// MustServe checks that GET path over c is answered 200: the server holds
// the connection.
func MustServe(t testing.TB, c net.Conn, path string) *bufio.Reader {
	t.Helper()
	br := bufio.NewReader(c)
	if resp, err := Get(c, br, path); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s from %s: %v %v", path, c.LocalAddr(), resp, err)
	}
	return br
}

// ClosedWithin waits until the server closes c (reading and dropping what
// it sends) and returns how long that took; a connection still open after
// limit fails the test.
func ClosedWithin(t testing.TB, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(limit))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection from %s still open after %v", c.LocalAddr(), limit)
		}
		return time.Since(start)
	}
}

// Trickle writes p one byte at a time, every gap, round and round, until
// the connection fails or stop closes.
func Trickle(c net.Conn, p []byte, gap time.Duration, stop <-chan struct{}) {
	tick := time.NewTicker(gap)
	defer tick.Stop()
	for i := 0; ; i = (i + 1) % len(p) {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if _, err := c.Write(p[i : i+1]); err != nil {
			return
		}
	}
}
