package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/store"
)

func TestBlind(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	m := time.Minute
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.OpenBlind(ctx, health.SourceARI, at(0)))
	must(s.OpenBlind(ctx, health.SourceARI, at(m))) // kept: already open
	must(s.CloseBlind(ctx, health.SourceARI, at(10*m)))
	must(s.CloseBlind(ctx, health.SourceARI, at(11*m))) // nothing open
	must(s.OpenBlind(ctx, health.SourceSIP, at(5*m)))
	must(s.CloseBlind(ctx, health.SourceSIP, at(4*m))) // clamps to start
	must(s.OpenBlind(ctx, health.SourceSIP, at(20*m)))
	must(s.OpenBlind(ctx, health.SourceMonitor, at(-30*24*time.Hour)))
	must(s.CloseBlind(ctx, health.SourceMonitor, at(-m)))

	iv := func(a, b time.Duration) health.Interval { return health.Interval{Start: at(a), End: at(b)} }
	openAt := func(a time.Duration) health.Interval { return health.Interval{Start: at(a)} }
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []health.Interval
	}{
		{"all", time.Time{}, time.Time{}, []health.Interval{iv(-30*24*time.Hour, -m), iv(0, 10*m), iv(5*m, 5*m), openAt(20 * m)}},
		{"edges", at(-m), at(5 * m), []health.Interval{iv(0, 10*m)}},
		{"instant at from", at(5 * m), at(6 * m), []health.Interval{iv(0, 10*m), iv(5*m, 5*m)}},
		{"between", at(10 * m), at(20 * m), nil},
		{"open", at(time.Hour), at(2 * time.Hour), []health.Interval{openAt(20 * m)}},
		{"inside a long one", at(-10 * 24 * time.Hour), at(-9 * 24 * time.Hour), []health.Interval{iv(-30*24*time.Hour, -m)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Blind(ctx, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tc.want, func(a, b health.Interval) bool { return a.Start.Equal(b.Start) && a.End.Equal(b.End) }) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	// One source, or several, only.
	if got, err := s.BlindOf(ctx, time.Time{}, time.Time{}, health.SourceMonitor, health.SourceSIP); err != nil ||
		len(got) != 3 || !got[0].Start.Equal(at(-30*24*time.Hour)) || !got[1].Start.Equal(at(5*m)) || !got[2].Start.Equal(at(20*m)) {
		t.Fatalf("BlindOf(monitor, sip) = %v, %v", got, err)
	}
	if got, err := s.BlindOf(ctx, time.Time{}, time.Time{}, health.SourceARI); err != nil || len(got) != 1 || !got[0].End.Equal(at(10*m)) {
		t.Fatalf("BlindOf(ari) = %v, %v", got, err)
	}
	if got, err := s.OpenBlinds(ctx); err != nil || len(got) != 1 || !got[health.SourceSIP].Equal(at(20*m)) {
		t.Fatalf("OpenBlinds = %v, %v; want sip's, from 20 min", got, err)
	}
	var ve *store.ValidationError
	if err := s.OpenBlind(ctx, "a{b}", at(0)); !errors.As(err, &ve) {
		t.Fatalf("bad source: err = %v", err)
	}
}
