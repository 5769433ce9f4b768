package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/httpapi"
	"deskwatch/internal/logtest"
	"deskwatch/internal/redistest"
	"deskwatch/service"
	"deskwatch/store"
)

const (
	supTok  = "supervisor-token"
	viewTok = "viewer-token"
)

func sum(s string) string { b := sha256.Sum256([]byte(s)); return hex.EncodeToString(b[:]) }

type live struct{ tr *health.Tracker }

func (l live) Views() []health.DeskView               { return l.tr.Views() }
func (l live) View(id string) (health.DeskView, bool) { return l.tr.View(id) }

type env struct {
	t     testing.TB
	srv   *httptest.Server
	st    *store.Store
	redis *redistest.Server
	now   time.Time
	loc   *time.Location
	q     health.Interval // 2026Q3 in Irkutsk
	tr    *health.Tracker
	logs  logtest.Buffer // the API's and the service's
}

// newEnv: four desks; d3 commissioned mid-quarter; "now" is after 2026Q3.
// opts change the API's options.
func newEnv(t testing.TB, opts ...func(*env, *httpapi.Options)) *env {
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	q3, _ := health.ParseQuarter("2026Q3")
	e := &env{t: t, loc: loc, q: q3.Range(loc), now: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	e.redis = redistest.StartServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: e.redis.Addr(), MaxRetries: -1, DialTimeout: 300 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	e.st = store.New(rdb, "t:", zerolog.Nop())
	wss := []health.Workstation{
		{ID: "d1", Name: "АРМ 1", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d1"}},
		{ID: "d2", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d2"}},
		{ID: "d3", Hotlines: []string{"117"}, Endpoints: []string{"PJSIP/d3"}, InServiceFrom: e.h(24 * 46)},
		{ID: "d4", Hotlines: []string{"117"}, Endpoints: []string{"PJSIP/d4"}},
	}
	e.tr = health.NewTracker(wss)
	log := zerolog.New(&e.logs)
	now := func() time.Time { return e.now }
	svc := service.New(service.Options{Workstations: wss, Location: loc, Store: e.st, Now: now, Logger: log})
	opt := httpapi.Options{
		Workstations: wss, Location: loc,
		Tokens:  []httpapi.Token{{Name: "duty", Role: "supervisor", SHA256: sum(supTok)}, {Name: "board", Role: "viewer", SHA256: sum(viewTok)}},
		Service: svc, Live: live{e.tr}, Logger: log, Now: now,
	}
	for _, o := range opts {
		o(e, &opt)
	}
	api := httpapi.New(opt)
	e.srv = httptest.NewServer(api)
	t.Cleanup(e.srv.Close)
	return e
}

// h is hours after the quarter's start.
func (e *env) h(hours float64) time.Time {
	return e.q.Start.Add(time.Duration(hours * float64(time.Hour)))
}

func (e *env) call(method, path, token, body string) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &out); err != nil && resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		e.t.Fatalf("%s %s: %d non-JSON %q", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode, out
}

func (e *env) apply(trs ...health.Transition) {
	e.t.Helper()
	if err := e.st.Apply(context.Background(), trs); err != nil {
		e.t.Fatal(err)
	}
}

func down(ws string, at time.Time) health.Transition {
	return health.Transition{Workstation: ws, At: at, From: health.StateUp, To: health.StateDown, Cause: health.CauseUnreachable, Source: health.SourceARI}
}

func up(ws string, at time.Time) health.Transition {
	return health.Transition{Workstation: ws, At: at, From: health.StateDown, To: health.StateUp, Source: health.SourceARI}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/healthz", "", "", 200},
		{"GET", "/api/v1/workstations", "", "", 401},
		{"GET", "/api/v1/workstations", "wrong", "", 401},
		{"GET", "/api/v1/workstations", viewTok, "", 200},
		{"GET", "/metrics", "", "", 401},
		{"POST", "/api/v1/outages", viewTok, `{}`, 403},
		{"POST", "/api/v1/outages/x/exclusion", viewTok, `{}`, 403},
		{"DELETE", "/api/v1/outages/x/exclusion", viewTok, ``, 403},
		{"GET", "/api/v1/nope", supTok, "", 404},
	}
	for _, c := range cases {
		if got, body := e.call(c.method, c.path, c.token, c.body); got != c.want {
			t.Errorf("%s %s (token %q): %d %v, want %d", c.method, c.path, c.token, got, body, c.want)
		} else if got >= 400 && body["error"] == "" {
			t.Errorf("%s %s: no error message", c.method, c.path)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/outages", nil)
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.apply(down("d1", e.h(1)))
	spans, _ := e.st.Spans(context.Background(), store.SpanQuery{From: e.q.Start, To: e.q.End})
	id := spans[0].ID
	cases := []struct {
		method, path, body string
		want               int
		code               string
	}{
		{"GET", "/api/v1/outages?from=yesterday", "", 400, "bad_time"},
		{"GET", "/api/v1/outages?from=2026-07-01T00:00:00Z&to=2026-07-01T00:00:00Z", "", 400, "bad_range"},
		{"GET", "/api/v1/outages?from=2026-08-01T00:00:00Z&to=2026-07-01T00:00:00Z", "", 400, "bad_range"},
		{"GET", "/api/v1/outages?workstation=nope", "", 400, "unknown_workstation"},
		{"GET", "/api/v1/outages?hotline=911", "", 400, "unknown_hotline"},
		{"GET", "/api/v1/outages?open=maybe", "", 400, "bad_open"},
		{"GET", "/api/v1/outages?period=2026Q9", "", 400, "bad_period"},
		{"GET", "/api/v1/availability", "", 400, "bad_range"},
		{"GET", "/api/v1/availability?period=last", "", 400, "bad_period"},
		{"GET", "/api/v1/availability?period=2026Q3&from=2026-07-01T00:00:00Z", "", 400, "bad_range"},
		{"GET", "/api/v1/availability?from=2026-07-01T00:00:00Z", "", 400, "bad_range"},
		{"POST", "/api/v1/outages", "not json", 400, "bad_json"},
		{"POST", "/api/v1/outages", `{"workstation":"d1","start":"2026-07-01T00:00:00Z","end":"2026-07-01T01:00:00Z","cause":"pc","extra":1}`, 400, "bad_json"},
		{"POST", "/api/v1/outages", `{"workstation":"d1","start":"2026-07-01T00:00:00Z","end":"2026-07-01T01:00:00Z","cause":"pc"} {}`, 400, "bad_json"},
		{"POST", "/api/v1/outages", `{"workstation":"zz","start":"2026-07-01T00:00:00Z","end":"2026-07-01T01:00:00Z","cause":"pc"}`, 400, "unknown_workstation"},
		{"POST", "/api/v1/outages", `{"workstation":"d1","start":"2026-07-01T02:00:00Z","end":"2026-07-01T01:00:00Z","cause":"pc"}`, 400, "bad_range"},
		{"POST", "/api/v1/outages", `{"workstation":"d1","start":"2026-07-01","end":"2026-07-01T01:00:00Z","cause":"pc"}`, 400, "bad_time"},
		{"POST", "/api/v1/outages", `{"workstation":"d1","start":"2026-07-01T00:00:00Z","cause":"pc"}`, 400, "missing_end"},
		{"POST", "/api/v1/outages", `{"workstation":"d1","start":"2026-07-01T00:00:00Z","end":"2026-07-01T01:00:00Z","cause":" "}`, 400, "bad_cause"},
		{"POST", "/api/v1/outages", `{"workstation":"d1","start":"2027-07-01T00:00:00Z","end":"2027-07-01T01:00:00Z","cause":"pc"}`, 400, "future"},
		{"POST", "/api/v1/outages", `{"workstation":"d3","start":"2026-07-02T00:00:00Z","end":"2026-07-02T01:00:00Z","cause":"pc"}`, 400, "out_of_service"},
		{"POST", "/api/v1/outages/" + id + "/exclusion", `{"category":"aliens","reason":"r"}`, 400, "bad_category"},
		{"POST", "/api/v1/outages/" + id + "/exclusion", `{"category":"power","reason":""}`, 400, "bad_reason"},
		{"POST", "/api/v1/outages/" + id + "/exclusion", `{"category":"power","reason":"x","why":"y"}`, 400, "bad_json"},
		{"POST", "/api/v1/outages/nope-20260701T000000.000Z/exclusion", `{"category":"power","reason":"city grid"}`, 404, "not_found"},
		{"DELETE", "/api/v1/outages/nope/exclusion", ``, 404, "not_found"},
		{"GET", "/api/v1/outages/nope", ``, 404, "not_found"},
	}
	for _, c := range cases {
		got, body := e.call(c.method, c.path, supTok, c.body)
		if got != c.want || body["code"] != c.code {
			t.Errorf("%s %s %s: %d %v, want %d %s", c.method, c.path, c.body, got, body, c.want, c.code)
		}
		if msg, _ := body["error"].(string); msg == "" || !hasCyrillic(msg) {
			t.Errorf("%s %s: error %q is not a Russian message", c.method, c.path, msg)
		}
	}
	// English on request.
	_, body := e.call("GET", "/api/v1/outages?from=yesterday&lang=en", supTok, "")
	if msg := body["error"].(string); !strings.Contains(msg, "is not an RFC 3339 time") {
		t.Errorf("english error %q", msg)
	}
}

// Input the API's own checks pass but the store refuses (a start before
// 1970, which the store cannot index) is the client's mistake: 400 with the
// store's reason, and nothing logged as an error.
func TestStoreRefusalIsBadInput(t *testing.T) {
	e := newEnv(t)
	code, body := e.call("POST", "/api/v1/outages", supTok, `{"workstation":"d1","start":"1960-07-01T00:00:00Z","end":"1960-07-01T01:00:00Z","cause":"pc"}`)
	if msg, _ := body["error"].(string); code != 400 || body["code"] != "invalid" || !hasCyrillic(msg) || !strings.Contains(msg, "1970") {
		t.Fatalf("%d %v, want 400 invalid naming the store's range", code, body)
	}
	if logs := e.logs.String(); strings.Contains(logs, `"level":"error"`) {
		t.Fatalf("a refused input was logged as an error:\n%s", logs)
	}
	if code, body = e.call("GET", "/api/v1/outages?from=1960-01-01T00:00:00Z&to=1960-02-01T00:00:00Z", viewTok, ""); code != 400 || body["code"] != "invalid" {
		t.Fatalf("a query before 1970: %d %v, want 400 invalid", code, body)
	}
}

func hasCyrillic(s string) bool {
	for _, r := range s {
		if r >= 'А' && r <= 'я' {
			return true
		}
	}
	return false
}

// The availability of a seeded quarter with overlaps, an exclusion, a desk
// commissioned mid-quarter and an outage crossing the quarter's edge equals
// a hand computation.
func TestAvailabilitySeededQuarter(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// d1: detected 10h–12h; a manual entry 11h–13h overlapping it (union 3 h);
	// an outage crossing the quarter's start (from −5 h to +1 h: 1 h inside).
	e.apply(down("d1", e.h(-5)), up("d1", e.h(1)), down("d1", e.h(10)), up("d1", e.h(12)))
	code, man := e.call("POST", "/api/v1/outages", supTok, `{"workstation":"d1","start":"`+ts(e.h(11))+`","end":"`+ts(e.h(13))+`","cause":"компьютер оператора не загружается","note":"заменён блок питания"}`)
	if code != 201 || man["manual"] != true || man["end"] != ts(e.h(13)) {
		t.Fatalf("manual: %d %v", code, man)
	}
	// d2: 4 h excluded (city power cut), and an outage crossing the quarter's end (2 h inside).
	e.apply(down("d2", e.h(100)), up("d2", e.h(104)), down("d2", e.q.End.Add(-2*time.Hour)), up("d2", e.q.End.Add(3*time.Hour)))
	sp, _ := e.st.Spans(ctx, store.SpanQuery{From: e.h(99), To: e.h(101), Workstations: []string{"d2"}})
	code, ex := e.call("POST", "/api/v1/outages/"+sp[0].ID+"/exclusion", supTok, `{"category":"power","reason":"отключение электроснабжения в городе","by":"Иванов И.И."}`)
	if code != 200 || ex["excluded"] != true {
		t.Fatalf("exclusion: %d %v", code, ex)
	}
	// d3: commissioned at +46 days; 30 min down at +50 days, and an outage
	// before commissioning that must not count.
	e.apply(down("d3", e.h(24*40)), up("d3", e.h(24*40+5)), down("d3", e.h(24*50)), up("d3", e.h(24*50+0.5)))
	// d4: never down. A blind interval of 2 h covers d1's 12h–13h partly.
	_ = e.st.OpenBlind(ctx, health.SourceARI, e.h(12.5))
	_ = e.st.CloseBlind(ctx, health.SourceARI, e.h(14.5))

	code, av := e.call("GET", "/api/v1/availability?period=2026Q3", viewTok, "")
	if code != 200 {
		t.Fatalf("availability: %d %v", code, av)
	}
	Q := e.q.End.Sub(e.q.Start).Seconds() // 92 days
	d3prov := Q - 46*86400
	type row struct{ prov, unav, excl, unk float64 }
	want := map[string]row{
		"d1": {Q, 3600 + 2.5*3600, 0, 2 * 3600}, // 1 h + (10–12.5 h); 12.5–13 h is blind
		"d2": {Q, 2 * 3600, 4 * 3600, 2 * 3600},
		"d3": {d3prov, 1800, 0, 0},
		"d4": {Q, 0, 0, 2 * 3600},
	}
	ws := av["workstations"].([]any)
	if len(ws) != 4 || av["N"] != 4.0 {
		t.Fatalf("N=%v workstations=%d", av["N"], len(ws))
	}
	var sumDi float64
	for _, x := range ws {
		w := x.(map[string]any)
		r := want[w["id"].(string)]
		got := row{w["provided_s"].(float64), w["unavailable_s"].(float64), w["excluded_s"].(float64), w["unknown_s"].(float64)}
		if got != r {
			t.Errorf("%s: got %+v, want %+v", w["id"], got, r)
		}
		di := 100 * (r.prov - r.unav) / r.prov
		if math.Abs(w["Di"].(float64)-di) > 1e-9 {
			t.Errorf("%s: Di %v, want %v", w["id"], w["Di"], di)
		}
		sumDi += di
	}
	if math.Abs(av["D"].(float64)-sumDi/4) > 1e-9 {
		t.Errorf("D %v, want %v", av["D"], sumDi/4)
	}
	hot := av["hotlines"].(map[string]any)
	h117 := hot["117"].(map[string]any)
	d117 := (100*(d3prov-1800)/d3prov + 100) / 2
	if h117["N"] != 2.0 || math.Abs(h117["D"].(float64)-d117) > 1e-9 {
		t.Errorf("117: %v, want N=2 D=%v", h117, d117)
	}
	p := av["period"].(map[string]any)
	if p["from"] != "2026-07-01T00:00:00+08:00" || p["to"] != "2026-10-01T00:00:00+08:00" || p["zone"] != "Asia/Irkutsk" {
		t.Errorf("period %v", p)
	}

	// Revoking the exclusion brings d2's 4 h back into the formula, and
	// the audit keeps both records.
	if code, _ := e.call("DELETE", "/api/v1/outages/"+sp[0].ID+"/exclusion", supTok, ""); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	_, av = e.call("GET", "/api/v1/availability?period=2026Q3", viewTok, "")
	for _, x := range av["workstations"].([]any) {
		if w := x.(map[string]any); w["id"] == "d2" && w["unavailable_s"] != 6*3600.0 {
			t.Errorf("after revoke d2 unavailable_s=%v", w["unavailable_s"])
		}
	}
	audit, err := e.st.Audit(ctx)
	if err != nil || len(audit) != 3 {
		t.Fatalf("audit %d records (%v): want manual, exclusion, revocation", len(audit), err)
	}
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func TestOutagesListAndFilters(t *testing.T) {
	e := newEnv(t)
	e.apply(down("d1", e.h(1)), up("d1", e.h(2)), down("d2", e.h(3)), down("d3", e.h(24*47)))
	list := func(q url.Values) []any {
		t.Helper()
		code, body := e.call("GET", "/api/v1/outages?"+q.Encode(), viewTok, "")
		if code != 200 {
			t.Fatalf("%v: %d %v", q, code, body)
		}
		return body["outages"].([]any)
	}
	all := list(url.Values{"period": {"2026Q3"}})
	if len(all) != 3 || all[0].(map[string]any)["workstation"] != "d3" || all[2].(map[string]any)["workstation"] != "d1" {
		t.Fatalf("newest first: %v", all)
	}
	first := all[2].(map[string]any)
	if first["start"] != ts(e.h(1)) || first["end"] != ts(e.h(2)) || first["cause"] != "unreachable" || first["exclusion"] != nil {
		t.Fatalf("span fields %v", first)
	}
	if n := len(list(url.Values{"period": {"2026Q3"}, "open": {"true"}})); n != 2 {
		t.Errorf("open=true: %d", n)
	}
	if n := len(list(url.Values{"period": {"2026Q3"}, "hotline": {"117"}})); n != 1 {
		t.Errorf("hotline=117: %d", n)
	}
	if n := len(list(url.Values{"period": {"2026Q3"}, "hotline": {"117"}, "workstation": {"d1"}})); n != 0 {
		t.Errorf("hotline=117&workstation=d1: %d", n)
	}
	// [from, to) overlap: a range ending exactly at d1's start excludes it.
	if n := len(list(url.Values{"from": {ts(e.h(0))}, "to": {ts(e.h(1))}, "workstation": {"d1"}})); n != 0 {
		t.Errorf("edge: %d", n)
	}
	id := first["id"].(string)
	if code, one := e.call("GET", "/api/v1/outages/"+id, viewTok, ""); code != 200 || one["id"] != id {
		t.Errorf("get one: %d %v", code, one)
	}
}

func TestWorkstationsView(t *testing.T) {
	e := newEnv(t)
	e.tr.Observe(health.Observation{Endpoint: "PJSIP/d1", Source: health.SourceARI, Kind: health.KindOffline, Snapshot: true, At: e.now})
	_, body := e.call("GET", "/api/v1/workstations", viewTok, "")
	ws := body["workstations"].([]any)
	d1 := ws[0].(map[string]any)
	if len(ws) != 4 || d1["id"] != "d1" || d1["name"] != "АРМ 1" || d1["state"] != "down" || d1["cause"] != "offline" || d1["since"] != ts(e.now) {
		t.Fatalf("%v", d1)
	}
	ep := d1["endpoints"].([]any)[0].(map[string]any)
	if ep["id"] != "PJSIP/d1" || ep["state"] != "down" || ep["last_event_at"] != ts(e.now) {
		t.Fatalf("endpoint %v", ep)
	}
	if d2 := ws[1].(map[string]any); d2["state"] != "unknown" || d2["since"] != nil {
		t.Fatalf("d2 %v", d2)
	}
}

// A Redis outage gives 503 with a clear message, and the API recovers.
func TestRedisOutage(t *testing.T) {
	e := newEnv(t)
	e.redis.Stop()
	code, body := e.call("GET", "/api/v1/outages?period=2026Q3", viewTok, "")
	if code != 503 || body["code"] != "store_unavailable" {
		t.Fatalf("%d %v", code, body)
	}
	code, body = e.call("GET", "/healthz", "", "")
	if code != 200 || body["status"] != "degraded" || body["redis"].(map[string]any)["reachable"] != false {
		t.Fatalf("healthz %d %v", code, body)
	}
	e.redis.Restart()
	code, _ = e.call("GET", "/api/v1/outages?period=2026Q3", viewTok, "")
	if code != 200 {
		t.Fatalf("after restart: %d", code)
	}
}

func TestMetricsFormat(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+viewTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	want := `# HELP deskwatch_hotline_desks Desks configured on the hotline.
# TYPE deskwatch_hotline_desks gauge
deskwatch_hotline_desks{hotline="117"} 2
deskwatch_hotline_desks{hotline="122"} 2
# HELP deskwatch_hotline_up Desks up now on the hotline.
# TYPE deskwatch_hotline_up gauge
deskwatch_hotline_up{hotline="117"} 0
deskwatch_hotline_up{hotline="122"} 0
# HELP deskwatch_workstations Workstations by current state.
# TYPE deskwatch_workstations gauge
deskwatch_workstations{state="up"} 0
deskwatch_workstations{state="down"} 0
deskwatch_workstations{state="unknown"} 4
`
	if string(b) != want {
		t.Fatalf("metrics:\n%s", b)
	}
}
