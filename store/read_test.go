package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
)

func TestSortSpans(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{0, 1, 2, 10, 1023, 1024, 5000} {
		for _, spread := range []int64{1, 3, 1 << 12, 1 << 40} {
			spans := make([]health.Span, n)
			for i := range spans {
				ms := rng.Int64N(spread)
				spans[i] = health.Span{ID: fmt.Sprintf("d%03d-%d", rng.IntN(50), i), Start: base.Add(time.Duration(ms) * time.Millisecond)}
			}
			want := slices.Clone(spans)
			slices.SortFunc(want, func(a, b health.Span) int {
				if c := b.Start.Compare(a.Start); c != 0 {
					return c
				}
				return strings.Compare(b.ID, a.ID)
			})
			sortSpans(spans)
			if !reflect.DeepEqual(spans, want) {
				t.Fatalf("n=%d spread=%d: wrong order", n, spread)
			}
		}
	}
}

func TestRespReader(t *testing.T) {
	type elem struct {
		v  string
		ok bool
	}
	read := func(raw string) ([]elem, error) {
		r := &rawReply{buf: []byte(raw), cmd: redis.NewRawWriteToCmd(context.Background(), nil)}
		var out []elem
		rd, err := r.reader()
		if err != nil {
			return nil, err
		}
		n, err := rd.array()
		if err != nil {
			return nil, err
		}
		for range n {
			v, ok, err := rd.bulk()
			if err != nil {
				return out, err
			}
			out = append(out, elem{v, ok})
		}
		return out, nil
	}
	for _, tc := range []struct {
		raw  string
		want []elem
		err  string
	}{
		{"*0\r\n", nil, ""},
		{"*-1\r\n", nil, ""},
		{"_\r\n", nil, ""},
		{"*3\r\n$1\r\na\r\n$-1\r\n$4\r\nb\r\nc\r\n", []elem{{"a", true}, {"", false}, {"b\r\nc", true}}, ""},
		{"*3\r\n$0\r\n\r\n_\r\n+ok\r\n", []elem{{"", true}, {"", false}, {"ok", true}}, ""},
		{"~1\r\n$1\r\nx\r\n", []elem{{"x", true}}, ""},
		{"-WRONGTYPE Operation against a key\r\n", nil, "WRONGTYPE Operation against a key"},
		{"!9\r\nERR bad x\r\n", nil, "ERR bad x"},
		{"*1\r\n-ERR inner\r\n", nil, "ERR inner"},
		{"*2\r\n$5\r\nab\r\n", nil, "malformed"},
		{"*1\r\n$x\r\n", nil, "malformed"},
		{"*x\r\n", nil, "malformed"},
		{":1\r\n", nil, "unexpected"},
		{"*1\r\n:1\r\n", nil, "unexpected"},
		{"", nil, "malformed"},
		{"*1", nil, "malformed"},
	} {
		got, err := read(tc.raw)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.raw, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.raw, got, err, tc.want)
		}
	}
	var rerr redis.Error
	if _, err := read("-NOSCRIPT x\r\n"); !errors.As(err, &rerr) || !redis.HasErrorPrefix(err, "NOSCRIPT") {
		t.Errorf("error reply is not a redis.Error: %v", err)
	}
}

// TestRawReplyRestarts feeds a rawReply what go-redis writes when it
// retries a pipeline after reading part of a reply.
func TestRawReplyRestarts(t *testing.T) {
	r := &rawReply{cmd: redis.NewRawWriteToCmd(context.Background(), nil)}
	feed := func(lines ...string) {
		for _, l := range lines {
			if strings.HasPrefix(l, "data:") {
				if _, err := io.CopyN(r, strings.NewReader(l[5:]), int64(len(l)-5)); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if _, err := r.Write([]byte(l)); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Write([]byte("\r\n")); err != nil {
				t.Fatal(err)
			}
		}
	}
	feed("*2", "$3", "data:ab") // the connection broke
	feed("*2", "$3", "data:abc\r\n", "$5", "data:*x-y!\r\n")
	if string(r.buf) != "*2\r\n$3\r\nabc\r\n$5\r\n*x-y!\r\n" {
		t.Fatalf("buffer %q", r.buf)
	}
	big := strings.Repeat("x", 100_000)
	feed("*1", "$100000", "data:"+big+"\r\n")
	if string(r.buf) != "*1\r\n$100000\r\n"+big+"\r\n" {
		t.Fatalf("buffer of %d bytes", len(r.buf))
	}
}

// seedDesks applies flapping transitions: spans per desk, one minute each.
func seedDesks(t *testing.T, s *Store, desks, spans int) {
	t.Helper()
	var ts []health.Transition
	at := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for k := range spans {
		for d := range desks {
			ws := fmt.Sprintf("d%02d", d)
			start := at.Add(time.Duration(k)*time.Hour + time.Duration(d)*time.Second)
			ts = append(ts,
				health.Transition{Workstation: ws, At: start, From: health.StateUp, To: health.StateDown, Source: health.SourceARI},
				health.Transition{Workstation: ws, At: start.Add(time.Minute), From: health.StateDown, To: health.StateUp, Source: health.SourceSIP})
		}
	}
	if err := s.Apply(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
}

// TestSpansInBatches reads in many small batches (fetched while the last
// is decoded) and with RESP2, and must find what one batch finds.
func TestSpansInBatches(t *testing.T) {
	ctx := context.Background()
	addr := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	s := New(rdb, "dw", zerolog.Nop())
	seedDesks(t, s, 12, 20)
	queries := []SpanQuery{{}, {From: time.Date(2026, 7, 1, 5, 0, 0, 0, time.UTC)}, {Workstations: []string{"d03", "d07", "d11"}}}
	want := make([][]health.Span, len(queries))
	for i, q := range queries {
		var err error
		if want[i], err = s.Spans(ctx, q); err != nil || len(want[i]) == 0 {
			t.Fatalf("%+v: %d spans, %v", q, len(want[i]), err)
		}
	}

	resp2 := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	t.Cleanup(func() { _ = resp2.Close() })
	s2 := New(resp2, "dw", zerolog.Nop())
	defer func(n int) { fetchBatch = n }(fetchBatch)
	fetchBatch = 7
	for _, st := range []*Store{s, s2} {
		for i, q := range queries {
			got, err := st.Spans(ctx, q)
			if err != nil || !reflect.DeepEqual(got, want[i]) {
				t.Fatalf("%+v in batches: %v, %v; want %v", q, len(got), err, len(want[i]))
			}
		}
	}

	// A record missing from its hash (an HMGET null) is skipped.
	id := want[0][5].ID
	rdb.HDel(ctx, "dw:{ws:"+want[0][5].Workstation+"}:spans", id)
	for _, st := range []*Store{s, s2} {
		got, err := st.Spans(ctx, SpanQuery{})
		if err != nil || len(got) != len(want[0])-1 || slices.ContainsFunc(got, func(sp health.Span) bool { return sp.ID == id }) {
			t.Fatalf("with a record missing: %d spans, %v", len(got), err)
		}
	}

	// Errors reach the caller, and the fetcher stops.
	goroutines := runtime.NumGoroutine()
	rdb.Set(ctx, "dw:{ws:d04}:spans", "not a hash", 0)
	if _, err := s.Spans(ctx, SpanQuery{}); err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("Spans with a broken hash: err = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Spans(cancelled, SpanQuery{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Spans cancelled: err = %v", err)
	}
	rdb.Set(ctx, "dw:spans", "not a zset", 0)
	if _, err := s.Spans(ctx, SpanQuery{}); err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("Spans with a broken index: err = %v", err)
	}
	for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > goroutines; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), goroutines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkSortSpans sorts a quarter's spans of 10,000 desks, arriving
// desk by desk as fetchRecords delivers them.
func BenchmarkSortSpans(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	const desks, per = 10_000, 100
	step := 92 * 24 * time.Hour / per
	src := make([]health.Span, 0, desks*per)
	for d := range desks {
		for k := range per {
			start := base.Add(time.Duration(k)*step + time.Duration(rng.Int64N(int64(step/2)))).Truncate(time.Millisecond)
			src = append(src, health.Span{ID: fmt.Sprintf("op%05d-%d", d, k), Workstation: fmt.Sprintf("op%05d", d), Start: start, End: start.Add(time.Hour), Sources: []health.Source{"ari"}})
		}
	}
	spans := make([]health.Span, len(src))
	for b.Loop() {
		b.StopTimer()
		copy(spans, src)
		b.StartTimer()
		sortSpans(spans)
	}
}
