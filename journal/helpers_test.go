package journal_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/journal"
)

const prefix = "dw"

var (
	t0      = time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC)
	later   = t0.Add(24 * time.Hour) // "now" after every test span has settled
	irkutsk = mustZone("Asia/Irkutsk")
	ctx     = context.Background()
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func newClient(tb testing.TB, addr string) *redis.Client {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{
		Addr: addr, MaxRetries: 1, DialTimeout: time.Second,
		DialerRetries: 1, DialerRetryTimeout: 10 * time.Millisecond, // fail fast while Redis is down
	})
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// desks122 and desks117: 20 desks, ten per hotline; op-both serves both.
func workstations() []health.Workstation {
	var ws []health.Workstation
	for i := 1; i <= 10; i++ {
		ws = append(ws, health.Workstation{ID: fmt.Sprintf("op122-%02d", i), Hotlines: []string{"122"}})
		ws = append(ws, health.Workstation{ID: fmt.Sprintf("op117-%02d", i), Hotlines: []string{"117"}})
	}
	return append(ws, health.Workstation{ID: "op-both", Hotlines: []string{"122", "117"}})
}

func newJournal(tb testing.TB, rdb redis.UniversalClient, pfx string, mods ...func(*journal.Options)) *journal.Journal {
	tb.Helper()
	opts := journal.Options{Prefix: pfx, Location: irkutsk, Workstations: workstations()}
	for _, m := range mods {
		m(&opts)
	}
	j, err := journal.New(rdb, opts, zerolog.Nop())
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

func ingest(tb testing.TB, j *journal.Journal, now time.Time, spans ...health.Span) {
	tb.Helper()
	if err := j.Ingest(ctx, spans, now); err != nil {
		tb.Fatal(err)
	}
}

func allEntries(tb testing.TB, j *journal.Journal) []journal.Entry {
	tb.Helper()
	es, err := j.Entries(ctx, time.Time{}, time.Time{})
	if err != nil {
		tb.Fatal(err)
	}
	return es
}

func entry(tb testing.TB, j *journal.Journal, year, number int) journal.Entry {
	tb.Helper()
	e, err := j.Entry(ctx, year, number)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// chain reads every record hash of the journal under pfx, in order, by the
// key schema of doc.go.
func chain(tb testing.TB, rdb *redis.Client, pfx string) []map[string]string {
	tb.Helper()
	n, err := rdb.HGet(ctx, pfx+":{journal}:head", "seq").Int64()
	if err == redis.Nil {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]map[string]string, 0, n)
	for seq := int64(1); seq <= n; seq++ {
		out = append(out, rdb.HGetAll(ctx, recKey(pfx, seq)).Val())
	}
	return out
}

func recKey(pfx string, seq int64) string { return pfx + ":{journal}:r:" + strconv.FormatInt(seq, 10) }

func kinds(e journal.Entry) []journal.Kind {
	var ks []journal.Kind
	for _, r := range e.History {
		ks = append(ks, r.Kind)
	}
	return ks
}

func labels(es []journal.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Label())
	}
	return out
}

// state is an entry without its history, for comparing journals built by
// different sequences of records.
func state(e journal.Entry) journal.Entry {
	e.History = nil
	return e
}

func states(es []journal.Entry) []journal.Entry {
	out := make([]journal.Entry, len(es))
	for i, e := range es {
		out[i] = state(e)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func open(s health.Span) health.Span {
	s.End = time.Time{}
	return s
}

func withSources(s health.Span, src ...health.Source) health.Span {
	s.Sources = slices.Clone(src)
	return s
}

func excluded(s health.Span, category, reason, by string) health.Span {
	s.Exclusion = &health.Exclusion{Category: category, Reason: reason, By: by, At: s.Start.Add(time.Hour)}
	return s
}
