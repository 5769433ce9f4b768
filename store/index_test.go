package store_test

import (
	"context"
	"testing"
	"time"

	"deskwatch/health"
)

// TestIndexScores pins the scores the store writes, level*2^42 + start
// (ms): years of records are keyed so, and the queries must keep finding
// them.
func TestIndexScores(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	m := time.Minute
	start := t0.UnixMilli()
	detected := []struct {
		ws     string
		length time.Duration // < 0: open
		level  int64
	}{
		{"zero", 0, 0},
		{"minute", m, 0},
		{"over-minute", m + time.Millisecond, 1},
		{"four-minutes", 4 * m, 1},
		{"over-four", 4*m + time.Millisecond, 2},
		{"six-days", 6 * 24 * time.Hour, 7},
		{"open", -1, 15},
	}
	for _, d := range detected {
		apply(t, s, down(d.ws, 0, health.SourceARI))
		if d.length >= 0 {
			apply(t, s, up(d.ws, d.length))
		}
	}
	first, last := time.UnixMilli(1), time.UnixMilli(1<<42-1) // the whole storable time
	for _, sp := range []health.Span{
		{Workstation: "manual-hour", Start: at(0), End: at(time.Hour)},
		{Workstation: "manual-all", Start: first, End: last},
	} {
		if _, err := s.AddManual(ctx, sp, "sv", at(0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.OpenBlind(ctx, health.SourceARI, at(0)); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseBlind(ctx, health.SourceARI, at(5*m)); err != nil {
		t.Fatal(err)
	}

	check := func(key, member string, want int64) {
		t.Helper()
		got, err := rdb.ZScore(ctx, key, member).Result()
		if err != nil || int64(got) != want {
			t.Errorf("ZSCORE %s %s = %.0f, %v; want %d", key, member, got, err, want)
		}
	}
	for _, d := range detected {
		id := d.ws + "-20261127T160500.212Z"
		check("dw:{ws:"+d.ws+"}:index", id, d.level<<42+start)
		check("dw:spans", id, d.level<<42+start)
	}
	check("dw:{ws:manual-hour}:index", "manual-hour-m20261127T160500.212Z", 3<<42+start)
	check("dw:spans", "manual-hour-m20261127T160500.212Z", 3<<42+start)
	check("dw:{ws:manual-all}:index", "manual-all-m19700101T000000.001Z", 14<<42+1)
	check("dw:spans", "manual-all-m19700101T000000.001Z", 14<<42+1)
	check("dw:{blind:ari}:closed", "1795795500212-1795795800212", 2<<42+start)
}
