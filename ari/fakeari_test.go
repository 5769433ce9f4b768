package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const (
	testUser     = "monitor"
	testPassword = "monitor-secret"
	testApp      = "dwtest"
)

// fakeARI is a minimal Asterisk ARI speaking the recorded payloads. Each
// accepted events WebSocket is handed to the test through conns.
type fakeARI struct {
	t   *testing.T
	srv *httptest.Server

	reject     atomic.Int32 // answer the next N requests 401
	failSubs   atomic.Int32 // answer the next N subscriptions 500
	endpointsB []byte       // GET /endpoints body; ari-endpoints.json if nil
	deaf       atomic.Int32 // the next N WebSockets never read, so never answer pings
	conns      chan *fakeConn
	quit       chan struct{}

	// snapshotGate, when set before the first request, holds every
	// GET /endpoints until it is closed; snapshotHeld reports each held request.
	snapshotGate chan struct{}
	snapshotHeld chan struct{}

	mu            sync.Mutex
	unauthorized  int
	dialTimes     []time.Time // every events request, rejected or not
	eventsQueries []string    // raw query of each accepted events request
	subscriptions []string    // raw query of each subscription POST
	snapshots     int
	// aorContacts overrides the contact attribute of the AORs it names
	// (ari-endpoints' op122-01 capture otherwise); "HTTP 500" fails the read.
	aorContacts map[string]string
}

type fakeConn struct {
	ws     *websocket.Conn
	closed chan struct{}
	once   sync.Once
}

func newFakeARI(t *testing.T) *fakeARI {
	f := &fakeARI{t: t, conns: make(chan *fakeConn, 16), quit: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ari/events", f.events)
	mux.HandleFunc("POST /ari/applications/{app}/subscription", f.subscribe)
	mux.HandleFunc("GET /ari/endpoints/{tech}", f.endpoints)
	mux.HandleFunc("GET /ari/asterisk/config/dynamic/res_pjsip/aor/{id}", f.aor)
	f.srv = httptest.NewServer(f.auth(mux))
	t.Cleanup(f.close)
	return f
}

func (f *fakeARI) url() string { return f.srv.URL + "/ari" }

func (f *fakeARI) close() {
	select {
	case <-f.quit:
	default:
		close(f.quit)
	}
	f.srv.Close()
}

func (f *fakeARI) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, "api_key") || strings.Contains(r.URL.String(), testPassword) {
			f.t.Errorf("credentials in URL: %s", r.URL)
		}
		if r.URL.Path == "/ari/events" {
			f.mu.Lock()
			f.dialTimes = append(f.dialTimes, time.Now())
			f.mu.Unlock()
		}
		u, p, ok := r.BasicAuth()
		if f.reject.Add(-1) >= 0 || !ok || u != testUser || p != testPassword {
			f.mu.Lock()
			f.unauthorized++
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"Authentication required"}`))
			return
		}
		f.reject.Store(0)
		next.ServeHTTP(w, r)
	})
}

func (f *fakeARI) events(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.eventsQueries = append(f.eventsQueries, r.URL.RawQuery)
	f.mu.Unlock()
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		f.t.Errorf("accept: %v", err)
		return
	}
	c := &fakeConn{ws: ws, closed: make(chan struct{})}
	peerGone := context.Background().Done()
	if f.deaf.Add(-1) < 0 {
		f.deaf.Store(0)
		peerGone = ws.CloseRead(context.Background()).Done() // answers pings, ends when the client closes
	}
	f.conns <- c
	select {
	case <-peerGone:
	case <-c.closed:
	case <-f.quit:
	}
	_ = ws.CloseNow()
}

func (f *fakeARI) subscribe(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.subscriptions = append(f.subscriptions, r.URL.RawQuery)
	f.mu.Unlock()
	if f.failSubs.Add(-1) >= 0 {
		http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	f.failSubs.Store(0)
	if app := r.PathValue("app"); app != testApp {
		http.Error(w, `{"message":"Application not found"}`, http.StatusNotFound)
		return
	}
	body := bytes.ReplaceAll(readTestdata(f.t, "run2-subscribe-probe-tech.json"), []byte("probe-tech"), []byte(testApp))
	_, _ = w.Write(body)
}

func (f *fakeARI) endpoints(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.snapshots++
	f.mu.Unlock()
	if f.snapshotGate != nil {
		f.snapshotHeld <- struct{}{}
		select {
		case <-f.snapshotGate:
		case <-r.Context().Done():
			return
		}
	}
	if r.PathValue("tech") != "PJSIP" {
		http.Error(w, `{"message":"No Endpoints found - invalid tech"}`, http.StatusNotFound)
		return
	}
	if f.endpointsB != nil {
		_, _ = w.Write(f.endpointsB)
		return
	}
	_, _ = w.Write(readTestdata(f.t, "ari-endpoints.json"))
}

func (f *fakeARI) aor(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	contact, override := f.aorContacts[r.PathValue("id")]
	f.mu.Unlock()
	if override {
		if contact == "HTTP 500" {
			http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
			return
		}
		q, _ := json.Marshal(contact)
		_, _ = w.Write(bytes.Replace(readTestdata(f.t, "aor-op122-01-registered.json"), []byte(`"sip:op122-01@127.0.0.1:5101"`), q, 1))
		return
	}
	files := map[string]string{
		"op122-01": "aor-op122-01-registered.json",
		"op122-04": "aor-op122-04-unregistered.json",
	}
	name, ok := files[r.PathValue("id")]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Object with id '` + r.PathValue("id") + `' not found"}`))
		return
	}
	_, _ = w.Write(readTestdata(f.t, name))
}

// accept waits for the client's next events WebSocket.
func (f *fakeARI) accept(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no WebSocket connection")
		return nil
	}
}

func (f *fakeARI) counts() (unauthorized, events, subscriptions, snapshots int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.unauthorized, len(f.eventsQueries), len(f.subscriptions), f.snapshots
}

// send writes messages as Asterisk does: one text message each.
func (c *fakeConn) send(t *testing.T, msgs ...[]byte) {
	t.Helper()
	if err := c.trySend(msgs...); err != nil {
		t.Errorf("server write: %v", err)
	}
}

// trySend is send for when the client may close the socket midway.
func (c *fakeConn) trySend(msgs ...[]byte) error {
	for _, m := range msgs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := c.ws.Write(ctx, websocket.MessageText, m)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// drop ends the connection without a close handshake, like a PBX restart.
func (c *fakeConn) drop() {
	c.once.Do(func() {
		close(c.closed)
		_ = c.ws.CloseNow()
	})
}

func readTestdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "ari", name))
	if err != nil {
		t.Error(err)
	}
	return b
}
