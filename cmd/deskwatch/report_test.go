package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/store"
)

// seedStore writes spans straight into the daemon's Redis (as a past
// quarter's history would be there).
func (h *harness) seedStore() *store.Store {
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr()})
	h.t.Cleanup(func() { rdb.Close() })
	return store.New(rdb, "dwtest:", zerolog.Nop())
}

func (h *harness) raw(method, path string, body string) (int, []byte, http.Header) {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.api+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// A past quarter's report: its figures equal a hand computation, it can be
// submitted (frozen), a later exclusion makes a new live version whose
// difference is listed, and the frozen version does not change.
func TestE2EQuarterReportSubmitAndVersions(t *testing.T) {
	h := newHarness(t, "op122-01", "op117-01")
	h.pbx.Register("op122-01", "sip:op122-01@127.0.0.1:5101")
	h.pbx.Register("op117-01", "sip:op117-01@127.0.0.1:5201")
	h.start()
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	q, _ := health.ParseQuarter("2026Q3")
	p := q.Range(loc)
	st := h.seedStore()
	hr := func(x float64) time.Time { return p.Start.Add(time.Duration(x * float64(time.Hour))) }
	tr := func(ws string, at time.Time, to health.State) health.Transition {
		from := health.StateUp
		if to == health.StateUp {
			from = health.StateDown
		}
		return health.Transition{Workstation: ws, At: at, From: from, To: to, Cause: health.CauseUnregistered, Source: health.SourceARI}
	}
	ctx := context.Background()
	// op122-01: 3 h down; op117-01: 2 h down, crossing the quarter's end by 1 h (1 h inside).
	if err := st.Apply(ctx, []health.Transition{
		tr("op122-01", hr(10), health.StateDown), tr("op122-01", hr(13), health.StateUp),
		tr("op117-01", p.End.Add(-time.Hour), health.StateDown), tr("op117-01", p.End.Add(time.Hour), health.StateUp),
	}); err != nil {
		t.Fatal(err)
	}
	Q := p.End.Sub(p.Start).Seconds()
	d1, d2 := 100*(Q-3*3600)/Q, 100*(Q-3600)/Q

	code, body, hdr := h.raw("GET", "/api/v1/reports/2026Q3.json", "")
	if code != 200 {
		t.Fatalf("json report: %d %s", code, body)
	}
	var rep map[string]any
	json.Unmarshal(body, &rep)
	if d, _ := rep["d"].(float64); math.Abs(d-(d1+d2)/2) > 1e-9 {
		t.Fatalf("D=%v, want %v; report %s", rep["d"], (d1+d2)/2, body[:min(len(body), 600)])
	}
	hash := hdr.Get("X-Inputs-Hash")

	// The PDF turned to text has the Russian headings and the figures.
	code, pdf, _ := h.raw("GET", "/api/v1/reports/2026Q3.pdf", "")
	if code != 200 || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("pdf: %d", code)
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	text, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext (apt-get install poppler-utils): %v", err)
	}
	for _, want := range []string{"автоматизированных рабочих мест", "15.10.2026", "op122-01", "op117-01"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}

	// Submit: 201 version 1; again with the same inputs: 200, still 1.
	var sub struct {
		Version int
		Created bool
	}
	code, body, _ = h.raw("POST", "/api/v1/reports/2026Q3/submit", "")
	json.Unmarshal(body, &sub)
	if code != 201 || sub.Version != 1 {
		t.Fatalf("submit: %d %s", code, body)
	}
	code, body, _ = h.raw("POST", "/api/v1/reports/2026Q3/submit", "")
	json.Unmarshal(body, &sub)
	if code != 200 || sub.Version != 1 || sub.Created {
		t.Fatalf("resubmit: %d %s", code, body)
	}
	// The running quarter cannot be submitted.
	cur := health.QuarterOf(time.Now(), loc).String()
	if code, body, _ = h.raw("POST", "/api/v1/reports/"+cur+"/submit", ""); code != 409 {
		t.Fatalf("submit running quarter: %d %s", code, body)
	}

	// A late exclusion of op122-01's outage changes the live figures.
	spans, _ := st.Spans(ctx, store.SpanQuery{From: p.Start, To: p.End, Workstations: []string{"op122-01"}})
	if code, body, _ = h.raw("POST", "/api/v1/outages/"+spans[0].ID+"/exclusion", `{"category":"power","reason":"отключение электроэнергии"}`); code != 200 {
		t.Fatalf("exclusion: %d %s", code, body)
	}
	var vs struct {
		Status   string
		Versions []struct {
			Version any
			D       float64
			Diff    map[string]any `json:"diff_from_previous"`
		}
	}
	code, body, _ = h.raw("GET", "/api/v1/reports/2026Q3/versions", "")
	json.Unmarshal(body, &vs)
	if code != 200 || len(vs.Versions) != 2 || vs.Versions[0].Version != 1.0 || vs.Versions[1].Version != "live" {
		t.Fatalf("versions: %d %s", code, body)
	}
	if dd, _ := vs.Versions[1].Diff["D"].([]any); len(dd) != 2 || math.Abs(dd[1].(float64)-(100+d2)/2) > 1e-9 {
		t.Fatalf("diff %v", vs.Versions[1].Diff)
	}
	if _, ok := vs.Versions[1].Diff["workstations"].(map[string]any)["op122-01"]; !ok {
		t.Fatalf("diff does not name op122-01: %v", vs.Versions[1].Diff)
	}
	// The frozen version 1 still has the old figures and hash.
	code, body, hdr = h.raw("GET", "/api/v1/reports/2026Q3.json?version=1", "")
	json.Unmarshal(body, &rep)
	if code != 200 || hdr.Get("X-Inputs-Hash") != hash || math.Abs(rep["d"].(float64)-(d1+d2)/2) > 1e-9 {
		t.Fatalf("frozen v1: %d hash %s vs %s, D %v", code, hdr.Get("X-Inputs-Hash"), hash, rep["d"])
	}
	// The list shows the quarter as changed since submission.
	var list struct {
		Reports []struct {
			Period   string
			Status   string
			Changed  bool `json:"changed_since_submission"`
			Versions int  `json:"submitted_versions"`
		}
	}
	h.raw("GET", "/api/v1/reports", "")
	_, body, _ = h.raw("GET", "/api/v1/reports", "")
	json.Unmarshal(body, &list)
	found := false
	for _, r := range list.Reports {
		if r.Period == "2026Q3" {
			found = true
			if !r.Changed || r.Versions != 1 || r.Status != "overdue" {
				t.Errorf("2026Q3 in list: %+v (today is after 15 Oct 2026)", r)
			}
		}
	}
	if !found {
		t.Fatalf("list: %s", body)
	}
	for _, bad := range []string{"/api/v1/reports/2026Q3.doc", "/api/v1/reports/2026Q9.pdf", "/api/v1/reports/2026Q3.pdf?version=7"} {
		if code, _, _ := h.raw("GET", bad, ""); code != 400 && code != 404 {
			t.Errorf("%s: %d", bad, code)
		}
	}
}

func storeQuery(from, to time.Time, ws ...string) store.SpanQuery {
	return store.SpanQuery{From: from, To: to, Workstations: ws}
}

// `deskwatch report` and `deskwatch report submit` work offline on the
// configured Redis, with the same figures and versions as the API.
func TestReportCommand(t *testing.T) {
	h := newHarness(t, "op122-01")
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	q, _ := health.ParseQuarter("2026Q3")
	p := q.Range(loc)
	st := h.seedStore()
	if err := st.Apply(context.Background(), []health.Transition{
		{Workstation: "op122-01", At: p.Start.Add(time.Hour), From: health.StateUp, To: health.StateDown, Cause: health.CauseUnreachable, Source: health.SourceARI},
		{Workstation: "op122-01", At: p.Start.Add(3 * time.Hour), From: health.StateDown, To: health.StateUp, Source: health.SourceARI},
	}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "deskwatch.yaml")
	if err := os.WriteFile(cfg, []byte(h.configText()), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		rc := run(append(args, "-config", cfg), &out, &errb)
		return rc, out.String(), errb.String()
	}
	out := filepath.Join(dir, "q3.json")
	if rc, o, e := cli("report", "-period", "2026Q3", "-format", "json", "-out", out); rc != 0 || !strings.Contains(o, "N=1") {
		t.Fatalf("report: rc %d %q %q", rc, o, e)
	}
	b, _ := os.ReadFile(out)
	var rep struct {
		D      float64 `json:"d"`
		Status string  `json:"status"`
	}
	json.Unmarshal(b, &rep)
	Q := p.End.Sub(p.Start).Seconds()
	if math.Abs(rep.D-100*(Q-7200)/Q) > 1e-9 || rep.Status != "overdue" {
		t.Fatalf("report file: D %v status %q", rep.D, rep.Status)
	}
	if rc, o, e := cli("report", "-period", "2026Q3", "-format", "csv", "-out", "-"); rc != 0 || !strings.HasPrefix(o, "\ufeff") {
		t.Fatalf("csv to stdout: rc %d %q", rc, e)
	}
	if rc, _, e := cli("report", "-period", "2026Q3", "-format", "doc"); rc != 2 || !strings.Contains(e, "-format") {
		t.Fatalf("bad format: rc %d %q", rc, e)
	}
	if rc, _, e := cli("report", "-period", "2026Q9"); rc != 2 {
		t.Fatalf("bad period: rc %d %q", rc, e)
	}
	if rc, o, e := cli("report", "submit", "-period", "2026Q3", "-by", "Иванов"); rc != 0 || !strings.Contains(o, "версия 1") {
		t.Fatalf("submit: rc %d %q %q", rc, o, e)
	}
	if rc, o, _ := cli("report", "submit", "-period", "2026Q3"); rc != 0 || !strings.Contains(o, "не изменился с версии 1") {
		t.Fatalf("resubmit: rc %d %q", rc, o)
	}
	// The running quarter cannot be submitted; Redis down is an error, not a crash.
	cur := health.QuarterOf(time.Now(), loc).String()
	if rc, _, e := cli("report", "submit", "-period", cur); rc != 1 || !strings.Contains(e, "has not ended") {
		t.Fatalf("submit running quarter: rc %d %q", rc, e)
	}
	h.redis.Stop()
	if rc, _, e := cli("report", "-period", "2026Q3", "-format", "json", "-out", out); rc != 1 || e == "" {
		t.Fatalf("Redis down: rc %d %q", rc, e)
	}
}
