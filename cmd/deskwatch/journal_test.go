package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
)

// A quarter with a PBX-wide outage (one incident, many desks), a desk
// commissioned mid-quarter, an excluded power cut, a manual entry and an
// outage crossing the quarter's end: the journal groups them, the report's
// figures equal a hand computation, and `deskwatch journal verify` catches a
// record changed in Redis.
func TestE2EJournalAndReport(t *testing.T) {
	desks := []string{"op122-01", "op122-02", "op122-03", "op117-01", "op117-02"}
	h := newHarness(t, desks...)
	h.inService = map[string]string{"op117-02": "2026-08-15T00:00:00+08:00"}
	for _, d := range desks {
		h.pbx.Register(d, "sip:"+d+"@127.0.0.1:5060")
	}
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	local := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			panic(err)
		}
		return t.UTC()
	}
	st := h.seedStore()
	ctx := context.Background()
	var trs []health.Transition
	span := func(ws string, from, to time.Time, cause health.Cause) {
		trs = append(trs,
			health.Transition{Workstation: ws, At: from, From: health.StateUp, To: health.StateDown, Cause: cause, Source: health.SourceSIP},
			health.Transition{Workstation: ws, At: to, From: health.StateDown, To: health.StateUp, Source: health.SourceSIP})
	}
	for _, d := range desks { // the PBX down for 2 h: every desk at one instant
		span(d, local("2026-09-10 10:00"), local("2026-09-10 12:00"), health.CausePBX)
	}
	span("op122-01", local("2026-09-20 08:00"), local("2026-09-20 09:00"), health.CauseUnreachable)  // the city's power cut
	span("op117-01", local("2026-09-30 23:00"), local("2026-10-01 01:00"), health.CauseUnregistered) // crosses the quarter's end
	if err := st.Apply(ctx, trs); err != nil {
		t.Fatal(err)
	}
	h.start() // the journal follows the store from its first pass
	if code, b, _ := h.raw("POST", "/api/v1/outages", `{"workstation":"op122-02","start":"2026-09-05T09:00:00+08:00","end":"2026-09-05T10:30:00+08:00","cause":"не загружается компьютер оператора"}`); code != 201 {
		t.Fatalf("manual: %d %s", code, b)
	}
	power, _ := st.Spans(ctx, storeQuery(local("2026-09-20 07:00"), local("2026-09-20 10:00"), "op122-01"))
	if code, b, _ := h.raw("POST", "/api/v1/outages/"+power[0].ID+"/exclusion", `{"category":"power","reason":"отключение электроэнергии в городе","by":"Петров П.П."}`); code != 200 {
		t.Fatalf("exclusion: %d %s", code, b)
	}

	type entry struct {
		ID                string   `json:"id"`
		Number            int      `json:"number"`
		Desks             []string `json:"desks"`
		Cause             string   `json:"cause"`
		Manual            bool     `json:"manual"`
		CauseNoted        bool     `json:"cause_noted"`
		Fault             string   `json:"fault"`
		ExclusionCategory string   `json:"exclusion_category"`
		History           []any    `json:"history"`
	}
	var jr struct{ Journal []entry }
	h.waitFor("journal of the quarter", func() bool {
		h.get("/api/v1/journal?period=2026Q3", &jr)
		return len(jr.Journal) == 4
	})
	byCause := map[string]entry{}
	for _, e := range jr.Journal {
		byCause[e.Cause] = e
	}
	if e := byCause["pbx"]; len(e.Desks) != 5 {
		t.Fatalf("PBX incident: %+v (want one entry with 5 desks); journal %+v", e, jr.Journal)
	}
	if e := byCause["не загружается компьютер оператора"]; !e.Manual || e.Fault != "institution" {
		t.Fatalf("manual entry %+v", e)
	}
	if e := byCause["unreachable"]; e.ExclusionCategory != "power" {
		t.Fatalf("power cut entry %+v", e)
	}
	// A supervisor notes the PBX incident's cause and actions.
	pbx := byCause["pbx"]
	code, b, _ := h.raw("POST", "/api/v1/journal/"+pbx.ID+"/notes", `{"cause":"сбой АТС после обновления","actions":"откат обновления","fault":"institution"}`)
	var noted entry
	json.Unmarshal(b, &noted)
	if code != 200 || noted.Cause != "сбой АТС после обновления" || len(noted.History) <= len(pbx.History) {
		t.Fatalf("note: %d %s", code, b)
	}
	if code, _, _ := h.raw("POST", "/api/v1/journal/"+pbx.ID+"/notes", `{"fault":"aliens"}`); code != 400 {
		t.Fatalf("bad fault: %d", code)
	}
	if code, _, _ := h.raw("POST", "/api/v1/journal/2026-9999/notes", `{"cause":"x"}`); code != 404 {
		t.Fatalf("unknown entry: %d", code)
	}

	// The report: figures by hand.
	q, _ := health.ParseQuarter("2026Q3")
	p := q.Range(loc)
	Q := p.End.Sub(p.Start).Seconds()
	hr := 3600.0
	prov := map[string]float64{"op122-01": Q, "op122-02": Q, "op122-03": Q, "op117-01": Q, "op117-02": Q - 45*86400}
	unav := map[string]float64{"op122-01": 2 * hr, "op122-02": 3.5 * hr, "op122-03": 2 * hr, "op117-01": 3 * hr, "op117-02": 2 * hr}
	var sum float64
	for _, d := range desks {
		sum += 100 * (prov[d] - unav[d]) / prov[d]
	}
	var rep struct {
		N       int     `json:"n"`
		D       float64 `json:"d"`
		Journal []any   `json:"journal"`
		Desks   []struct {
			ID           string  `json:"id"`
			ProvidedS    float64 `json:"provided_seconds"`
			UnavailableS float64 `json:"unavailable_seconds"`
			ExcludedS    float64 `json:"excluded_seconds"`
		} `json:"desks"`
	}
	_, b, _ = h.raw("GET", "/api/v1/reports/2026Q3.json", "")
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.N != 5 || math.Abs(rep.D-sum/5) > 1e-9 || len(rep.Journal) != 4 {
		t.Fatalf("report N=%d D=%v journal=%d; want 5, %v, 4\n%s", rep.N, rep.D, len(rep.Journal), sum/5, b[:min(len(b), 800)])
	}
	for _, d := range rep.Desks {
		if d.ProvidedS != prov[d.ID] || d.UnavailableS != unav[d.ID] {
			t.Errorf("%s: provided %v unavailable %v; want %v %v", d.ID, d.ProvidedS, d.UnavailableS, prov[d.ID], unav[d.ID])
		}
		if want := map[string]float64{"op122-01": hr}[d.ID]; d.ExcludedS != want {
			t.Errorf("%s: excluded %v, want %v", d.ID, d.ExcludedS, want)
		}
	}
	// Entries missing a cause or a fault: the power cut and the edge outage.
	var list struct {
		Reports []struct {
			Period  string
			Missing int `json:"journal_entries_missing_cause_or_fault"`
		}
	}
	_, b, _ = h.raw("GET", "/api/v1/reports", "")
	json.Unmarshal(b, &list)
	for _, r := range list.Reports {
		if r.Period == "2026Q3" && r.Missing != 2 {
			h.get("/api/v1/journal?period=2026Q3", &jr)
			t.Errorf("2026Q3 missing entries: %d, want 2: %+v", r.Missing, jr.Journal)
		}
	}

	// Revoking the exclusion is journaled at once, signed by who did it.
	if code, b, _ := h.raw("DELETE", "/api/v1/outages/"+power[0].ID+"/exclusion", ""); code != 200 {
		t.Fatalf("revoke: %d %s", code, b)
	}
	var e struct {
		ExclusionCategory string `json:"exclusion_category"`
		History           []struct {
			Kind, By string
		} `json:"history"`
	}
	h.get("/api/v1/journal/"+byCause["unreachable"].ID, &e)
	if last := e.History[len(e.History)-1]; e.ExclusionCategory != "" || last.Kind != "exclusion_revoked" || last.By != "duty" {
		t.Fatalf("after revoke: %+v", e)
	}

	// `deskwatch journal verify` passes, then fails at a record changed in Redis.
	cfgPath := filepath.Join(t.TempDir(), "deskwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(h.configText()), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if rc := run([]string{"journal", "verify", "-config", cfgPath}, &out, &errb); rc != 0 {
		t.Fatalf("verify on an intact chain: rc %d %s %s", rc, out.String(), errb.String())
	}
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr()})
	defer rdb.Close()
	if err := rdb.HSet(ctx, "dwtest:{journal}:r:3", "by", "someone else").Err(); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if rc := run([]string{"journal", "verify", "-config", cfgPath}, &out, &errb); rc == 0 || !strings.Contains(out.String(), "запись № 3") || !strings.Contains(out.String(), "record #3") {
		t.Fatalf("verify after tampering: rc %d\n%s\n%s", rc, out.String(), errb.String())
	}
	t.Logf("verify said: %s %s", out.String(), errb.String())
}
