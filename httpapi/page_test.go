package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/httpapi"
	"deskwatch/journal"
	"deskwatch/service"
	"deskwatch/store"
)

var nextLink = regexp.MustCompile(`^<(/api/v1/[^>]+)>; rel="next"$`)

// list GETs one page and returns its items (raw), the Link header's next
// path ("" without one) and the body's next_cursor.
func list(t *testing.T, base, path, name string) (items []json.RawMessage, next, cursor string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+viewTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, data)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatalf("%s: %v in %s", path, err, data)
	}
	if err := json.Unmarshal(body[name], &items); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(body["next_cursor"], &cursor)
	if l := resp.Header.Get("Link"); l != "" {
		m := nextLink.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("Link %q", l)
		}
		next = m[1]
	}
	return items, next, cursor
}

// walk follows the Link headers from path and returns every item and the
// number of pages.
func walk(t *testing.T, base, path, name string) ([]json.RawMessage, int) {
	t.Helper()
	var all []json.RawMessage
	pages := 0
	for path != "" {
		items, next, cursor := list(t, base, path, name)
		if (next == "") != (cursor == "") || next != "" && !strings.Contains(next, "cursor="+url.QueryEscape(cursor)) {
			t.Fatalf("Link %q and next_cursor %q disagree", next, cursor)
		}
		all = append(all, items...)
		path = next
		if pages++; pages > 1000 {
			t.Fatal("no end to the pages")
		}
	}
	return all, pages
}

// Outages come a page at a time, each page's Link leading to the next,
// and all pages together are the one-page answer.
func TestOutagesPages(t *testing.T) {
	e := newEnv(t)
	for i := range 12 {
		at := e.h(float64(i))
		e.apply(down("d1", at), up("d1", at.Add(time.Minute)), down("d2", at), up("d2", at.Add(2*time.Minute))) // ties of starts
	}
	e.apply(down("d4", e.h(20)))
	whole, pages := walk(t, e.srv.URL, "/api/v1/outages?period=2026Q3", "outages")
	if len(whole) != 25 || pages != 1 {
		t.Fatalf("one page: %d outages in %d pages", len(whole), pages)
	}
	got, pages := walk(t, e.srv.URL, "/api/v1/outages?period=2026Q3&limit=4", "outages")
	if pages != 7 || !reflect.DeepEqual(got, whole) {
		t.Fatalf("by 4: %d outages in %d pages, want the same 25 in 7", len(got), pages)
	}
	got, _ = walk(t, e.srv.URL, "/api/v1/outages?period=2026Q3&hotline=122&limit=5", "outages")
	if len(got) != 24 {
		t.Fatalf("hotline 122 by 5: %d outages", len(got))
	}

	_, next, _ := list(t, e.srv.URL, "/api/v1/outages?period=2026Q3&limit=4", "outages")
	cursor := next[strings.Index(next, "cursor="):]
	for path, code := range map[string]string{
		"/api/v1/outages?period=2026Q3&limit=0":                  "bad_limit",
		"/api/v1/outages?period=2026Q3&limit=10001":              "bad_limit",
		"/api/v1/outages?period=2026Q3&limit=x":                  "bad_limit",
		"/api/v1/outages?period=2026Q3&cursor=!!":                "bad_cursor",
		"/api/v1/outages?period=2026Q2&" + cursor:                "bad_cursor", // another query's cursor
		"/api/v1/outages?period=2026Q3&workstation=d1&" + cursor: "bad_cursor",
	} {
		if got, body := e.call("GET", path, viewTok, ""); got != 400 || body["code"] != code {
			t.Errorf("%s: %d %v, want 400 %s", path, got, body, code)
		}
	}
}

// The journal comes a page at a time too.
func TestJournalPages(t *testing.T) {
	e := newEnv(t)
	rdb := redis.NewClient(&redis.Options{Addr: e.redis.Addr()})
	t.Cleanup(func() { rdb.Close() })
	wss := []health.Workstation{{ID: "d1", Hotlines: []string{"122"}}, {ID: "d2", Hotlines: []string{"122"}}}
	jr, err := journal.New(rdb, journal.Options{Prefix: "t:", Location: e.loc, Workstations: wss, Settle: -1}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 9 {
		at := e.h(float64(3 * i))
		e.apply(down("d1", at), up("d1", at.Add(time.Minute)))
	}
	spans, _ := e.st.Spans(context.Background(), store.SpanQuery{From: e.q.Start, To: e.q.End})
	if err := jr.Ingest(context.Background(), spans, e.now); err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Options{Workstations: wss, Location: e.loc, Store: e.st, Journal: jr, Now: func() time.Time { return e.now }})
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Workstations: wss, Location: e.loc, Service: svc, Journal: svc,
		Tokens: []httpapi.Token{{Name: "board", Role: "viewer", SHA256: sum(viewTok)}}, Live: live{health.NewTracker(wss)}, Now: func() time.Time { return e.now }}))
	t.Cleanup(srv.Close)
	whole, _ := walk(t, srv.URL, "/api/v1/journal?period=2026Q3", "journal")
	got, pages := walk(t, srv.URL, "/api/v1/journal?period=2026Q3&limit=2", "journal")
	if len(whole) != 9 || pages != 5 || !reflect.DeepEqual(got, whole) {
		t.Fatalf("by 2: %d entries in %d pages; whole %d", len(got), pages, len(whole))
	}
}
