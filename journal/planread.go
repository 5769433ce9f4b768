package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
)

// Reads for the plan: what the journal has recorded of the spans, the
// anchors near new spans, the entries' summaries and the year counters.

func (j *Journal) readStates(ctx context.Context, spans []health.Span) (map[string]*spanState, error) {
	states := make(map[string]*spanState, len(spans))
	cmds := make([]*redis.SliceCmd, 0, len(spans)/readChunk+1)
	_, err := j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for start := 0; start < len(spans); start += readChunk {
			ids := make([]string, 0, readChunk)
			for _, sp := range spans[start:min(start+readChunk, len(spans))] {
				ids = append(ids, sp.ID)
			}
			cmds = append(cmds, p.HMGet(ctx, j.spansKey(), ids...))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read span states: %w", err)
	}
	i := 0
	for _, c := range cmds {
		for _, v := range c.Val() {
			id := spans[i].ID
			i++
			raw, ok := v.(string)
			if !ok {
				continue
			}
			st := &spanState{}
			if err := json.Unmarshal([]byte(raw), st); err != nil || st.Entry == "" {
				return nil, fmt.Errorf("span state of %s: malformed %q", id, raw)
			}
			states[id] = st
		}
	}
	return states, nil
}

// readAnchors seeds a grouper with the anchors of existing entries within
// Window of the new spans, per cause.
func (j *Journal) readAnchors(ctx context.Context, fresh []health.Span) (*grouper[string], error) {
	g := newGrouper[string](j.window)
	type bounds struct{ lo, hi int64 }
	byCause := map[health.Cause]*bounds{}
	for _, sp := range fresh {
		if sp.Manual {
			continue
		}
		b := byCause[sp.Cause]
		if b == nil {
			b = &bounds{ms(sp.Start), ms(sp.Start)}
			byCause[sp.Cause] = b
		}
		b.lo, b.hi = min(b.lo, ms(sp.Start)), max(b.hi, ms(sp.Start))
	}
	if len(byCause) == 0 {
		return g, nil
	}
	w := j.window.Milliseconds()
	cmds := map[health.Cause]*redis.ZSliceCmd{}
	_, err := j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for cause, b := range byCause {
			cmds[cause] = p.ZRangeByScoreWithScores(ctx, j.anchorsKey(string(cause)), &redis.ZRangeBy{
				Min: strconv.FormatInt(b.lo-w, 10), Max: strconv.FormatInt(b.hi+w, 10)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read anchors: %w", err)
	}
	var ids []string
	for cause, c := range cmds {
		for _, z := range c.Val() {
			id, _ := z.Member.(string)
			g.add(cause, fromMs(int64(z.Score)), id)
			ids = append(ids, id)
		}
	}
	desks := make([]*redis.StringSliceCmd, len(ids))
	_, err = j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			desks[i] = p.SMembers(ctx, j.desksKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read desks of entries: %w", err)
	}
	for i, c := range desks {
		for _, d := range c.Val() {
			g.join(ids[i], d)
		}
	}
	return g, nil
}

func (j *Journal) readSums(ctx context.Context, ids []string, into map[string]*summary) error {
	if len(ids) == 0 {
		return nil
	}
	vals, err := j.rdb.HMGet(ctx, j.sumKey(), ids...).Result()
	if err != nil {
		return fmt.Errorf("read entry summaries: %w", err)
	}
	for i, v := range vals {
		raw, _ := v.(string)
		s := &summary{}
		if err := json.Unmarshal([]byte(raw), s); err != nil {
			return fmt.Errorf("summary of entry %s: malformed %q", ids[i], raw)
		}
		into[ids[i]] = s
	}
	return nil
}

func (j *Journal) readYears(ctx context.Context, years []int, into map[int]int) error {
	if len(years) == 0 {
		return nil
	}
	fields := make([]string, len(years))
	for i, y := range years {
		fields[i] = strconv.Itoa(y)
	}
	vals, err := j.rdb.HMGet(ctx, j.yearsKey(), fields...).Result()
	if err != nil {
		return fmt.Errorf("read year counters: %w", err)
	}
	for i, v := range vals {
		n := 0
		if s, ok := v.(string); ok {
			if n, err = strconv.Atoi(s); err != nil {
				return fmt.Errorf("year counter %d: malformed %q", years[i], s)
			}
		}
		into[years[i]] = n
	}
	return nil
}
