package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
)

// OpenBlind records that source lost sight at at. If an interval is already
// open for the source it is kept; an opening applied before (among the
// source's last dedupWindow opens and closes) is not applied again, so a
// replay cannot reopen a closed interval.
func (s *Store) OpenBlind(ctx context.Context, source health.Source, at time.Time) error {
	if err := checkSource("source", source); err != nil {
		return err
	}
	if err := checkTime("at", at); err != nil {
		return err
	}
	ctx = durable(ctx)
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		p.SAdd(ctx, s.key("blind:sources"), string(source))
		keys := []string{s.blindKey(source, "open"), s.blindKey(source, "applied"), s.blindFence(string(source))}
		scriptOpenBlind.EvalSha(ctx, p, keys, at.UnixMilli(), dedupWindow, s.epoch.Load())
	})
	if err != nil {
		return fmt.Errorf("store: open blind interval of %s: %w", source, err)
	}
	return nil
}

// CloseBlind closes the source's open blind interval at at (clamped to its
// start). Without an open interval it does nothing, nor for a closing
// applied before: a replay must not close a later interval.
func (s *Store) CloseBlind(ctx context.Context, source health.Source, at time.Time) error {
	if err := checkSource("source", source); err != nil {
		return err
	}
	if err := checkTime("at", at); err != nil {
		return err
	}
	keys := []string{s.blindKey(source, "open"), s.blindKey(source, "closed"), s.blindKey(source, "applied"), s.blindFence(string(source))}
	ctx = durable(ctx)
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		scriptCloseBlind.EvalSha(ctx, p, keys, at.UnixMilli(), dedupWindow, s.epoch.Load())
	})
	if err != nil {
		return fmt.Errorf("store: close blind interval of %s: %w", source, err)
	}
	return nil
}

// Blind returns the blind intervals of all sources overlapping [from, to)
// (zero from or to: unbounded), by start; open ones have a zero End.
func (s *Store) Blind(ctx context.Context, from, to time.Time) ([]health.Interval, error) {
	return s.BlindOf(ctx, from, to)
}

// BlindOf is Blind for the given sources only (none given: all of them).
func (s *Store) BlindOf(ctx context.Context, from, to time.Time, only ...health.Source) ([]health.Interval, error) {
	lo, hi, err := bounds(from, to)
	if err != nil {
		return nil, err
	}
	sources, err := s.rdb.SMembers(ctx, s.key("blind:sources")).Result()
	if err != nil {
		return nil, fmt.Errorf("store: blind intervals: list sources: %w", err)
	}
	if len(only) > 0 {
		sources = slices.DeleteFunc(sources, func(src string) bool { return !slices.Contains(only, health.Source(src)) })
	}
	closed := make([]*redis.Cmd, len(sources))
	opens := make([]*redis.StringCmd, len(sources))
	err = s.pipelined(ctx, func(p redis.Pipeliner) {
		for i, src := range sources {
			closed[i] = scriptRange.EvalSha(ctx, p, []string{s.blindKey(health.Source(src), "closed")}, lo, hi)
			opens[i] = p.Get(ctx, s.blindKey(health.Source(src), "open"))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("store: blind intervals: %w", err)
	}
	var out []health.Interval
	for i := range sources {
		members, err := closed[i].StringSlice()
		if err != nil {
			return nil, fmt.Errorf("store: blind intervals: %w", err)
		}
		for _, m := range members {
			a, b, _ := strings.Cut(m, "-")
			start, err1 := strconv.ParseInt(a, 10, 64)
			end, err2 := strconv.ParseInt(b, 10, 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("store: blind intervals: bad member %q", m)
			}
			if overlaps(start, end, lo, hi) {
				out = append(out, health.Interval{Start: fromMs(start), End: fromMs(end)})
			}
		}
		if v := opens[i].Val(); v != "" {
			start, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("store: blind intervals: bad open start %q", v)
			}
			if overlaps(start, -1, lo, hi) {
				out = append(out, health.Interval{Start: fromMs(start)})
			}
		}
	}
	slices.SortFunc(out, func(a, b health.Interval) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// OpenBlinds returns the start of each source's open blind interval.
func (s *Store) OpenBlinds(ctx context.Context) (map[health.Source]time.Time, error) {
	sources, err := s.rdb.SMembers(ctx, s.key("blind:sources")).Result()
	if err != nil || len(sources) == 0 {
		return map[health.Source]time.Time{}, err
	}
	opens := make([]*redis.StringCmd, len(sources))
	err = s.pipelined(ctx, func(p redis.Pipeliner) {
		for i, src := range sources { // one slot each
			opens[i] = p.Get(ctx, s.blindKey(health.Source(src), "open"))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("store: open blind intervals: %w", err)
	}
	out := map[health.Source]time.Time{}
	for i, src := range sources {
		if v := opens[i].Val(); v != "" {
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("store: open blind interval of %s: bad start %q", src, v)
			}
			out[health.Source(src)] = fromMs(ms)
		}
	}
	return out, nil
}
