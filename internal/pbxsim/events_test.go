package pbxsim

import (
	"net/http"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
)

// TestRun1SubscribeAll performs the actions of ari-events.jsonl and
// compares what a subscribeAll socket gets, group by group.
func TestRun1SubscribeAll(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 27, 16, 4, 17, 115e6, time.UTC)}
	srv := startLab(t, func(o *Options) { o.Clock = clk.Now })
	probe := dial(t, srv, "app=probe&subscribeAll=true")
	want := fixtureLines(t, "ari-events.jsonl")

	steps := []struct {
		name     string
		act      func() error
		from, to int // 1-based recording lines
		ordered  bool
	}{
		{"register op122-01", func() error { return srv.Register("op122-01", labContact("op122-01")) }, 1, 5, true},
		{"register op122-02", func() error { return srv.Register("op122-02", labContact("op122-02")) }, 6, 9, true},
		// Asterisk delivered the device state between the Peer and Contact
		// events here and after them in 1-5 and run2: the order is racy there.
		{"register op117-01", func() error { return srv.Register("op117-01", labContact("op117-01")) }, 10, 14, false},
		{"unregister op122-02", func() error { return srv.Unregister("op122-02") }, 15, 17, false},
		{"kill op117-01", func() error { return srv.Unreachable("op117-01") }, 18, 21, true},
		{"register op122-03", func() error { return srv.Register("op122-03", labContact("op122-03")) }, 22, 25, true},
		{"expire op122-03", func() error { return srv.Expire("op122-03") }, 26, 28, true},
	}
	for _, st := range steps {
		at := clk.Now().Add(time.Second)
		clk.Set(at)
		if err := st.act(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := probe.take(t, st.to-st.from+1)
		sameEvents(t, st.name, got, want[st.from-1:st.to], st.ordered)
		for _, m := range got {
			checkDecode(t, m, at, "probe")
		}
	}
	probe.quiet(t, 100*time.Millisecond)
	if n := srv.MessagesSent("probe"); n != 28 {
		t.Errorf("MessagesSent(probe) = %d", n)
	}
}

// TestRun2Subscriptions performs run2's actions with the three sockets of
// the recording (plus one without subscription) and compares each socket's
// whole stream, in order.
func TestRun2Subscriptions(t *testing.T) {
	srv := startLab(t, nil)
	// Left over from run 1: op122-01 registered, op117-01 Unreachable.
	_ = srv.Register("op122-01", labContact("op122-01"))
	_ = srv.Register("op117-01", labContact("op117-01"))
	_ = srv.Unreachable("op117-01")

	all := dial(t, srv, "app=probe&subscribeAll=true")
	techC := dial(t, srv, "app=probe-tech")
	ep := dial(t, srv, "app=probe-ep")
	none := dial(t, srv, "app=probe-none")
	if code, b := subscribe(t, srv, http.MethodPost, "probe-tech", "endpoint:PJSIP"); code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	if code, b := subscribe(t, srv, http.MethodPost, "probe-ep", "endpoint:PJSIP/op122-06,endpoint:PJSIP/op117-01"); code != 200 {
		t.Fatalf("%d %s", code, b)
	}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(srv.Register("op122-06", labContact("op122-06"))) // E1
	must(srv.Unregister("op122-06"))                       // E3
	must(srv.Register("op117-01", labContact("op117-01"))) // E4: contact was Unreachable
	must(srv.Unreachable("op117-01"))                      // E5
	must(srv.Unregister("op117-01"))                       // E6: while Unreachable
	must(srv.Register("op122-07", labContact("op122-07"))) // not subscribed by probe-ep
	must(srv.Unregister("op122-07"))
	n07 := 7 // 4 + 3 for subscribeAll, 4 + 3 for probe-tech (ESC instead of DSC)

	for _, c := range []struct {
		cl   *client
		app  string
		fix  string
		tail int
	}{
		{all, "probe", "run2-subscribeAll.jsonl", n07},
		{techC, "probe-tech", "run2-tech-subscription.jsonl", n07},
		{ep, "probe-ep", "run2-endpoint-subscription.jsonl", 0},
	} {
		want := fixtureLines(t, c.fix)
		got := c.cl.take(t, len(want))
		sameEvents(t, c.fix, got, want, true)
		for _, m := range got {
			checkDecode(t, m, time.Time{}, c.app)
		}
		c.cl.take(t, c.tail)
		c.cl.quiet(t, 50*time.Millisecond)
	}
	none.quiet(t, 50*time.Millisecond)
}

func TestApplicationReplaced(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 27, 16, 23, 20, 331e6, time.UTC)}
	srv := startLab(t, func(o *Options) { o.Clock = clk.Now })
	first := dial(t, srv, "app=dwtest")
	if code, b := subscribe(t, srv, http.MethodPost, "dwtest", "endpoint:PJSIP"); code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	second := dial(t, srv, "app=dwtest")

	msg := first.next(t)
	sameJSON(t, "ApplicationReplaced", msg, fixture(t, "run3-application-replaced.jsonl"))
	checkDecode(t, msg, clk.Now(), "dwtest")
	if got := srv.Subscriptions("dwtest"); len(got) != 1 || got[0] != "endpoint:PJSIP" {
		t.Fatalf("subscriptions did not carry over: %v", got)
	}

	_ = srv.Register("op122-01", labContact("op122-01"))
	second.take(t, 4)
	first.quiet(t, 100*time.Millisecond)
	if err := srv.SendRaw("dwtest", []byte(`{"type":"Nope"}`)); err != nil {
		t.Fatal(err)
	}
	if got := string(second.next(t)); got != `{"type":"Nope"}` {
		t.Fatalf("SendRaw: %s", got)
	}
	first.quiet(t, 50*time.Millisecond)
	if srv.Connections() != 2 {
		t.Fatalf("the replaced socket must stay open: %d connections", srv.Connections())
	}
	// It is open indeed: it answers pings.
	ctx, cancel := contextTimeout(time.Second)
	defer cancel()
	if err := first.ws.Ping(ctx); err != nil {
		t.Fatalf("ping on the replaced socket: %v", err)
	}
	// Closing the replaced socket does not take the application away.
	_ = first.ws.CloseNow()
	<-first.done
	waitFor(t, func() bool { return srv.Connections() == 1 })
	if code, _ := get(t, srv, "/applications/dwtest"); code != 200 {
		t.Fatalf("application gone with the replaced socket: %d", code)
	}
	// Closing the owner does.
	_ = second.ws.CloseNow()
	<-second.done
	waitFor(t, func() bool { code, _ := get(t, srv, "/applications/dwtest"); return code == 404 })
}

func TestQualifyOffAndNewContact(t *testing.T) {
	srv := startLab(t, func(o *Options) { o.QualifyFrequency = -1 })
	c := dial(t, srv, "app=p")
	subscribe(t, srv, http.MethodPost, "p", "endpoint:PJSIP")
	_ = srv.Register("op122-01", "sip:a@h")
	got := c.take(t, 3) // NonQualified, online, Reachable peer; no qualify round trip
	types := []string{ContactStatusChange, EndpointStateChange, PeerStatusChange}
	for i, m := range got {
		if typ := norm(t, m)["type"]; typ != types[i] {
			t.Fatalf("event %d: %s", i, m)
		}
	}
	if st, _ := srv.State("op122-01"); st.State != "online" || st.ContactStatus != StatusNonQualified {
		t.Fatalf("%+v", st)
	}
	if err := srv.Unreachable("op122-01"); err == nil {
		t.Fatal("Unreachable without qualify should fail")
	}
	// A new contact URI replaces the old one; the endpoint stays online.
	_ = srv.Register("op122-01", "sip:b@h")
	got = c.take(t, 2)
	if m := norm(t, got[0]); m["contact_info"].(map[string]any)["contact_status"] != StatusRemoved {
		t.Fatalf("old contact not removed first: %s", got[0])
	}
	if m := norm(t, got[1]); m["contact_info"].(map[string]any)["uri"] != "sip:b@h" {
		t.Fatalf("new contact: %s", got[1])
	}
	c.quiet(t, 50*time.Millisecond)
}

func TestFlap(t *testing.T) {
	srv := startLab(t, nil)
	c := dial(t, srv, "app=p")
	subscribe(t, srv, http.MethodPost, "p", "endpoint:PJSIP/op122-01")
	_ = srv.Register("op122-01", labContact("op122-01"))
	c.take(t, 4)
	ctx, cancel := contextTimeout(5 * time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Flap(ctx, "op122-01", 3, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("Flap too fast: %v", d)
	}
	var statuses []string
	for _, m := range c.take(t, 18) {
		if e := norm(t, m); e["type"] == ContactStatusChange {
			statuses = append(statuses, e["contact_info"].(map[string]any)["contact_status"].(string))
		}
	}
	want := []string{"Unreachable", "Reachable", "Unreachable", "Reachable", "Unreachable", "Reachable"}
	if len(statuses) != len(want) {
		t.Fatalf("statuses %v", statuses)
	}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses %v", statuses)
		}
	}
	c.quiet(t, 50*time.Millisecond)
}

// checkDecode decodes msg with the CyCoreSystems ARI library, as a real
// client would, and checks the common fields.
func checkDecode(t testing.TB, msg []byte, at time.Time, app string) {
	t.Helper()
	ev, err := ari.DecodeEvent(msg)
	if err != nil {
		t.Fatalf("ari.DecodeEvent(%s): %v", msg, err)
	}
	if ev.GetApplication() != app {
		t.Errorf("application %q in %s", ev.GetApplication(), msg)
	}
	var ts ari.DateTime
	switch e := ev.(type) {
	case *ari.ContactStatusChange:
		ts = e.Timestamp
		if e.ContactInfo.ContactStatus == "" || e.Endpoint.Resource == "" || e.Node == "" {
			t.Errorf("incomplete: %s", msg)
		}
	case *ari.PeerStatusChange:
		ts = e.Timestamp
		if e.Peer.PeerStatus == "" || e.Endpoint.State == "" {
			t.Errorf("incomplete: %s", msg)
		}
	case *ari.EndpointStateChange:
		ts = e.Timestamp
		if e.Endpoint.State == "" {
			t.Errorf("incomplete: %s", msg)
		}
	case *ari.DeviceStateChanged:
		ts = e.Timestamp
		if e.DeviceState.Name == "" || e.DeviceState.State == "" {
			t.Errorf("incomplete: %s", msg)
		}
	case *ari.ApplicationReplaced:
		ts = e.Timestamp
	default:
		t.Fatalf("unexpected %T", ev)
	}
	if !at.IsZero() && !time.Time(ts).Equal(at) {
		t.Errorf("timestamp %v, want %v in %s", time.Time(ts), at, msg)
	}
	if !contains(msg, `+0000"`) {
		t.Errorf("timestamp not in UTC: %s", msg)
	}
}
