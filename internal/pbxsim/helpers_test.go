package pbxsim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
)

const (
	user   = "monitor"
	secret = "monitor-secret"
)

// fixtureDir holds the recorded Asterisk traffic.
func fixtureDir() string {
	if d := os.Getenv("DESKWATCH_ARI_FIXTURES"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "testdata", "ari")
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(), name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return bytes.TrimSpace(b)
}

func fixtureLines(t testing.TB, name string) [][]byte {
	t.Helper()
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(fixture(t, name)))
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

// The lab of the recordings: op122-01..10 then op117-01..10, queues q122/q117.
func labEndpoints() []string {
	var eps []string
	for _, site := range []string{"122", "117"} {
		for i := 1; i <= 10; i++ {
			eps = append(eps, fmt.Sprintf("op%s-%02d", site, i))
		}
	}
	return eps
}

func labQueues() map[string][]string {
	q := map[string][]string{}
	for _, ep := range labEndpoints() {
		name := "q" + ep[2:5]
		q[name] = append(q[name], ep)
	}
	return q
}

func labContact(res string) string {
	port := 5100
	if strings.HasPrefix(res, "op117") {
		port = 5200
	}
	var n int
	fmt.Sscanf(res[len(res)-2:], "%d", &n)
	return fmt.Sprintf("sip:%s@127.0.0.1:%d", res, port+n)
}

func startLab(t testing.TB, mod func(*Options)) *Server {
	t.Helper()
	opts := Options{Username: user, Password: secret, Endpoints: labEndpoints(),
		Queues: labQueues(), Logger: zerolog.Nop()}
	if mod != nil {
		mod(&opts)
	}
	srv := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); srv.Close() })
	return srv
}

// client is a real WebSocket client reading into a channel.
type client struct {
	ws   *websocket.Conn
	msgs chan rec
	done chan struct{}
	err  error
}

// rec is a received message and when it arrived.
type rec struct {
	b  []byte
	at time.Time
}

func dial(t testing.TB, srv *Server, query string) *client {
	t.Helper()
	c, err := tryDial(srv, query)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.ws.CloseNow(); <-c.done })
	return c
}

func tryDial(srv *Server, query string) (*client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws://" + srv.Addr() + "/ari/events?" + query + "&api_key=" + user + ":" + secret
	ws, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	c := &client{ws: ws, msgs: make(chan rec, 1<<16), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer close(c.msgs)
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				c.err = err
				return
			}
			c.msgs <- rec{b, time.Now()}
		}
	}()
	return c, nil
}

func (c *client) next(t testing.TB) []byte {
	t.Helper()
	return c.nextRec(t).b
}

func (c *client) nextRec(t testing.TB) rec {
	t.Helper()
	select {
	case r, ok := <-c.msgs:
		if !ok {
			t.Fatalf("socket closed: %v", c.err)
		}
		return r
	case <-time.After(3 * time.Second):
		t.Fatal("timeout waiting for a message")
	}
	return rec{}
}

func (c *client) take(t testing.TB, n int) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for i := range out {
		out[i] = c.next(t)
	}
	return out
}

// quiet asserts nothing arrives for a while.
func (c *client) quiet(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case r, ok := <-c.msgs:
		if ok {
			t.Fatalf("unexpected message: %s", r.b)
		}
	case <-time.After(d):
	}
}

func do(t testing.TB, method, url string, mod func(*http.Request)) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, secret)
	if mod != nil {
		mod(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func get(t testing.TB, srv *Server, path string) (int, []byte) {
	t.Helper()
	code, b, _ := do(t, http.MethodGet, srv.URL()+path, nil)
	return code, b
}

func subscribe(t testing.TB, srv *Server, method, app, sources string) (int, []byte) {
	t.Helper()
	code, b, _ := do(t, method, srv.URL()+"/applications/"+app+"/subscription?eventSource="+sources, nil)
	return code, b
}

func generic(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("bad JSON %q: %v", b, err)
	}
	return v
}

// sameJSON compares two documents as generic JSON.
func sameJSON(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if g, w := generic(t, got), generic(t, want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got  %s\n want %s", what, got, want)
	}
}

// norm decodes an event, drops its timestamp and masks a non-zero
// roundtrip (the recorded value is the phone's, not ours).
func norm(t testing.TB, b []byte) map[string]any {
	t.Helper()
	m, ok := generic(t, b).(map[string]any)
	if !ok {
		t.Fatalf("not an object: %s", b)
	}
	if _, ok := m["timestamp"].(string); !ok {
		t.Fatalf("no timestamp: %s", b)
	}
	delete(m, "timestamp")
	if ci, ok := m["contact_info"].(map[string]any); ok {
		rt, ok := ci["roundtrip_usec"].(string)
		if !ok {
			t.Fatalf("roundtrip_usec not a string: %s", b)
		}
		if rt != "0" {
			ci["roundtrip_usec"] = "N"
		}
	}
	return m
}

func canon(t testing.TB, b []byte) string {
	out, _ := json.Marshal(norm(t, b))
	return string(out)
}

// sameEvents compares event sequences, in order or as multisets.
func sameEvents(t testing.TB, what string, got, want [][]byte, ordered bool) {
	t.Helper()
	g, w := make([]string, len(got)), make([]string, len(want))
	for i := range got {
		g[i] = canon(t, got[i])
	}
	for i := range want {
		w[i] = canon(t, want[i])
	}
	if !ordered {
		sort.Strings(g)
		sort.Strings(w)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got:\n  %s\n want:\n  %s", what, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func contextTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// waitFor polls cond for up to 3 s.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
