package accesslog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/internal/logtest"
	"deskwatch/internal/redistest"
)

const key = "t:access"

func newLog(t testing.TB, opt Options) (*Log, *redis.Client, *redistest.Server) {
	t.Helper()
	srv := redistest.StartServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: 300 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	opt.Redis, opt.Key = rdb, key
	return New(opt), rdb, srv
}

func rec(actor string, at time.Time) Record {
	return Record{Time: at, Actor: actor, Role: "viewer", Client: "10.0.0.7", Remote: "10.0.0.7", Method: "GET",
		Route: "GET /api/v1/journal", Path: "/api/v1/journal", Params: map[string]string{"period": "2026Q3"}, Status: 200, Bytes: 512}
}

func TestWriteAndReadPages(t *testing.T) {
	l, _, _ := newLog(t, Options{})
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	var want []Record
	for i := range 25 {
		actor := []string{"board", "duty"}[i%2]
		r := rec(actor, now.Add(time.Duration(i)*time.Millisecond))
		if err := l.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
		if actor == "board" {
			want = append(want, r)
		}
	}
	q := Query{From: now, To: now.Add(time.Second), Actor: "board", Limit: 5}
	var got []Record
	pages := 0
	for {
		p, err := l.Records(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, p.Records...)
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	if len(got) != len(want) || pages != 3 {
		t.Fatalf("%d records in %d pages, want %d in 3", len(got), pages, len(want))
	}
	for i, r := range got {
		w := want[i]
		if r.ID == "" || !r.Time.Equal(w.Time) || r.Actor != "board" || r.Route != w.Route || r.Params["period"] != "2026Q3" || r.Status != 200 || r.Bytes != 512 {
			t.Fatalf("record %d: %+v, want %+v", i, r, w)
		}
	}
	// The time of the request decides, not the id: none before From.
	p, err := l.Records(ctx, Query{From: now.Add(10 * time.Millisecond), To: now.Add(time.Second), Limit: 100})
	if err != nil || len(p.Records) != 15 || p.Next != "" {
		t.Fatalf("from +10 ms: %d records, next %q, %v", len(p.Records), p.Next, err)
	}
	if _, err := l.Records(ctx, Query{From: now, To: now.Add(time.Second), Limit: 1, After: "nope"}); !errors.Is(err, ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
}

// Entries older than the retention go, by the id's time and never by
// count; the clock is the log's, so nothing sleeps.
func TestRetentionTrimsByTime(t *testing.T) {
	now := time.Now()
	l, rdb, _ := newLog(t, Options{Retention: time.Hour, Now: func() time.Time { return now }})
	ctx := context.Background()
	for _, age := range []time.Duration{3 * time.Hour, 2 * time.Hour, 61 * time.Minute, 30 * time.Minute} {
		id := fmt.Sprintf("%d-0", now.Add(-age).UnixMilli())
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: id, Values: rec("old", now.Add(-age)).fields()}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Trim(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rdb.XLen(ctx, key).Val(); n != 1 {
		t.Fatalf("after trim %d entries, want the one 30 min old", n)
	}
	// A write trims too: an hour later the 30-minute-old entry goes with it.
	now = now.Add(time.Hour)
	if err := l.Write(ctx, rec("new", time.Now())); err != nil {
		t.Fatal(err)
	}
	msgs := rdb.XRange(ctx, key, "-", "+").Val()
	if len(msgs) != 1 || msgs[0].Values["actor"] != "new" {
		t.Fatalf("after a write: %v", msgs)
	}
}

// Redis down: Record returns at once, the write fails and is counted,
// Health says so, and the record is written when Redis is back.
func TestRedisDownCountsAndRetries(t *testing.T) {
	l, rdb, srv := newLog(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	srv.Stop()
	start := time.Now()
	l.Record(rec("board", time.Now()))
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("Record took %v", d)
	}
	waitFor(t, "the failure counted", func() bool { h := l.Health(); return h.Failed > 0 && !h.OK && h.LastError != "" })
	srv.Restart()
	waitFor(t, "the record written after Redis returns", func() bool { return rdb.XLen(context.Background(), key).Val() == 1 })
	waitFor(t, "healthy again", func() bool { h := l.Health(); return h.OK && h.Written == 1 && h.Dropped == 0 })
}

// A full queue drops (and counts) instead of waiting; stopping writes
// what is queued.
func TestFullQueueDropsAndShutdownDrains(t *testing.T) {
	l, rdb, _ := newLog(t, Options{Queue: 3})
	for range 5 {
		l.Record(rec("board", time.Now()))
	}
	if h := l.Health(); h.Dropped != 2 || h.Queued != 3 {
		t.Fatalf("health %+v", h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l.Run(ctx) // stops at once and drains
	if n := rdb.XLen(context.Background(), key).Val(); n != 3 {
		t.Fatalf("drained %d, want 3", n)
	}
	l.Record(rec("late", time.Now()))
	if h := l.Health(); h.Dropped != 3 || h.Written != 3 {
		t.Fatalf("after stop: %+v", h)
	}
}

// Every record is also one log line with component access (set by the
// caller): written by the writer, or at once for a record dropped.
func TestLogLine(t *testing.T) {
	var buf logtest.Buffer
	l, _, _ := newLog(t, Options{Logger: zerolog.New(&buf).With().Str("component", "access").Logger(), Queue: 1})
	l.Record(rec("board", time.Now()))
	l.Record(rec("dropped", time.Now()))
	if logs := buf.String(); strings.Contains(logs, `"actor":"board"`) || !strings.Contains(logs, `"actor":"dropped"`) {
		t.Fatalf("before the writer runs: %s", buf.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the queued record's line", func() bool { return strings.Contains(buf.String(), `"actor":"board"`) })
	for line := range strings.SplitSeq(buf.String(), "\n") {
		if !strings.Contains(line, `"actor":"board"`) {
			continue
		}
		for _, want := range []string{`"component":"access"`, `"route":"GET /api/v1/journal"`, `"params":{"period":"2026Q3"}`, `"status":200`, `"bytes":512`} {
			if !strings.Contains(line, want) {
				t.Errorf("log line lacks %s: %s", want, line)
			}
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
