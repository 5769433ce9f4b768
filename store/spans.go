package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
)

// syncIndex copies per-workstation index entries (outboxes: workstation ->
// flat id, score list, as the scripts return them) to the global index and
// notes them in s.copied, to be removed from the outboxes by the next call.
// Entries stay in the outbox until copied, so a failed sync is completed by
// a retry. ZADD LT makes the copy idempotent and monotonic: a span's score
// only decreases (open level 15 to its closed level), so a stale copy never
// undoes a newer one. The caller holds s.mu.
func (s *Store) syncIndex(ctx context.Context, outboxes map[string][]string) error {
	var zs []redis.Z
	for _, kv := range outboxes {
		for i := 0; i+1 < len(kv); i += 2 {
			score, err := strconv.ParseFloat(kv[i+1], 64)
			if err != nil {
				return fmt.Errorf("outbox entry %s: bad score %q", kv[i], kv[i+1])
			}
			zs = append(zs, redis.Z{Score: score, Member: kv[i]})
		}
	}
	if len(zs) == 0 {
		return nil
	}
	if err := s.pipelined(ctx, func(p redis.Pipeliner) { p.ZAddLT(ctx, s.key("spans"), zs...) }); err != nil {
		return fmt.Errorf("update global span index: %w", err)
	}
	for ws, kv := range outboxes {
		if len(kv) > 0 {
			s.copied[ws] = kv
		}
	}
	return nil
}

// clearOutboxes removes the copied entries from the outboxes now rather
// than with each workstation's next call. The caller holds s.mu.
func (s *Store) clearOutboxes(ctx context.Context) error {
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		for ws, kv := range s.copied {
			args := make([]any, len(kv))
			for i, v := range kv {
				args[i] = v
			}
			scriptAck.EvalSha(ctx, p, []string{s.wsKey(ws, "outbox")}, args...)
		}
	})
	if err != nil {
		return fmt.Errorf("clear span index outboxes: %w", err)
	}
	clear(s.copied)
	return nil
}

// Span returns one span.
func (s *Store) Span(ctx context.Context, id string) (health.Span, error) {
	ws, ok := workstationOf(id)
	if !ok {
		return health.Span{}, fmt.Errorf("store: span %q: %w", id, ErrNotFound)
	}
	raw, err := s.rdb.HGet(ctx, s.wsKey(ws, "spans"), id).Result()
	if errors.Is(err, redis.Nil) {
		return health.Span{}, fmt.Errorf("store: span %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return health.Span{}, fmt.Errorf("store: span %q: %w", id, err)
	}
	r, err := decodeRecord(raw)
	if err != nil {
		return health.Span{}, fmt.Errorf("store: span %q: %w", id, err)
	}
	return r.span(), nil
}

// Spans returns the spans overlapping [q.From, q.To), newest start first.
// It reads the index entries that can overlap the range (see doc.go), so its
// cost follows the spans in the range, not the whole history.
func (s *Store) Spans(ctx context.Context, q SpanQuery) ([]health.Span, error) {
	lo, hi, err := bounds(q.From, q.To)
	if err != nil {
		return nil, err
	}
	for i, ws := range q.Workstations {
		if err := checkWorkstation(fmt.Sprintf("Workstations[%d]", i), ws); err != nil {
			return nil, err
		}
	}
	ids, err := s.candidates(ctx, q.Workstations, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("store: spans: %w", err)
	}
	// Spans are built as their records arrive, while these are in the
	// cache, then moved into order once.
	var out []health.Span
	var pool sourcePool
	err = s.fetchRecords(ctx, ids, func(r *record) error {
		end := r.End
		if r.open() {
			end = -1
		}
		if !overlaps(r.Start, end, lo, hi) || q.Open != nil && *q.Open != r.open() {
			return nil
		}
		if len(out) == cap(out) {
			// Nearly every candidate overlaps the range; few may pass
			// an Open filter.
			n := ids.count
			if q.Open != nil {
				n = max(2*len(out), 64)
			}
			out = slices.Grow(out, max(n-len(out), 1))
		}
		out = out[:len(out)+1]
		r.fill(&out[len(out)-1], &pool)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: spans: %w", err)
	}
	sortSpans(out)
	return out, nil
}

// desks lists every workstation that has keys in the store.
func (s *Store) desks(ctx context.Context) ([]string, error) {
	desks, err := s.rdb.SMembers(ctx, s.key("desks")).Result()
	if err != nil {
		return nil, fmt.Errorf("list workstations: %w", err)
	}
	slices.Sort(desks)
	return desks, nil
}

// CurrentStates returns each workstation's state as of its last transition.
func (s *Store) CurrentStates(ctx context.Context) (map[string]CurrentState, error) {
	desks, err := s.desks(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: current states: %w", err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(desks))
	err = s.pipelined(ctx, func(p redis.Pipeliner) {
		for i, ws := range desks {
			cmds[i] = p.HGetAll(ctx, s.wsKey(ws, "state"))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("store: current states: %w", err)
	}
	out := make(map[string]CurrentState, len(desks))
	for i, c := range cmds {
		h := c.Val()
		if h["state"] == "" {
			continue // manual spans only
		}
		since, _ := strconv.ParseInt(h["since"], 10, 64)
		out[desks[i]] = CurrentState{
			State:  health.State(h["state"]),
			Since:  fromMs(since),
			Cause:  health.Cause(h["cause"]),
			Source: health.Source(h["source"]),
			Span:   h["open"],
		}
	}
	return out, nil
}

// OpenSpans returns the open span of each workstation that has one. As it
// reads every workstation anyway, it also completes global-index updates
// that a crash left pending: call it at startup.
func (s *Store) OpenSpans(ctx context.Context) (map[string]health.Span, error) {
	desks, err := s.desks(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: open spans: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	opens := make([]*redis.StringCmd, len(desks))
	outs := make([]*redis.MapStringStringCmd, len(desks))
	err = s.pipelined(ctx, func(p redis.Pipeliner) {
		for i, ws := range desks {
			opens[i] = p.HGet(ctx, s.wsKey(ws, "state"), "open")
			outs[i] = p.HGetAll(ctx, s.wsKey(ws, "outbox"))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("store: open spans: %w", err)
	}
	var ids idGrouper
	outboxes := make(map[string][]string)
	for i, ws := range desks {
		if id := opens[i].Val(); id != "" {
			ids.add(ws, id)
		}
		for id, score := range outs[i].Val() {
			outboxes[ws] = append(outboxes[ws], id, score)
		}
	}
	if len(outboxes) > 0 {
		s.log.Info().Int("workstations", len(outboxes)).Msg("completing pending span index updates")
		if err := s.syncIndex(ctx, outboxes); err != nil {
			return nil, fmt.Errorf("store: open spans: %w", err)
		}
		if err := s.clearOutboxes(ctx); err != nil {
			return nil, fmt.Errorf("store: open spans: %w", err)
		}
	}
	out := make(map[string]health.Span)
	err = s.fetchRecords(ctx, ids.group(), func(r *record) error {
		if r.open() {
			out[r.WS] = r.span()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: open spans: %w", err)
	}
	return out, nil
}
