package journal

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"deskwatch/spanindex"
)

// Entry returns one entry, with its history.
func (j *Journal) Entry(ctx context.Context, year, number int) (Entry, error) {
	id := entryID(year, number)
	es, err := j.readEntries(ctx, []string{id})
	if err != nil {
		return Entry{}, fmt.Errorf("journal: entry %d/%d: %w", number, year, err)
	}
	if len(es) == 0 {
		return Entry{}, fmt.Errorf("journal: entry %d/%d: %w", number, year, ErrNotFound)
	}
	return es[0], nil
}

// Entries returns the entries overlapping [from, to), newest first (by
// start, then number), with their histories. A zero from or to leaves that
// side open. Ongoing entries overlap everything after their start.
func (j *Journal) Entries(ctx context.Context, from, to time.Time) ([]Entry, error) {
	lo, hi, err := queryBounds(from, to)
	if err != nil {
		return nil, err
	}
	cmds := make([]*redis.StringSliceCmd, 0, spanindex.Levels)
	_, err = j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, r := range spanindex.Ranges(lo, hi) {
			cmds = append(cmds, p.ZRangeByScore(ctx, j.indexKey(), &redis.ZRangeBy{
				Min: strconv.FormatInt(r.Min, 10), Max: "(" + strconv.FormatInt(r.Max, 10)}))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal: entries: %w", err)
	}
	var ids []string
	for _, c := range cmds {
		ids = append(ids, c.Val()...)
	}
	es, err := j.readEntries(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("journal: entries: %w", err)
	}
	es = slices.DeleteFunc(es, func(e Entry) bool { return !overlaps(e, lo, hi) })
	slices.SortFunc(es, func(a, b Entry) int {
		return cmp.Or(b.Start.Compare(a.Start), cmp.Compare(b.Year, a.Year), cmp.Compare(b.Number, a.Number))
	})
	return es, nil
}

// Missing returns the entries overlapping [from, to) that still lack a
// noted cause or a fault attribution (Fault unknown), newest first: the
// list of what must be completed before the report is due.
func (j *Journal) Missing(ctx context.Context, from, to time.Time) ([]Entry, error) {
	es, err := j.Entries(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(es, func(e Entry) bool { return e.CauseNoted && e.Fault != FaultUnknown }), nil
}

// readEntries folds the entries with the given IDs; IDs without records are
// left out.
func (j *Journal) readEntries(ctx context.Context, ids []string) ([]Entry, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	lists := make([]*redis.StringSliceCmd, len(ids))
	_, err := j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			lists[i] = p.LRange(ctx, j.entryKey(id), 0, -1)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read entry indexes: %w", err)
	}
	var seqs []int64
	for i, c := range lists {
		for _, s := range c.Val() {
			seq, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("index of entry %s: malformed %q", ids[i], s)
			}
			seqs = append(seqs, seq)
		}
	}
	recs, err := j.readRecords(ctx, seqs)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(ids))
	for i, c := range lists {
		n := len(c.Val())
		if n == 0 {
			continue
		}
		own := recs[:n]
		recs = recs[n:]
		for _, r := range own {
			if r.Entry != ids[i] {
				return nil, fmt.Errorf("index of entry %s lists record %d of entry %s: %w", ids[i], r.Seq, r.Entry, ErrTampered)
			}
		}
		e, err := fold(own)
		if err != nil {
			return nil, fmt.Errorf("entry %s: %w", ids[i], err)
		}
		out = append(out, e)
	}
	return out, nil
}

// queryBounds turns [from, to) into milliseconds; zero means open.
func queryBounds(from, to time.Time) (lo, hi int64, err error) {
	lo, hi = 0, spanindex.Shift-1
	if !from.IsZero() {
		lo = max(ms(from), 0)
	}
	if !to.IsZero() {
		hi = min(ms(to), spanindex.Shift-1)
	}
	if hi < lo {
		return 0, 0, &ValidationError{"to", "before from"}
	}
	return lo, hi, nil
}

// overlaps reports whether an entry overlaps [lo, hi) (ms). A zero-length
// entry counts as the instant it starts.
func overlaps(e Entry, lo, hi int64) bool {
	start := ms(e.Start)
	if start >= hi || lo >= hi {
		return false
	}
	if e.Ongoing() {
		return true
	}
	end := ms(e.End)
	if end == start {
		return start >= lo
	}
	return end > lo
}

// indexScore is an entry's score in the time index, the store's span index
// (package spanindex): ongoing entries are on the open level.
func indexScore(s *summary) int64 {
	if s.Open > 0 {
		return spanindex.OpenScore(s.Start)
	}
	return spanindex.Score(s.Start, s.End)
}
