package httplimit

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"deskwatch/internal/slowclient"
)

// Short timeouts, so that the tests wait little for the cuts.
var short = Timeouts{ReadHeader: 300 * time.Millisecond, Read: 500 * time.Millisecond, Write: 1500 * time.Millisecond, Idle: 500 * time.Millisecond}

// timed serves h with the short timeouts; requests to /events and
// /events-flood are event streams.
func timed(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := short.Server(h, func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/events") })
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// An idle keep-alive connection, request headers and a request body that
// trickle in are all cut within their timeouts.
func TestSlowClientsAreCut(t *testing.T) {
	addr := timed(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "body", http.StatusBadRequest)
			return
		}
		w.Write([]byte("ok"))
	}))

	idle := slowclient.Dial(t, "127.0.0.1", addr)
	slowclient.MustServe(t, idle, "/")
	if d := slowclient.ClosedWithin(t, idle, short.Idle+slowclient.Generous); d < short.Idle/2 {
		t.Errorf("idle connection cut after %v, before idle_timeout %v", d, short.Idle)
	}

	stop := make(chan struct{})
	defer close(stop)
	headers := slowclient.Dial(t, "127.0.0.1", addr)
	fmt.Fprint(headers, "GET / HTTP/1.1\r\nHost: test\r\n")
	go slowclient.Trickle(headers, []byte("X-Slow: aaaaaaaa\r\n"), 50*time.Millisecond, stop)
	slowclient.ClosedWithin(t, headers, short.ReadHeader+slowclient.Generous)

	body := slowclient.Dial(t, "127.0.0.1", addr)
	fmt.Fprint(body, "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n")
	go slowclient.Trickle(body, []byte("{"), 50*time.Millisecond, stop)
	slowclient.ClosedWithin(t, body, short.Read+slowclient.Generous)
}

// A request whose answer takes longer than read_timeout keeps its context,
// and so does an event stream that outlives every timeout.
func TestLongAnswersAndStreamsLast(t *testing.T) {
	addr := timed(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 1
		if r.URL.Path == "/events" {
			n = 2 * int((short.Read+short.Write)/(50*time.Millisecond)) // beyond every timeout
		}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := range n {
			select {
			case <-r.Context().Done():
				fmt.Fprintf(w, "cancelled after %d\n", i)
				return
			case <-tick.C:
			}
			fmt.Fprintf(w, "tick %d\n", i)
			http.NewResponseController(w).Flush()
		}
		if r.URL.Path != "/events" {
			<-time.After(2 * short.Read) // slower than read_timeout, within write_timeout
		}
		fmt.Fprint(w, "done\n")
	}))
	c := &http.Client{Timeout: slowclient.Generous}
	for _, p := range []string{"/slow", "/events"} {
		resp, err := c.Get("http://" + addr + p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !strings.HasSuffix(string(b), "done\n") {
			t.Errorf("%s: %v, ends with %q", p, err, b[max(0, len(b)-40):])
		}
	}
}

// A client that stops reading is cut within write_timeout, from an answer
// and from an event stream alike.
func TestStalledReadersAreCut(t *testing.T) {
	cut := make(chan error, 2)
	addr := timed(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				cut <- err
				return
			}
			http.NewResponseController(w).Flush()
		}
	}))
	for _, p := range []string{"/report.pdf", "/events-flood"} {
		c := slowclient.Dial(t, "127.0.0.1", addr)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", p) // and never read
		select {
		case err := <-cut:
			t.Logf("%s: cut: %v", p, err)
		case <-time.After(short.Write + slowclient.Generous):
			t.Fatalf("%s: a client that does not read still holds the answer", p)
		}
	}
}
