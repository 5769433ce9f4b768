package httplimit

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

// generous bounds every wait: far beyond any timeout under test, so that a
// busy two-core machine fails a test only when the limit does not work.
const generous = 15 * time.Second

// dialFrom connects to addr from a loopback address of its own (all of
// 127.0.0.0/8 is local on Linux), so tests can be several clients.
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: generous}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// get sends a keep-alive GET over c and reads the answer.
func get(c net.Conn, br *bufio.Reader, path string) (*http.Response, error) {
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path); err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(generous))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

// mustServe checks that c gets an answer: the server holds it.
func mustServe(t *testing.T, c net.Conn) *bufio.Reader {
	t.Helper()
	br := bufio.NewReader(c)
	if resp, err := get(c, br, "/"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("request from %s: %v %v", c.LocalAddr(), resp, err)
	}
	return br
}

// closedWithin waits until the server closes c (reading and dropping what
// it sends) and returns how long that took; a connection still open after
// limit fails the test.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
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

// trickle writes p one byte at a time, every gap, until the connection
// fails or stop closes.
func trickle(c net.Conn, p []byte, gap time.Duration, stop <-chan struct{}) {
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
