package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/httpapi"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
	"deskwatch/service"
	"deskwatch/store"
)

// newJournalEnv is newEnv with the journal and the reports served: two
// desks, "now" after 2026Q3.
func newJournalEnv(t *testing.T) *env {
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	q3, _ := health.ParseQuarter("2026Q3")
	e := &env{t: t, loc: loc, q: q3.Range(loc), now: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	e.redis = redistest.StartServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: e.redis.Addr()})
	t.Cleanup(func() { rdb.Close() })
	e.st = store.New(rdb, "t:", zerolog.Nop())
	wss := []health.Workstation{{ID: "d1", Hotlines: []string{"122"}}, {ID: "d2", Hotlines: []string{"117"}}}
	now := func() time.Time { return e.now }
	jr, err := journal.New(rdb, journal.Options{Prefix: "t:", Location: loc, Workstations: wss, Clock: now}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Options{Workstations: wss, Location: loc, Store: e.st, Journal: jr, Now: now, Logger: zerolog.Nop()})
	e.tr = health.NewTracker(wss)
	api := httpapi.New(httpapi.Options{Workstations: wss, Location: loc, Now: now, Logger: zerolog.Nop(),
		Tokens:  []httpapi.Token{{Name: "duty", Role: "supervisor", SHA256: sum(supTok)}, {Name: "board", Role: "viewer", SHA256: sum(viewTok)}},
		Service: svc, Journal: svc, Reports: svc, Live: live{e.tr}})
	e.srv = httptest.NewServer(api)
	t.Cleanup(e.srv.Close)
	return e
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// A supervisor token named "duty" posts an exclusion with by "Иванов": the
// answer and the journal entry say by Иванов, actor duty.
func TestActorIsTheToken(t *testing.T) {
	e := newJournalEnv(t)
	e.apply(down("d1", e.h(1)), up("d1", e.h(2)))
	spans, _ := e.st.Spans(context.Background(), store.SpanQuery{From: e.q.Start, To: e.q.End})
	id := spans[0].ID

	code, ans := e.call("POST", "/api/v1/outages/"+id+"/exclusion", supTok, `{"category":"power","reason":"отключение электроснабжения","by":"Иванов"}`)
	ex, _ := ans["exclusion"].(map[string]any)
	if code != 200 || ex["by"] != "Иванов" || ex["actor"] != "duty" {
		t.Fatalf("exclusion answer %d %v", code, ans)
	}
	code, ans = e.call("GET", "/api/v1/journal?period=2026Q3", viewTok, "")
	entries, _ := ans["journal"].([]any)
	if code != 200 || len(entries) != 1 {
		t.Fatalf("journal %d %v", code, ans)
	}
	entryID := entries[0].(map[string]any)["id"].(string)
	var rec map[string]any // the exclusion's record
	for _, h := range entries[0].(map[string]any)["history"].([]any) {
		if h.(map[string]any)["kind"] == "exclusion" {
			rec = h.(map[string]any)
		}
	}
	if rec["by"] != "Иванов" || rec["actor"] != "duty" || !strings.Contains(string(mustJSON(rec["payload"])), `"actor":"duty"`) {
		t.Fatalf("journal record %v", rec)
	}

	// Revocation, a note and a manual outage: the token is the actor; by
	// defaults to it.
	if code, ans := e.call("DELETE", "/api/v1/outages/"+id+"/exclusion", supTok, ""); code != 200 || ans["exclusion"] != nil {
		t.Fatalf("revoke %d %v", code, ans)
	}
	code, ans = e.call("POST", "/api/v1/journal/"+entryID+"/notes", supTok, `{"cause":"авария сети","by":"Сидоров"}`)
	history := ans["history"].([]any)
	note := history[len(history)-1].(map[string]any)
	revoked := history[len(history)-2].(map[string]any)
	if code != 200 || note["by"] != "Сидоров" || note["actor"] != "duty" || revoked["kind"] != "exclusion_revoked" || revoked["actor"] != "duty" {
		t.Fatalf("note %d %v; revocation %v", code, note, revoked)
	}
	code, ans = e.call("POST", "/api/v1/outages", supTok, `{"workstation":"d2","start":"2026-08-01T10:00:00+08:00","end":"2026-08-01T11:00:00+08:00","cause":"компьютер","by":"Петров"}`)
	if code != 201 || ans["by"] != "Петров" || ans["actor"] != "duty" {
		t.Fatalf("manual outage %d %v", code, ans)
	}
	audit, _ := e.st.Audit(context.Background())
	for _, a := range audit {
		if a.Actor != "duty" {
			t.Errorf("audit record %+v", a)
		}
	}

	// A submission prints the chain head and records the actor.
	code, ans = e.call("POST", "/api/v1/reports/2026Q3/submit", supTok, "")
	head, _ := ans["journal_head"].(string)
	if _, err := journal.ParseHead(head); code != 201 || err != nil || ans["actor"] != "duty" {
		t.Fatalf("submit %d %v", code, ans)
	}
	code, ans = e.call("GET", "/api/v1/reports/2026Q3/versions", viewTok, "")
	v1 := ans["versions"].([]any)[0].(map[string]any)
	if code != 200 || v1["actor"] != "duty" || v1["journal_head"] != head {
		t.Fatalf("versions %d %v", code, ans)
	}
}
