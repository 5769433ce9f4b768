package pbxsim

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestAuth(t *testing.T) {
	srv := startLab(t, nil)
	u := srv.URL() + "/endpoints"
	cases := []struct {
		name string
		mod  func(*http.Request)
		want int
	}{
		{"none", func(r *http.Request) { r.Header.Del("Authorization") }, 401},
		{"wrong basic", func(r *http.Request) { r.SetBasicAuth(user, "nope") }, 401},
		{"wrong api_key", func(r *http.Request) {
			r.Header.Del("Authorization")
			r.URL.RawQuery = "api_key=" + user + ":nope"
		}, 401},
		{"api_key without colon", func(r *http.Request) {
			r.Header.Del("Authorization")
			r.URL.RawQuery = "api_key=" + user
		}, 401},
		{"basic wins over api_key", func(r *http.Request) {
			r.SetBasicAuth(user, "nope")
			r.URL.RawQuery = "api_key=" + user + ":" + secret
		}, 401},
		{"basic", nil, 200},
		{"api_key", func(r *http.Request) {
			r.Header.Del("Authorization")
			r.URL.RawQuery = "api_key=" + user + ":" + secret
		}, 200},
	}
	for _, tc := range cases {
		code, body, hdr := do(t, http.MethodGet, u, tc.mod)
		if code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.want)
			continue
		}
		if code == 401 {
			sameJSON(t, tc.name, body, []byte(`{"message":"Authentication required"}`))
			if got := hdr.Get("WWW-Authenticate"); got != `Basic realm="Asterisk REST Interface"` {
				t.Errorf("%s: WWW-Authenticate %q", tc.name, got)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: Content-Type %q", tc.name, ct)
			}
		}
	}

	// The event socket wants credentials too.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, "ws://"+srv.Addr()+"/ari/events?app=x", nil)
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("ws without credentials: err=%v resp=%v", err, resp)
	}
	if srv.Connections() != 0 {
		t.Fatal("unauthenticated socket counted")
	}
}

// TestRESTShapes replays the first run's actions and compares every REST
// snapshot with the recording.
func TestRESTShapes(t *testing.T) {
	srv := startLab(t, nil)
	for _, r := range []string{"op122-01", "op122-02", "op117-01"} {
		if err := srv.Register(r, labContact(r)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(path, fix string, wantCode int) {
		t.Helper()
		code, body := get(t, srv, path)
		if code != wantCode {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		sameJSON(t, path, body, fixture(t, fix))
	}
	check("/endpoints", "ari-endpoints.json", 200) // snapshot S1, order included
	check("/endpoints/PJSIP/op122-01", "ari-endpoint-PJSIP-op122-01.json", 200)
	check("/endpoints/PJSIP/op122-04", "ari-endpoint-PJSIP-op122-04-not-registered.json", 200)
	check("/asterisk/config/dynamic/res_pjsip/aor/op122-01", "aor-op122-01-registered.json", 200)
	check("/asterisk/config/dynamic/res_pjsip/aor/op122-04", "aor-op122-04-unregistered.json", 200)
	check("/asterisk/config/dynamic/res_pjsip/aor/nope", "aor-nope-404.json", 404)

	_ = srv.Unregister("op122-02")
	_ = srv.Unreachable("op117-01")
	check("/endpoints/PJSIP/op117-01", "ari-endpoint-PJSIP-op117-01-after-kill.json", 200)
	_ = srv.Register("op122-03", labContact("op122-03"))
	_ = srv.Expire("op122-03")
	check("/endpoints", "ari-endpoints-final.json", 200)

	// A dead phone keeps its contact until it expires.
	code, body := get(t, srv, "/asterisk/config/dynamic/res_pjsip/aor/op117-01")
	if code != 200 || !contains(body, `{"attribute":"contact","value":"sip:op117-01@127.0.0.1:5201"}`) {
		t.Fatalf("aor of an unreachable contact: %s", body)
	}
	code, body = get(t, srv, "/endpoints/PJSIP")
	if code != 200 {
		t.Fatal(code)
	}
	sameJSON(t, "/endpoints/PJSIP", body, fixture(t, "ari-endpoints-final.json"))

	for path, want := range map[string]string{
		"/endpoints/PJSIP/op999-01": `{"message":"Endpoint not found"}`,
		"/endpoints/SIP/op122-01":   `{"message":"Endpoint not found"}`,
		"/endpoints/SIP":            `{"message":"No Endpoints found - invalid tech SIP"}`,
		"/nothing":                  `{"message":"Resource not found"}`,
		"/endpoints/":               `{"message":"ARI URLs do not end with a slash. Try /ari/endpoints"}`,
	} {
		code, body := get(t, srv, path)
		if code != 404 {
			t.Errorf("GET %s: %d", path, code)
		}
		sameJSON(t, path, body, []byte(want))
	}
	if code, _, _ := do(t, http.MethodPost, srv.URL()+"/endpoints", nil); code != 405 {
		t.Errorf("POST /endpoints: %d", code)
	}

	// Per-AOR qualify_frequency.
	if err := srv.SetQualifyFrequency("op122-05", 0); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, srv, "/asterisk/config/dynamic/res_pjsip/aor/op122-05")
	if !contains(body, `{"attribute":"qualify_frequency","value":"0"}`) {
		t.Fatalf("qualify_frequency: %s", body)
	}
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func TestAsteriskInfo(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 27, 16, 4, 13, 183e6, time.UTC)}
	srv := startLab(t, func(o *Options) { o.Clock = clk.Now })
	code, body := get(t, srv, "/asterisk/info")
	if code != 200 {
		t.Fatal(code)
	}
	// The recording was taken with this very startup time.
	sameJSON(t, "info", body, fixture(t, "ari-asterisk-info.json"))
}

func TestApplicationsREST(t *testing.T) {
	srv := startLab(t, nil)
	dial(t, srv, "app=probe&subscribeAll=true")
	dial(t, srv, "app=probe-tech")
	dial(t, srv, "app=probe-ep")

	code, body := subscribe(t, srv, http.MethodPost, "probe-tech", "endpoint:PJSIP")
	if code != 200 {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	sameJSON(t, "subscribe probe-tech", body, fixture(t, "run2-subscribe-probe-tech.json"))
	code, body = subscribe(t, srv, http.MethodPost, "probe-ep", "endpoint:PJSIP/op122-06,endpoint:PJSIP/op117-01")
	if code != 200 {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	sameJSON(t, "subscribe probe-ep", body, fixture(t, "run2-subscribe-probe-ep.json"))
	code, body = get(t, srv, "/applications")
	if code != 200 {
		t.Fatal(code)
	}
	sameJSON(t, "applications", body, fixture(t, "run2-applications.json"))
	code, body = get(t, srv, "/applications/probe-tech")
	if code != 200 {
		t.Fatal(code)
	}
	sameJSON(t, "application", body, fixture(t, "run2-subscribe-probe-tech.json"))

	if got := srv.Subscriptions("probe-ep"); len(got) != 2 || got[0] != "endpoint:PJSIP/op117-01" || got[1] != "endpoint:PJSIP/op122-06" {
		t.Errorf("Subscriptions(probe-ep) = %v", got)
	}
	if got := srv.Subscriptions("probe"); len(got) != 1 || got[0] != "subscribeAll" {
		t.Errorf("Subscriptions(probe) = %v", got)
	}
	if got := srv.Subscriptions("nope"); got != nil {
		t.Errorf("Subscriptions(nope) = %v", got)
	}

	errs := []struct {
		method, app, src string
		code             int
		msg              string
	}{
		{http.MethodPost, "nope", "endpoint:PJSIP", 404, "Application not found"},
		{http.MethodPost, "probe-tech", "", 400, "Missing parameter eventSource"},
		{http.MethodPost, "probe-tech", "bogus:x", 400, "Invalid event source URI scheme"},
		{http.MethodPost, "probe-tech", "endpoint:PJSIP/op999-01", 422, "Event source does not exist"},
		{http.MethodPost, "probe-tech", "channel:123", 422, "Event source does not exist"},
		{http.MethodDelete, "probe-tech", "endpoint:PJSIP/op122-01", 422, "Event source was not subscribed to"},
		{http.MethodDelete, "nope", "endpoint:PJSIP", 404, "Application not found"},
	}
	for _, e := range errs {
		code, body := subscribe(t, srv, e.method, e.app, e.src)
		if code != e.code {
			t.Errorf("%s %s %q: %d %s", e.method, e.app, e.src, code, body)
			continue
		}
		sameJSON(t, e.src, body, []byte(`{"message":"`+e.msg+`"}`))
	}
	code, body = get(t, srv, "/applications/nope")
	if code != 404 {
		t.Fatal(code)
	}
	sameJSON(t, "unknown app", body, []byte(`{"message":"Application not found"}`))

	code, body = subscribe(t, srv, http.MethodDelete, "probe-tech", "endpoint:PJSIP")
	if code != 200 {
		t.Fatalf("unsubscribe: %d %s", code, body)
	}
	sameJSON(t, "unsubscribed", body, []byte(`{"name":"probe-tech","channel_ids":[],"bridge_ids":[],"endpoint_ids":[],"device_names":[],"events_allowed":[],"events_disallowed":[]}`))
}

func TestScriptErrors(t *testing.T) {
	srv := startLab(t, nil)
	if err := srv.Register("op999-01", "sip:x@y"); !errors.Is(err, ErrUnknownEndpoint) {
		t.Errorf("Register unknown: %v", err)
	}
	if err := srv.Unreachable("op122-01"); !errors.Is(err, ErrNoContact) {
		t.Errorf("Unreachable without contact: %v", err)
	}
	if err := srv.Unregister("op122-01"); err != nil {
		t.Errorf("Unregister without contact: %v", err)
	}
	srv.SetEndpoints([]string{"a", "op122-01"})
	_ = srv.Register("op122-01", "sip:op122-01@h")
	srv.SetEndpoints([]string{"op122-01", "b"})
	if st, ok := srv.State("op122-01"); !ok || st.State != "online" || st.ContactStatus != StatusReachable || st.Contact != "sip:op122-01@h" {
		t.Errorf("State kept across SetEndpoints: %+v %v", st, ok)
	}
	if _, ok := srv.State("a"); ok {
		t.Error("a should be gone")
	}
	_, body := get(t, srv, "/endpoints")
	sameJSON(t, "endpoints after SetEndpoints", body, []byte(`[{"technology":"PJSIP","resource":"b","state":"offline","channel_ids":[]},{"technology":"PJSIP","resource":"op122-01","state":"online","channel_ids":[]}]`))
}
