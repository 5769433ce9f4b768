package journal_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

// windowSource gives the journal a list of maintenance windows, as the
// store would; fail makes it answer with an error.
type windowSource struct {
	mu   sync.Mutex
	list []health.Maintenance
	err  error
}

func (w *windowSource) Maintenances(_ context.Context) ([]health.Maintenance, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.list), w.err
}

func (w *windowSource) set(list []health.Maintenance, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list, w.err = list, err
}

// spanRecord finds the record of kind for span id in the chain.
func spanRecord(t *testing.T, recs []map[string]string, kind, id string) map[string]string {
	t.Helper()
	for _, r := range recs {
		if r["kind"] == kind && strings.Contains(r["payload"], `"span":"`+id+`"`) {
			return r
		}
	}
	t.Fatalf("no %s record of %s", kind, id)
	return nil
}

// Span records name the maintenance windows that applied to the span by
// their time, so the chain itself says an outage was planned: a window
// that had not begun when an open span was recorded is named when it
// closes, a cancelled one never, a desk outside the scope never. The
// entries show it from the chain even after the windows are gone from the
// store; the chain verifies, with the spans; a window source that fails
// writes nothing.
func TestSpanRecordsNamePlannedWindows(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	src := &windowSource{}
	src.set([]health.Maintenance{
		{ID: "mw-1", Workstations: []string{"op122-01"}, From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour), Counts: true},
		{ID: "mw-2", Hotlines: []string{"117"}, From: t0.Add(5 * time.Hour), To: t0.Add(6 * time.Hour), Counts: true},
		{ID: "mw-3", All: true, From: t0.Add(time.Hour), To: t0.Add(3 * time.Hour), CancelledAt: t0},
	}, nil)
	j := newJournal(t, rdb, prefix, func(o *journal.Options) { o.Maintenance = src })
	a := sp("op122-01", 90*time.Minute, health.CauseOffline)  // inside mw-1
	b := sp("op122-02", 100*time.Minute, health.CauseOffline) // a desk mw-1 does not cover
	c := open(sp("op117-01", 4*time.Hour, health.CauseOffline))
	ingest(t, j, t0.Add(4*time.Hour+30*time.Minute), a, b, c)
	c.End = t0.Add(5*time.Hour + 30*time.Minute) // mw-2 began meanwhile
	ingest(t, j, t0.Add(6*time.Hour), a, b, c)

	recs := chain(t, rdb, prefix)
	for _, x := range []struct{ kind, span, want string }{
		{"span_added", a.ID, `"planned":["mw-1"]`},
		{"span_added", b.ID, ""},
		{"span_added", c.ID, ""}, // mw-2 had not begun
		{"span_closed", c.ID, `"planned":["mw-2"]`},
	} {
		r := spanRecord(t, recs, x.kind, x.span)
		if got := strings.Contains(r["payload"], `"planned"`); got != (x.want != "") || !strings.Contains(r["payload"], x.want) {
			t.Errorf("%s of %s: %s, want %q", x.kind, x.span, r["payload"], x.want)
		}
	}

	src.set(nil, nil) // the windows are gone from the store: the chain still says it
	want := map[string][]string{a.Workstation: {"mw-1"}, b.Workstation: nil, c.Workstation: {"mw-2"}}
	es := allEntries(t, j)
	if len(es) != 3 {
		t.Fatalf("entries %v", labels(es))
	}
	for _, e := range es {
		if !slices.Equal(e.Planned, want[e.Desks[0]]) {
			t.Errorf("entry %s of %v: planned %v, want %v", e.Label(), e.Desks, e.Planned, want[e.Desks[0]])
		}
	}
	res, err := j.VerifyWith(ctx, journal.VerifyOptions{Spans: newSource(a, b, c)})
	if err != nil || !res.OK || res.Matched != 3 {
		t.Fatalf("verify: %+v %v", res, err)
	}

	src.set(nil, errors.New("redis: connection refused"))
	before := len(chain(t, rdb, prefix))
	if err := j.Ingest(ctx, []health.Span{sp("op122-03", 7*time.Hour, health.CauseOffline)}, t0.Add(8*time.Hour)); err == nil {
		t.Error("a span was journaled while the windows could not be read")
	}
	if after := len(chain(t, rdb, prefix)); after != before {
		t.Errorf("%d records appended while the windows could not be read", after-before)
	}
}

// A chain written before the marking (format 1 records, no planned) still
// verifies and goes on with marked records after it.
func TestPlannedMarkingContinuesAnOldChain(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	spans := loadFixture(t, rdb)
	late := sp("op122-10", 6*time.Hour, health.CauseOffline)
	src := &windowSource{}
	src.set([]health.Maintenance{{ID: "mw-4", All: true, From: late.Start.Add(-time.Minute), To: late.End.Add(time.Minute), Counts: true}}, nil)
	j := newJournal(t, rdb, "fx", func(o *journal.Options) { o.Maintenance = src })
	for i, s := range spans {
		if s.Open() {
			spans[i].End = s.Start.Add(time.Hour)
		}
	}
	spans = append(spans, late)
	ingest(t, j, later.Add(3*time.Hour), spans...)
	recs := chain(t, rdb, "fx")
	if r := spanRecord(t, recs, "span_added", late.ID); !strings.Contains(r["payload"], `"planned":["mw-4"]`) || r["alg"] != "sha256" {
		t.Errorf("the new span's record %v", r)
	}
	if r := recs[0]; r["alg"] != "" || strings.Contains(r["payload"], "planned") {
		t.Errorf("the first record changed: %v", r)
	}
	res, err := j.VerifyWith(ctx, journal.VerifyOptions{Spans: newSource(spans...)})
	if err != nil || !res.OK || res.Matched != len(spans) {
		t.Fatalf("verify: %+v %v", res, err)
	}
}
