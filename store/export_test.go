package store

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
	"deskwatch/spanindex"
)

// seedScript writes closed detected spans of one workstation as apply.lua
// leaves them: cjson records and per-desk index entries.
// KEYS: 1 spans, 2 index; ARGV: ws, then id, start, end, cause, source per span.
var seedScript = redis.NewScript(prelude + `
local ws = ARGV[1]
for i = 2, #ARGV, 5 do
  local id, start, stop = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local rec = {id = id, ws = ws, start = start, cause = ARGV[i + 3], sources = ARGV[i + 4]}
  rec['end'] = stop
  redis.call('HSET', KEYS[1], id, cjson.encode(rec))
  redis.call('ZADD', KEYS[2], num(score(start, stop)), id)
end
return 0
`)

// SeedSpans writes closed detected spans (Workstation, Start, End, Cause,
// Sources[0]) straight into the keys, as Apply would leave them after their
// transitions, in large pipelines: for benchmarks with far more spans than
// Apply writes in reasonable time. It ignores the spans' IDs. The spans of
// a workstation must be next to each other.
func SeedSpans(ctx context.Context, s *Store, spans []health.Span) error {
	if err := seedScript.Load(ctx, s.rdb).Err(); err != nil {
		return err
	}
	for _, sp := range spans {
		if sp.Open() || len(sp.Sources) != 1 {
			return fmt.Errorf("seed: span %+v: want closed, with one source", sp)
		}
	}
	// Runs of one workstation's spans, in the order given.
	var desks []string
	byDesk := make(map[string][]health.Span)
	for i := 0; i < len(spans); {
		j := i + 1
		for j < len(spans) && spans[j].Workstation == spans[i].Workstation {
			j++
		}
		ws := spans[i].Workstation
		if _, ok := byDesk[ws]; ok {
			return fmt.Errorf("seed: spans of %s not together", ws)
		}
		desks = append(desks, ws)
		byDesk[ws] = spans[i:j]
		i = j
	}
	const chunk = 20_000 // spans per pipeline
	for len(desks) > 0 {
		n, count := 0, 0
		for n < len(desks) && count < chunk {
			count += len(byDesk[desks[n]])
			n++
		}
		batch := desks[:n]
		desks = desks[n:]
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			members := make([]any, 0, len(batch))
			for _, ws := range batch {
				members = append(members, ws)
			}
			p.SAdd(ctx, s.key("desks"), members...)
			var global []redis.Z
			for _, ws := range batch {
				args := []any{ws}
				for _, sp := range byDesk[ws] {
					start, end := sp.Start.UnixMilli(), sp.End.UnixMilli()
					id := spanID(ws, start, false)
					args = append(args, id, start, end, string(sp.Cause), string(sp.Sources[0]))
					global = append(global, redis.Z{Score: float64(spanindex.Score(start, end)), Member: id})
				}
				seedScript.EvalSha(ctx, p, []string{s.wsKey(ws, "spans"), s.wsKey(ws, "index")}, args...)
			}
			p.ZAdd(ctx, s.key("spans"), global...)
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}
