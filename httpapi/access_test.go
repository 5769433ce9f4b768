package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/accesslog"
	"deskwatch/httpapi"
	"deskwatch/service"
)

// newAccessEnv is newEnv with an access log in the same Redis, its writer
// running, and an event hub.
func newAccessEnv(t *testing.T, trusted ...string) (*env, *accesslog.Log) {
	var l *accesslog.Log
	e := newEnv(t, func(e *env, o *httpapi.Options) {
		rdb := redis.NewClient(&redis.Options{Addr: e.redis.Addr(), MaxRetries: -1, DialTimeout: 300 * time.Millisecond})
		t.Cleanup(func() { rdb.Close() })
		l = accesslog.New(accesslog.Options{Redis: rdb, Key: "t:access", Logger: zerolog.New(&e.logs).With().Str("component", "access").Logger()})
		o.Access = &httpapi.Access{Log: l, Reader: service.NewAccess(l)}
		for _, p := range trusted {
			o.Access.TrustedProxies = append(o.Access.TrustedProxies, netip.MustParsePrefix(p))
		}
		o.Hub = httpapi.NewHub()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e, l
}

// get sends a GET with the token and headers (name, value, …) and returns
// the status, the body and the headers.
func (e *env) get(path, token string, headers ...string) (int, []byte, http.Header) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// accessRecords is the supervisor's access-log query (a path with query).
func (e *env) accessRecords(path string) []accesslog.Record {
	e.t.Helper()
	code, b, _ := e.get(path, supTok)
	var r struct {
		AccessLog []accesslog.Record `json:"access_log"`
	}
	if err := json.Unmarshal(b, &r); code != 200 || err != nil {
		e.t.Fatalf("%s: %d %s", path, code, b)
	}
	return r.AccessLog
}

// since is the access-log query of every record from t to a minute on.
func since(t time.Time, more string) string {
	return "/api/v1/access-log?" + url.Values{"from": {t.UTC().Format(time.RFC3339Nano)}, "to": {t.Add(time.Minute).UTC().Format(time.RFC3339Nano)}}.Encode() + more
}

func (e *env) waitRecords(path string, n int) []accesslog.Record {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rs := e.accessRecords(path)
		if len(rs) >= n || time.Now().After(deadline) {
			if len(rs) != n {
				e.t.Fatalf("%s: %d records, want %d: %+v", path, len(rs), n, rs)
			}
			return rs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A viewer's reads are recorded with the token's name, the route, the
// selectors, the status and the bytes; refused ones too; what returns no
// personal data is not; X-Forwarded-For from an untrusted peer is ignored.
func TestAccessLogRecordsReads(t *testing.T) {
	e, _ := newAccessEnv(t)
	t0 := time.Now()
	code, body, _ := e.get("/api/v1/outages?period=2026Q3&workstation=d1&lang=en", viewTok, "X-Forwarded-For", "203.0.113.9")
	if code != 200 {
		t.Fatalf("outages %d %s", code, body)
	}
	if code, _, _ := e.get("/api/v1/outages/nope", viewTok); code != 404 {
		t.Fatalf("unknown outage %d", code)
	}
	if code, _, _ := e.get("/api/v1/access-log", viewTok); code != 403 {
		t.Fatalf("viewer reading the access log: %d", code)
	}
	for _, p := range []string{"/healthz", "/metrics", "/api/v1/openapi.json", "/api/v1/whoami"} {
		if code, _, _ := e.get(p, viewTok); code != 200 {
			t.Fatalf("%s %d", p, code)
		}
	}
	if code, _, _ := e.get("/api/v1/workstations", "wrong"); code != 401 {
		t.Fatalf("wrong token %d", code)
	}

	rs := e.waitRecords(since(t0, "&actor=board"), 3)
	want := []struct {
		route, path string
		params      map[string]string
		status      int
	}{
		{"GET /api/v1/outages", "/api/v1/outages", map[string]string{"period": "2026Q3", "workstation": "d1"}, 200},
		{"GET /api/v1/outages/{id}", "/api/v1/outages/nope", map[string]string{"id": "nope"}, 404},
		{"GET /api/v1/access-log", "/api/v1/access-log", nil, 403},
	}
	for i, w := range want {
		r := rs[i]
		if r.Actor != "board" || r.Role != "viewer" || r.Method != "GET" || r.Route != w.route || r.Path != w.path || r.Status != w.status ||
			len(r.Params) != len(w.params) || r.Client != "127.0.0.1" || r.Remote != "127.0.0.1" || r.ForwardedFor != "" || r.Time.Before(t0.Add(-time.Millisecond)) {
			t.Errorf("record %d: %+v, want %+v", i, r, w)
		}
		for k, v := range w.params {
			if r.Params[k] != v {
				t.Errorf("record %d: params %v, want %v", i, r.Params, w.params)
			}
		}
	}
	if rs[0].Bytes != int64(len(body)) {
		t.Errorf("bytes %d, body %d", rs[0].Bytes, len(body))
	}
	// Reading the access log is logged too; nothing else was.
	// (Each query is recorded a little later: poll until one is.)
	routes := map[string]int{}
	for deadline := time.Now().Add(10 * time.Second); routes["duty GET /api/v1/access-log"] == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		clear(routes)
		for _, r := range e.accessRecords(since(t0, "")) {
			routes[r.Actor+" "+r.Route]++
		}
	}
	if len(routes) != 4 || routes["duty GET /api/v1/access-log"] < 1 {
		t.Fatalf("all records by actor and route: %v", routes)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"component":"access"`) || strings.Contains(logs, viewTok) || strings.Contains(logs, supTok) {
		t.Fatalf("log lines: %s", logs)
	}
}

// X-Forwarded-For counts only from a trusted proxy; the client is the
// nearest address in it that is not a trusted proxy too.
func TestAccessLogTrustedProxy(t *testing.T) {
	e, _ := newAccessEnv(t, "127.0.0.0/8")
	t0 := time.Now()
	e.get("/api/v1/workstations", viewTok, "X-Forwarded-For", "198.51.100.4, 203.0.113.9")
	e.get("/api/v1/workstations", viewTok, "X-Forwarded-For", "203.0.113.10", "X-Forwarded-For", "127.0.0.5")
	e.get("/api/v1/workstations", viewTok)
	rs := e.waitRecords(since(t0, "&actor=board"), 3)
	for i, w := range [][2]string{{"203.0.113.9", "198.51.100.4, 203.0.113.9"}, {"203.0.113.10", "203.0.113.10, 127.0.0.5"}, {"127.0.0.1", ""}} {
		if rs[i].Client != w[0] || rs[i].ForwardedFor != w[1] || rs[i].Remote != "127.0.0.1" {
			t.Errorf("record %d: client %q forwarded %q remote %q, want %q %q", i, rs[i].Client, rs[i].ForwardedFor, rs[i].Remote, w[0], w[1])
		}
	}
}

// limit and cursor page through the log with Link: rel="next".
func TestAccessLogPages(t *testing.T) {
	e, _ := newAccessEnv(t)
	t0 := time.Now()
	for range 5 {
		e.get("/api/v1/workstations", viewTok)
	}
	e.waitRecords(since(t0, "&actor=board"), 5)
	path, pages, n := since(t0, "&actor=board&limit=2"), 0, 0
	for path != "" {
		code, b, h := e.get(path, supTok)
		var r struct {
			AccessLog []accesslog.Record `json:"access_log"`
		}
		if code != 200 || json.Unmarshal(b, &r) != nil {
			t.Fatalf("%s: %d %s", path, code, b)
		}
		pages++
		n += len(r.AccessLog)
		path = ""
		if m := nextLink.FindStringSubmatch(h.Get("Link")); m != nil {
			path = m[1]
		}
	}
	if pages != 3 || n != 5 {
		t.Fatalf("%d records in %d pages", n, pages)
	}
	for _, q := range []string{"&limit=0", "&limit=10001", "&limit=x", "&cursor=!!", "&cursor=bm9wZQ"} {
		code, b, _ := e.get(since(t0, q), supTok)
		if code != 400 || !strings.Contains(string(b), `"code":"bad_`) {
			t.Errorf("%s: %d %s", q, code, b)
		}
	}
}

// Redis down: the data requests answer exactly as without the access log,
// the failure is counted, and /healthz warns.
func TestAccessLogRedisDown(t *testing.T) {
	plain := newEnv(t)
	logged, l := newAccessEnv(t)
	plain.redis.Stop()
	logged.redis.Stop()
	for _, p := range []string{"/api/v1/outages?period=2026Q3", "/api/v1/outages/x", "/api/v1/workstations", "/api/v1/availability?period=2026Q3"} {
		c1, b1, _ := plain.get(p, viewTok)
		c2, b2, _ := logged.get(p, viewTok)
		if c1 != c2 || string(b1) != string(b2) {
			t.Errorf("%s: without the access log %d %s, with it %d %s", p, c1, b1, c2, b2)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for h := l.Health(); h.Failed == 0 || h.OK; h = l.Health() {
		if time.Now().After(deadline) {
			t.Fatalf("failure not counted: %+v", h)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, b, _ := logged.get("/healthz", "")
	var hz struct {
		Warnings  map[string][]string
		AccessLog struct {
			WritesOK bool   `json:"writes_ok"`
			Failed   uint64 `json:"failed"`
		} `json:"access_log"`
	}
	if err := json.Unmarshal(b, &hz); err != nil || len(hz.Warnings["access_log_failing"]) != 1 || hz.AccessLog.WritesOK || hz.AccessLog.Failed == 0 {
		t.Fatalf("healthz %s", b)
	}
}

// The event stream is recorded once its snapshot is sent, while it stays
// open.
func TestAccessLogEventStream(t *testing.T) {
	e, _ := newAccessEnv(t)
	t0 := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+viewTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && sc.Text() != "event: snapshot" {
	}
	rs := e.waitRecords(since(t0, "&actor=board"), 1)
	if rs[0].Route != "GET /api/v1/events" || rs[0].Status != 200 || rs[0].Bytes < 100 {
		t.Fatalf("stream record %+v", rs[0])
	}
}

func TestWhoami(t *testing.T) {
	e, _ := newAccessEnv(t)
	for tok, want := range map[string]string{viewTok: `{"name":"board","role":"viewer"}`, supTok: `{"name":"duty","role":"supervisor"}`} {
		if code, b, _ := e.get("/api/v1/whoami", tok); code != 200 || strings.TrimSpace(string(b)) != want {
			t.Errorf("whoami: %d %s, want %s", code, b, want)
		}
	}
}
