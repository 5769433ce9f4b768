package journal_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/logtest"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
	"deskwatch/store"
)

// The attack of issue 13: a span's end changed in Redis (HSET) changed the
// figures, the follower appended nothing and verify said intact. Now each
// span's content is in the chain and verify compares it with the store.
func TestSpanChangedInRedis(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	st := store.New(rdb, prefix, zerolog.Nop())
	var logs logtest.Buffer
	j, err := journal.New(rdb, journal.Options{Prefix: prefix, Location: irkutsk, Workstations: workstations()}, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	src := journal.SpanSourceFunc(func(ctx context.Context, from, to time.Time) ([]health.Span, error) {
		return st.Spans(ctx, store.SpanQuery{From: from, To: to})
	})
	now := time.Now().UTC().Truncate(time.Millisecond)
	tr := func(ws string, at time.Duration, to health.State, src health.Source) health.Transition {
		from := health.StateUp
		if to == health.StateUp {
			from = health.StateDown
		}
		return health.Transition{Workstation: ws, At: now.Add(at), From: from, To: to, Cause: health.CauseUnreachable, Source: src}
	}
	apply := func(trs ...health.Transition) {
		t.Helper()
		if err := st.Apply(ctx, trs); err != nil {
			t.Fatal(err)
		}
	}
	follow := func() {
		t.Helper()
		spans, err := src.Spans(ctx, now.Add(-24*time.Hour), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ingest(t, j, time.Now(), spans...)
	}
	verify := func() journal.Result {
		t.Helper()
		res, err := j.VerifyWith(ctx, journal.VerifyOptions{Spans: src})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	closed := "op122-01-" + now.Add(-2*time.Hour).Format("20060102T150405.000Z")
	apply(tr("op122-01", -2*time.Hour, health.StateDown, health.SourceARI), tr("op122-01", -time.Hour, health.StateUp, health.SourceARI),
		tr("op122-02", -30*time.Minute, health.StateDown, health.SourceARI))
	follow()
	if res := verify(); !res.OK || res.Matched != 2 || res.PendingCount != 0 {
		t.Fatalf("after following: %+v", res)
	}

	// A source joins the open span: recorded with the span's full content.
	apply(tr("op122-02", -20*time.Minute, health.StateDown, health.SourceSIP))
	follow()
	recs := chain(t, rdb, prefix)
	if last := recs[len(recs)-1]; last["kind"] != "span_changed" || !strings.Contains(last["payload"], `"sources":["ari","sip"]`) ||
		!strings.Contains(last["payload"], `"desk":"op122-02"`) || !strings.Contains(last["payload"], `"cause":"unreachable"`) {
		t.Fatalf("sources change: %v", last)
	}

	// Changes the follower has not recorded yet are pending, not findings:
	// a span younger than Settle, an end not followed yet.
	apply(tr("op117-01", 0, health.StateDown, health.SourceARI))
	follow()
	apply(tr("op122-02", -time.Minute, health.StateUp, health.SourceARI))
	res := verify()
	if !res.OK || res.PendingCount != 2 || res.Matched != 1 || !strings.Contains(res.English(), "in Redis, not in the journal") {
		t.Fatalf("pending: %+v\n%s", res, res.English())
	}

	// The attack: the closed span ends an hour later.
	key := prefix + ":{ws:op122-01}:spans"
	raw := rdb.HGet(ctx, key, closed).Val()
	oldEnd, newEnd := now.Add(-time.Hour), now
	forged := strings.Replace(raw, strconv.FormatInt(oldEnd.UnixMilli(), 10), strconv.FormatInt(newEnd.UnixMilli(), 10), 1)
	if forged == raw {
		t.Fatalf("no end in %s", raw)
	}
	rdb.HSet(ctx, key, closed, forged)
	n := len(chain(t, rdb, prefix))
	follow()
	recs = chain(t, rdb, prefix)
	for _, r := range recs[n:] {
		if strings.Contains(r["payload"], closed) {
			t.Fatalf("the forged end was journaled: %v", r)
		}
	}
	if !strings.Contains(logs.String(), "never writes") || !strings.Contains(logs.String(), closed) {
		t.Errorf("not logged:\n%s", logs.String())
	}
	res = verify()
	if res.OK || res.Problem != journal.ProblemSpans || res.DifferCount != 1 {
		t.Fatalf("after the attack: %+v", res)
	}
	d := res.Differ[0]
	var lastOf int64 // the span's last record
	for _, r := range recs {
		if strings.Contains(r["payload"], closed) {
			lastOf, _ = strconv.ParseInt(r["seq"], 10, 64)
		}
	}
	want := "span " + closed + ": end in Redis " + newEnd.Format(time.RFC3339Nano) + ", in the journal (record " +
		strconv.FormatInt(lastOf, 10) + ") " + oldEnd.Format(time.RFC3339Nano)
	if d.Span != closed || d.Field != "end" || d.Seq != lastOf || d.English() != want || res.Seq != lastOf {
		t.Fatalf("difference %+v\n%s\nwant %s", d, d.English(), want)
	}
	if !strings.Contains(res.Russian(), "окончание в Redis "+newEnd.Format(time.RFC3339Nano)) || !strings.Contains(res.English(), want) {
		t.Errorf("verdict:\n%s\n%s", res.Russian(), res.English())
	}
	var out strings.Builder
	if err := journal.VerifyCommand(ctx, j, &out, journal.VerifyOptions{Spans: src}); err == nil || !strings.Contains(out.String(), want) {
		t.Errorf("VerifyCommand: %v\n%s", err, out.String())
	}

	// The journal's own index of spans forged too, so that the follower
	// records the new end: the chain then closes the span twice.
	state := rdb.HGet(ctx, prefix+":{journal}:spans", closed).Val()
	rdb.HSet(ctx, prefix+":{journal}:spans", closed, strings.Replace(state, `"end":`+strconv.FormatInt(oldEnd.UnixMilli(), 10)+",", "", 1))
	follow()
	res = verify()
	if res.OK || res.Problem != journal.ProblemTransition || !strings.Contains(res.Detail, "changes its end") {
		t.Fatalf("a second close: %+v", res)
	}
}

// Spans the follower will never reach, or that left the store, are
// findings; the follower's pending work is not; spans that ended before
// the journal began are not compared.
func TestSpanDiffsAndPending(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	now := later.Add(200 * 24 * time.Hour) // the journal began at later
	j := newJournal(t, rdb, prefix, func(o *journal.Options) { o.Clock = func() time.Time { return now } })
	gone := sp("op122-02", 0, health.CauseOffline)
	ingest(t, j, later, gone)
	recent := sp("op122-01", 0, health.CauseOffline)
	recent.Start, recent.End = now.Add(-time.Hour), now.Add(-50*time.Minute)
	unreached := sp("op122-03", 30*24*time.Hour, health.CauseOffline) // after the journal began, beyond Lookback now
	before := sp("op122-04", -200*24*time.Hour, health.CauseOffline)  // before the journal's first pass could read
	res, err := j.VerifyWith(ctx, journal.VerifyOptions{Spans: newSource(recent, unreached, before)})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.DifferCount != 2 || res.PendingCount != 1 || res.Pending[0].Span != recent.ID || res.Older != 1 {
		t.Fatalf("%+v", res)
	}
	got := res.Differ[0].English() + " / " + res.Differ[1].English()
	if !strings.Contains(got, gone.ID+": not in Redis, in the journal (record 2)") || !strings.Contains(got, unreached.ID+": in Redis, not in the journal") {
		t.Errorf("differences: %s", got)
	}
	if !strings.Contains(res.Russian(), "нет в Redis, есть в журнале (запись № 2)") {
		t.Errorf("verdict: %s", res.Russian())
	}
	res, _ = j.VerifyWith(ctx, journal.VerifyOptions{Spans: newSource(gone, recent, before)})
	if !res.OK || !strings.Contains(res.English(), "Spans that ended before the journal began (not compared): 1.") ||
		!strings.Contains(res.Russian(), "не сверяются): 1.") {
		t.Errorf("verdict:\n%s\n%s", res.Russian(), res.English())
	}
}

// Exclusions keep by and actor apart, in the record and in its payload.
func TestExclusionActor(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := newJournal(t, rdb, prefix)
	a := sp("op122-01", 0, health.CausePBX)
	ingest(t, j, later, a)
	ex := excluded(a, "power", "Отключение электроснабжения", "Иванов")
	ex.Exclusion.Actor = "duty"
	if err := j.IngestBy(ctx, []health.Span{ex}, "Иванов", "duty", later); err != nil {
		t.Fatal(err)
	}
	if err := j.IngestBy(ctx, []health.Span{a}, "Петров", "board", later); err != nil {
		t.Fatal(err)
	}
	e := entry(t, j, 2026, 1)
	set, revoked := e.History[len(e.History)-2], e.History[len(e.History)-1]
	if set.Kind != journal.KindExclusion || set.By != "Иванов" || set.Actor != "duty" || !strings.Contains(string(set.Payload), `"by":"Иванов","actor":"duty"`) ||
		!strings.Contains(string(set.Payload), `"desk":"op122-01"`) {
		t.Errorf("exclusion record %+v %s", set, set.Payload)
	}
	if revoked.Kind != journal.KindExclusionRevoked || revoked.By != "Петров" || revoked.Actor != "board" {
		t.Errorf("revocation record %+v", revoked)
	}
	if res, err := j.VerifyWith(ctx, journal.VerifyOptions{Spans: newSource(a)}); err != nil || !res.OK || res.Matched != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if err := j.IngestBy(ctx, []health.Span{a}, "Петров", "two\nlines", later); err == nil {
		t.Error("an actor of two lines accepted")
	}
}
