package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"deskwatch/health"
)

// seedSpans gives the env's four desks n closed spans in all, spread over
// the quarter, written as the monitor writes them.
func (e *env) seedSpans(tb testing.TB, n int) {
	tb.Helper()
	desks := []string{"d1", "d2", "d3", "d4"}
	step := e.q.End.Sub(e.q.Start) / time.Duration(n/len(desks)+1)
	var trs []health.Transition
	for k := range n / len(desks) {
		at := e.q.Start.Add(time.Duration(k) * step)
		for _, ws := range desks {
			trs = append(trs, down(ws, at), up(ws, at.Add(step/2)))
		}
		if len(trs) >= 512 || k == n/len(desks)-1 {
			if err := e.st.Apply(context.Background(), trs); err != nil {
				tb.Fatal(err)
			}
			trs = trs[:0]
		}
	}
}

// pageThrough reads every page of the quarter's outages, limit a page,
// and calls at after each page with the page's number and size in bytes.
func (e *env) pageThrough(tb testing.TB, limit int, at func(page int, size int64)) int {
	tb.Helper()
	path := "/api/v1/outages?period=2026Q3&limit=" + strconv.Itoa(limit)
	pages := 0
	for path != "" {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+viewTok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			tb.Fatalf("%s: %v %v", path, resp, err)
		}
		size, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		path = ""
		if l := resp.Header.Get("Link"); l != "" {
			path = l[1:strings.Index(l, ">")]
		}
		pages++
		at(pages, size)
	}
	return pages
}

// heapAfterGC is the live heap once garbage is collected.
func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Paging through a quarter keeps no page: the live heap after each page is
// what it was after the first, however many pages follow.
func TestPagingKeepsNothing(t *testing.T) {
	e := newEnv(t)
	e.seedSpans(t, 4000)
	var first uint64
	pages := e.pageThrough(t, 100, func(page int, _ int64) {
		h := heapAfterGC()
		switch {
		case page == 1:
			first = h
		case h > first+4<<20:
			t.Fatalf("live heap %d KiB after page %d, %d KiB after the first", h>>10, page, first>>10)
		}
	})
	if pages != 40 {
		t.Fatalf("%d pages", pages)
	}
}

// BenchmarkOutagesPageThrough reads a quarter of 100,000 outages page by
// page through the API (the server in this process, as the daemon would
// serve it) and reports the live heap and the resident memory after the
// first and the last page, and the largest in between.
func BenchmarkOutagesPageThrough(b *testing.B) {
	e := newEnv(b)
	start := time.Now()
	e.seedSpans(b, 100_000)
	b.Logf("seeded 100,000 spans in %v", time.Since(start).Round(time.Millisecond))
	for _, limit := range []int{1000, 10_000} {
		b.Run("limit="+strconv.Itoa(limit), func(b *testing.B) {
			for b.Loop() {
				var heap0, heapN, heapMax, rss0, rssN, rssMax uint64
				var bytes int64
				pages := e.pageThrough(b, limit, func(page int, size int64) {
					bytes += size
					h, r := heapAfterGC(), vmRSS()
					heapMax, rssMax = max(heapMax, h), max(rssMax, r)
					if page == 1 {
						heap0, rss0 = h, r
					}
					heapN, rssN = h, r
				})
				b.ReportMetric(float64(pages), "pages")
				b.ReportMetric(float64(bytes)/float64(pages)/1e6, "MB/page")
				b.ReportMetric(float64(heap0)/1e6, "heap-MB-page1")
				b.ReportMetric(float64(heapN)/1e6, "heap-MB-last")
				b.ReportMetric(float64(heapMax)/1e6, "heap-MB-max")
				b.ReportMetric(float64(rss0)/1e6, "rss-MB-page1")
				b.ReportMetric(float64(rssN)/1e6, "rss-MB-last")
				b.ReportMetric(float64(rssMax)/1e6, "rss-MB-max")
			}
		})
	}
}

// vmRSS is this process's resident memory in bytes (Linux).
func vmRSS() uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
