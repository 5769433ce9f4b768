package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
	"deskwatch/httpapi"
	"deskwatch/service"
)

type fetched struct {
	code                      int
	etag, cacheControl, ctype string
	body                      []byte
}

func fetch(t *testing.T, url, ifNoneMatch string) fetched {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+viewTok)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fetched{resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"), b}
}

// A submitted version is rendered once per format and language: the next
// download comes from the cache, and one the client holds is a 304. Live
// figures carry a weak ETag that changes with their inputs.
func TestReportFilesCached(t *testing.T) {
	e := newEnv(t)
	e.apply(down("d1", e.h(10)), up("d1", e.h(12)))
	wss := []health.Workstation{{ID: "d1", Hotlines: []string{"122"}, Endpoints: []string{"PJSIP/d1"}}}
	svc := service.New(service.Options{Workstations: wss, Location: e.loc, Store: e.st, Now: func() time.Time { return e.now }})
	var renders httpapi.Renders
	release := func(version string) *httptest.Server {
		srv := httptest.NewServer(httpapi.New(httpapi.Options{Workstations: wss, Location: e.loc, Service: svc, Reports: svc, RenderCache: svc, Renders: &renders,
			Tokens: []httpapi.Token{{Name: "board", Role: "viewer", SHA256: sum(viewTok)}}, Live: live{health.NewTracker(wss)}, Now: func() time.Time { return e.now },
			Version: version}))
		t.Cleanup(srv.Close)
		return srv
	}
	srv := release("1.4.0")
	q3, _ := health.ParseQuarter("2026Q3")
	if _, err := svc.Submit(context.Background(), q3, "Иванов", "duty"); err != nil {
		t.Fatal(err)
	}
	counts := func(live, submitted, cached int64) {
		t.Helper()
		if l, s, c := renders.Live.Load(), renders.Submitted.Load(), renders.Cached.Load(); l != live || s != submitted || c != cached {
			t.Fatalf("renders live %d, submitted %d, cached %d; want %d, %d, %d", l, s, c, live, submitted, cached)
		}
	}

	v1 := srv.URL + "/api/v1/reports/2026Q3.pdf?version=1"
	first := fetch(t, v1, "")
	if first.code != 200 || first.ctype != "application/pdf" || !strings.HasPrefix(first.etag, `"`) || first.cacheControl != "private, max-age=31536000, immutable" {
		t.Fatalf("submitted PDF: %d %q %q %q", first.code, first.ctype, first.etag, first.cacheControl)
	}
	counts(0, 1, 0)
	rdb := redis.NewClient(&redis.Options{Addr: e.redis.Addr()})
	t.Cleanup(func() { rdb.Close() })
	keys, _ := rdb.Keys(context.Background(), "t:rendered:report:2026Q3:v1:*:ru.pdf").Result()
	if len(keys) != 1 {
		t.Fatalf("kept as %q", keys)
	}
	if ttl := rdb.TTL(context.Background(), keys[0]).Val(); ttl < 29*24*time.Hour {
		t.Fatalf("kept for %v", ttl)
	}
	again := fetch(t, v1, "")
	if again.code != 200 || !bytes.Equal(again.body, first.body) || again.etag != first.etag {
		t.Fatalf("second download: %d, %d bytes, ETag %q", again.code, len(again.body), again.etag)
	}
	counts(0, 1, 1)
	if held := fetch(t, v1, first.etag); held.code != http.StatusNotModified || len(held.body) != 0 || held.etag != first.etag {
		t.Fatalf("If-None-Match: %d, %d bytes", held.code, len(held.body))
	}
	counts(0, 1, 1)
	if en := fetch(t, v1+"&lang=en", ""); en.code != 200 || en.etag == first.etag {
		t.Fatalf("English: %d, ETag %q", en.code, en.etag)
	}
	fetch(t, srv.URL+"/api/v1/reports/2026Q3.csv?version=1", "")
	counts(0, 3, 1)

	liveURL := srv.URL + "/api/v1/reports/2026Q3.csv"
	l1 := fetch(t, liveURL, "")
	if l1.code != 200 || !strings.HasPrefix(l1.etag, `W/"`) || l1.cacheControl != "private, no-cache" {
		t.Fatalf("live: %d %q %q", l1.code, l1.etag, l1.cacheControl)
	}
	if held := fetch(t, liveURL, l1.etag); held.code != http.StatusNotModified {
		t.Fatalf("live If-None-Match: %d", held.code)
	}
	counts(1, 3, 1)
	e.apply(down("d1", e.h(20)), up("d1", e.h(21))) // the figures move
	if l2 := fetch(t, liveURL, l1.etag); l2.code != 200 || l2.etag == l1.etag {
		t.Fatalf("after a change: %d, ETag %q", l2.code, l2.etag)
	}
	counts(2, 3, 1)

	// A new release may render differently: it renders the submitted
	// version again, under its own key and ETag, rather than serve the
	// file the old one kept; the old release still finds its own.
	next := fetch(t, release("1.5.0").URL+"/api/v1/reports/2026Q3.pdf?version=1", first.etag)
	if next.code != 200 || next.etag == first.etag || len(next.body) == 0 {
		t.Fatalf("after an upgrade: %d, ETag %q (was %q)", next.code, next.etag, first.etag)
	}
	counts(2, 4, 1)
	if keys, _ := rdb.Keys(context.Background(), "t:rendered:report:2026Q3:v1:*:ru.pdf").Result(); len(keys) != 2 {
		t.Fatalf("kept as %q", keys)
	}
	fetch(t, v1, "")
	counts(2, 4, 2)
}
