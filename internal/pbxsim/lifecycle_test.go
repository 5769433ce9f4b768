package pbxsim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestWaitConnected(t *testing.T) {
	srv := startLab(t, nil)
	ctx, cancel := contextTimeout(50 * time.Millisecond)
	defer cancel()
	if err := srv.WaitConnected(ctx, "late"); err == nil {
		t.Fatal("WaitConnected without a socket should time out")
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := contextTimeout(3 * time.Second)
		defer cancel()
		done <- srv.WaitConnected(ctx, "late")
	}()
	time.Sleep(20 * time.Millisecond)
	dial(t, srv, "app=late")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := srv.SendRaw("nobody", []byte("x")); err == nil {
		t.Fatal("SendRaw to a missing app should fail")
	}
}

func TestSendRawMalformed(t *testing.T) {
	srv := startLab(t, nil)
	c := dial(t, srv, "app=p")
	for _, m := range []string{`{"type":`, `{"type":"SomethingNew","x":1}`, `not json`} {
		if err := srv.SendRaw("p", []byte(m)); err != nil {
			t.Fatal(err)
		}
		if got := string(c.next(t)); got != m {
			t.Fatalf("got %q want %q", got, m)
		}
	}
}

func TestDropSockets(t *testing.T) {
	srv := startLab(t, nil)
	a := dial(t, srv, "app=a&subscribeAll=true")
	b := dial(t, srv, "app=b")
	subscribe(t, srv, http.MethodPost, "b", "endpoint:PJSIP")
	srv.DropSockets()
	if n := srv.Connections(); n != 0 {
		t.Fatalf("connections after drop: %d", n)
	}
	for _, c := range []*client{a, b} {
		<-c.done
		if websocket.CloseStatus(c.err) != -1 {
			t.Fatalf("expected an abrupt close (no close frame), got %v", c.err)
		}
	}
	code, body := get(t, srv, "/applications")
	if code != 200 || string(body) != "[]" {
		t.Fatalf("applications after drop: %d %s", code, body)
	}
	_ = srv.Register("op122-01", labContact("op122-01")) // REST and state keep working
	code, body = get(t, srv, "/endpoints/PJSIP/op122-01")
	if code != 200 {
		t.Fatal(code)
	}
	sameJSON(t, "after drop", body, fixture(t, "ari-endpoint-PJSIP-op122-01.json"))

	// A new socket for the same app starts without subscriptions.
	b2 := dial(t, srv, "app=b")
	if got := srv.Subscriptions("b"); len(got) != 0 {
		t.Fatalf("subscriptions survived the drop: %v", got)
	}
	_ = srv.Unregister("op122-01")
	b2.quiet(t, 50*time.Millisecond)
}

// CutApp drops one application's socket and refuses its reconnects until
// RestoreApp; the others keep theirs.
func TestCutApp(t *testing.T) {
	srv := startLab(t, nil)
	a := dial(t, srv, "app=a")
	b := dial(t, srv, "app=b")
	srv.CutApp("a")
	<-a.done
	if _, err := tryDial(srv, "app=a"); err == nil {
		t.Fatal("a cut application reconnected")
	}
	for deadline := time.Now().Add(5 * time.Second); srv.Connections() != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("connections after the cut: %d, want b's", srv.Connections())
		}
	}
	select {
	case <-b.done:
		t.Fatalf("b's socket closed: %v", b.err)
	default:
	}
	srv.RestoreApp("a")
	dial(t, srv, "app=a")
}

func TestRestart(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)}
	srv := startLab(t, func(o *Options) { o.Clock = clk.Now })
	url := srv.URL()
	_ = srv.Register("op122-01", labContact("op122-01"))
	_ = srv.Register("op117-01", labContact("op117-01"))
	_ = srv.Unreachable("op117-01")
	c := dial(t, srv, "app=p")
	subscribe(t, srv, http.MethodPost, "p", "endpoint:PJSIP")

	restarted := make(chan error, 1)
	clk.Set(clk.Now().Add(time.Hour))
	go func() { restarted <- srv.Restart(300 * time.Millisecond) }()

	<-c.done // the socket drops
	waitFor(t, func() bool {
		_, err := net.DialTimeout("tcp", srv.Addr(), 100*time.Millisecond)
		return err != nil
	})
	if _, err := http.Get(url + "/asterisk/info"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("HTTP while down: %v, want connection refused", err)
	}
	if _, err := tryDial(srv, "app=p"); err == nil {
		t.Fatal("WebSocket should be refused while down")
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	if srv.URL() != url {
		t.Fatalf("URL changed: %s -> %s", url, srv.URL())
	}
	_, body := get(t, srv, "/asterisk/info")
	if !contains(body, `"startup_time":"2026-11-27T17:00:00.000+0000"`) {
		t.Fatalf("startup_time not updated: %s", body)
	}
	if _, body := get(t, srv, "/applications"); string(body) != "[]" {
		t.Fatalf("applications survived the restart: %s", body)
	}
	// Contacts are kept, as Asterisk keeps them in astdb.
	_, body = get(t, srv, "/asterisk/config/dynamic/res_pjsip/aor/op122-01")
	sameJSON(t, "aor after restart", body, fixture(t, "aor-op122-01-registered.json"))
	if st, _ := srv.State("op117-01"); st.ContactStatus != StatusUnreachable || st.State != "offline" {
		t.Fatalf("op117-01 after restart: %+v", st)
	}
	c2 := dial(t, srv, "app=p")
	_ = srv.Unregister("op122-01")
	c2.quiet(t, 50*time.Millisecond) // not subscribed any more
	if code, _ := subscribe(t, srv, http.MethodPost, "p", "endpoint:PJSIP"); code != 200 {
		t.Fatal(code)
	}
	_ = srv.Register("op122-01", labContact("op122-01"))
	c2.take(t, 4)
}

func TestStartClose(t *testing.T) {
	srv := New(Options{Username: user, Password: secret, Endpoints: []string{"x"}})
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err == nil {
		t.Fatal("second Start should fail")
	}
	c := dial(t, srv, "app=p")
	cancel() // ctx ends the server
	<-c.done
	waitFor(t, func() bool {
		_, err := net.DialTimeout("tcp", srv.Addr(), 100*time.Millisecond)
		return err != nil
	})
	srv.Close() // idempotent
	if err := srv.Restart(0); err == nil {
		t.Fatal("Restart after Close should fail")
	}
}
