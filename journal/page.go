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

// EntryCursor is a place in Entries' order (newest start first, then year
// and number descending): a page goes on after this entry.
type EntryCursor struct {
	Start        time.Time
	Year, Number int
}

// pageChunk is the fewest entries read at once while filling a page:
// candidates from the index's margins are skipped.
const pageChunk = 64

// EntriesPage returns up to limit entries overlapping [from, to) after the
// cursor (nil: from the newest) in Entries' order, and whether more
// follow. The index's scores hold each entry's start, so only the page's
// entries are read and folded, whatever the range holds.
func (j *Journal) EntriesPage(ctx context.Context, from, to time.Time, after *EntryCursor, limit int) ([]Entry, bool, error) {
	if limit < 1 {
		return nil, false, &ValidationError{"limit", "must be at least 1"}
	}
	lo, hi, err := queryBounds(from, to)
	if err != nil {
		return nil, false, err
	}
	cmds := make([]*redis.ZSliceCmd, 0, spanindex.Levels)
	_, err = j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, r := range spanindex.Ranges(lo, hi) {
			cmds = append(cmds, p.ZRangeByScoreWithScores(ctx, j.indexKey(), &redis.ZRangeBy{
				Min: strconv.FormatInt(r.Min, 10), Max: "(" + strconv.FormatInt(r.Max, 10)}))
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("journal: entries page: %w", err)
	}
	type cand struct {
		start        int64
		year, number int
		id           string
	}
	var cands []cand
	for _, c := range cmds {
		for _, z := range c.Val() {
			id, _ := z.Member.(string)
			y, n, ok := parseEntryID(id)
			if !ok {
				continue
			}
			k := cand{int64(z.Score) % spanindex.Shift, y, n, id}
			if after != nil && cmp.Or(cmp.Compare(k.start, ms(after.Start)), cmp.Compare(k.year, after.Year), cmp.Compare(k.number, after.Number)) >= 0 {
				continue
			}
			cands = append(cands, k)
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(b.start, a.start), cmp.Compare(b.year, a.year), cmp.Compare(b.number, a.number))
	})
	var out []Entry
	for len(cands) > 0 && len(out) <= limit {
		chunk := cands[:min(len(cands), max(limit+1-len(out), pageChunk))]
		cands = cands[len(chunk):]
		ids := make([]string, len(chunk))
		for i, c := range chunk {
			ids[i] = c.id
		}
		es, err := j.readEntries(ctx, ids) // in the order of ids
		if err != nil {
			return nil, false, fmt.Errorf("journal: entries page: %w", err)
		}
		for _, e := range es {
			if overlaps(e, lo, hi) && len(out) <= limit {
				out = append(out, e)
			}
		}
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}
