package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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

// FuzzWriteBodies sends any body to every route that reads one, as a
// supervisor, through the real service, store and journal over Redis: the
// answer is a 2xx or a 4xx in the API's error format, never a 5xx (Redis
// is up) and never a panic.
func FuzzWriteBodies(f *testing.F) {
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(f), MaxRetries: -1})
	f.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	wss := []health.Workstation{{ID: "d1", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d1"}}, {ID: "d2", Hotlines: []string{"117"}, Endpoints: []string{"PJSIP/d2"}}}
	st := store.New(rdb, "f:", zerolog.Nop())
	jr, err := journal.New(rdb, journal.Options{Prefix: "f:", Location: loc, Workstations: wss}, zerolog.Nop())
	if err != nil {
		f.Fatal(err)
	}
	svc := service.New(service.Options{Workstations: wss, Location: loc, Store: st, Journal: jr, Now: func() time.Time { return now }, Logger: zerolog.Nop()})
	api := httpapi.New(httpapi.Options{Workstations: wss, Location: loc, Tokens: []httpapi.Token{{Name: "duty", Role: "supervisor", SHA256: sum(supTok)}},
		Service: svc, Journal: svc, Reports: svc, Live: live{health.NewTracker(wss)}, Logger: zerolog.Nop(), Now: func() time.Time { return now }})
	// An outage to exclude and its journal entry to note.
	sp, err := svc.AddManual(ctx, service.ManualOutage{Workstation: "d1", Start: now.Add(-48 * time.Hour), End: now.Add(-47 * time.Hour), Cause: "компьютер", By: "duty"})
	if err != nil {
		f.Fatal(err)
	}
	es, err := svc.JournalEntries(ctx, sp.Start, sp.End)
	if err != nil || len(es) != 1 {
		f.Fatalf("journal: %v %v", es, err)
	}
	paths := []string{"/api/v1/outages", "/api/v1/outages/" + sp.ID + "/exclusion", "/api/v1/journal/" + es[0].ID() + "/notes", "/api/v1/reports/2026Q3/submit"}

	for i, body := range []string{
		`{"workstation":"d2","start":"2026-11-20T09:00:00+08:00","end":"2026-11-20T10:30:00+08:00","cause":"не загружается компьютер","note":"заменён блок питания"}`,
		`{"category":"power","reason":"отключение электроснабжения в городе","by":"Иванов И.И."}`,
		`{"cause":"сбой АТС","actions":"откат обновления","fault":"institution"}`,
		`{}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	for _, junk := range []string{``, `null`, `[]`, `{"cause":null}`, `{"end":null}`, `{"fault":"x","by":"\u0000"}`, "{\"cause\":\"\xff\xfe\"}", `{"start":"0001-01-01T00:00:00Z","end":"9999-12-31T23:59:59Z"}`, `{} {}`, `"x"`} {
		f.Add(uint8(0), []byte(junk))
		f.Add(uint8(2), []byte(junk))
	}

	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := paths[int(route)%len(paths)]
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+supTok)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code < 200 || rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 400 {
			var e struct{ Error, Code string }
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" || e.Code == "" {
				t.Fatalf("POST %s %q: %d answered %q, not the API's error", path, body, rec.Code, rec.Body.Bytes())
			}
		}
		if rec.Code != http.StatusOK && rec.Code != http.StatusCreated && rec.Code < 400 {
			t.Fatalf("POST %s %q: %d", path, body, rec.Code)
		}
	})
}
