package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"deskwatch/accesslog"
	"deskwatch/health"
	"deskwatch/report"
)

// A viewer reads the journal and a report; the supervisor's access-log
// query shows both with the viewer's name and route; a viewer may not read
// the access log; the auditor's CLI shows the records (and its own earlier
// read); a request just before shutdown is still stored.
func TestE2EAccessLog(t *testing.T) {
	h := newHarness(t, "op122-01")
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.start()
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	q := health.QuarterOf(time.Now(), loc).String()
	const viewer = "test-token-viewer"
	for _, p := range []string{"/api/v1/journal?period=" + q, "/api/v1/reports/" + q + ".csv"} {
		if code := h.do("GET", p, viewer, nil, nil); code != 200 {
			t.Fatalf("viewer GET %s: %d", p, code)
		}
	}
	var got struct {
		AccessLog []accesslog.Record `json:"access_log"`
	}
	h.waitFor("the viewer's reads in the access log", func() bool {
		got.AccessLog = nil
		return h.get("/api/v1/access-log?actor=board", &got) == 200 && len(got.AccessLog) == 2
	})
	for i, want := range []struct{ route, param, value string }{
		{"GET /api/v1/journal", "period", q},
		{"GET /api/v1/reports/{file}", "file", q + ".csv"},
	} {
		r := got.AccessLog[i]
		if r.Actor != "board" || r.Role != "viewer" || r.Route != want.route || r.Params[want.param] != want.value || r.Status != 200 || r.Bytes == 0 || r.Client != "127.0.0.1" {
			t.Errorf("record %d: %+v, want %+v", i, r, want)
		}
	}
	if code := h.do("GET", "/api/v1/access-log", viewer, nil, nil); code != 403 {
		t.Fatalf("viewer reading the access log: %d", code)
	}
	h.waitFor("the refused read in the access log", func() bool {
		got.AccessLog = nil
		return h.get("/api/v1/access-log?actor=board", &got) == 200 && len(got.AccessLog) == 3 && got.AccessLog[2].Status == 403
	})
	if m := h.metricsText(); !strings.Contains(m, "deskwatch_access_log_dropped_total 0") || !strings.Contains(m, "deskwatch_access_log_ok 1") {
		t.Fatalf("metrics:\n%s", m)
	}

	cfgPath := filepath.Join(t.TempDir(), "deskwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(h.configText()), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if rc := run(append([]string{"access-log", "-config", cfgPath, "-by", "auditor"}, args...), &out, &errb); rc != 0 {
			t.Fatalf("access-log %v: rc %d %s", args, rc, errb.String())
		}
		return out.String()
	}
	csv := cli("-period", q, "-actor", "board")
	lines := strings.Split(strings.TrimSuffix(csv, "\r\n"), "\r\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "\ufeff\"Время (Asia/Irkutsk)\";\"Кто (имя токена)\"") ||
		!strings.Contains(lines[1], `;"board";"viewer";`) || !strings.Contains(lines[1], `"GET /api/v1/journal"`) ||
		!strings.Contains(lines[2], `"GET /api/v1/reports/{file}"`) || !strings.Contains(lines[3], `"GET /api/v1/access-log";"/api/v1/access-log";"";403;`) {
		t.Fatalf("csv:\n%s", csv)
	}

	// A request just before SIGTERM is recorded: the writer drains after the API stops.
	if code := h.do("GET", "/api/v1/workstations", viewer, nil, nil); code != 200 {
		t.Fatalf("workstations: %d", code)
	}
	h.stop()
	var js struct {
		AccessLog []accesslog.Record `json:"access_log"`
	}
	if err := json.Unmarshal([]byte(cli("-period", q, "-format", "json")), &js); err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, r := range js.AccessLog {
		routes[r.Actor+" "+r.Route] = true
	}
	for _, want := range []string{"board GET /api/v1/workstations", "auditor deskwatch access-log", "duty GET /api/v1/access-log"} {
		if !routes[want] {
			t.Errorf("the log lacks %q: %v", want, routes)
		}
	}
}

// The auditor's CSV reads like the report's: Russian header first, text
// quoted and defused, numbers bare.
func TestAccessCSVRussianFirst(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	r := accesslog.Record{Time: time.Date(2026, 7, 1, 2, 0, 0, 0, time.UTC), Actor: "=HYPERLINK(\"x\")", Role: "viewer", Client: "10.0.0.7", Remote: "10.0.0.7",
		Method: "GET", Route: "GET /api/v1/journal", Path: "/api/v1/journal", Params: map[string]string{"period": "2026Q3"}, Status: 200, Bytes: 512}
	r.ID = "1782871200000-0"
	var ru, en bytes.Buffer
	if err := writeAccessCSV(&ru, accessExport{Location: loc, Records: []accesslog.Record{r}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(ru.String(), "\r\n")
	if !strings.HasPrefix(lines[0], "\ufeff\"Время (Asia/Irkutsk)\";\"Кто (имя токена)\"") {
		t.Fatalf("header %q", lines[0])
	}
	want := `2026-07-01 10:00:00;"'=HYPERLINK(""x"")";"viewer";"10.0.0.7";"10.0.0.7";"";"GET";"GET /api/v1/journal";"/api/v1/journal";"period=2026Q3";200;512;"1782871200000-0"`
	if lines[1] != want {
		t.Fatalf("row\n%s\nwant\n%s", lines[1], want)
	}
	if err := writeAccessCSV(&en, accessExport{Location: loc, Lang: report.LangEN}); err != nil || !strings.HasPrefix(en.String(), "\ufeff\"Time (Asia/Irkutsk)\";\"Who (token name)\"") {
		t.Fatalf("english header %q %v", en.String(), err)
	}
}
