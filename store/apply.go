package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
)

// maxCallTransitions bounds the transitions of one script call on a single
// master: Redis serves nobody else while a script runs (some 10 µs a
// transition), and a call's fixed cost is spread well before that.
const maxCallTransitions = 128

// Apply applies transitions, each desk's in order, each atomically and
// idempotently (see doc.go), in one pipeline: one script call per desk on
// a Cluster, per group of desks up to maxCallTransitions on a single
// master. On error the caller retries the whole batch: transitions already
// applied are recognised and skipped, as long as the batch holds at most
// MaxBatchPerDesk transitions of one desk.
func (s *Store) Apply(ctx context.Context, ts []health.Transition) error {
	if len(ts) == 0 {
		return nil
	}
	ctx = durable(ctx)
	for i, t := range ts {
		if err := checkTransition(t); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				ve.Field = fmt.Sprintf("transitions[%d].%s", i, ve.Field)
			}
			return err
		}
	}
	runs := byDesk(ts)
	desks := make([]any, len(runs))
	for i, r := range runs {
		desks[i] = r.ws
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// The first call of each workstation removes the outbox entries that
	// an earlier call copied to the global index.
	for i := range runs {
		if kv, ok := s.copied[runs[i].ws]; ok {
			runs[i].acks = kv
			delete(s.copied, runs[i].ws)
		}
	}
	direct := !s.cluster
	calls := splitCalls(runs, direct)
	evals := make([]*redis.Cmd, len(calls))
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		// Register the workstations before writing their keys, so that
		// readers that enumerate workstations never miss one.
		p.SAdd(ctx, s.key("desks"), desks...)
		for i, c := range calls {
			evals[i] = s.evalApply(ctx, p, c, direct)
		}
	})
	if err != nil {
		return fmt.Errorf("store: apply %d transitions: %w", len(ts), err)
	}
	// Outboxes come back from a Cluster's calls, and from a single
	// master's only when the global index is broken (then the copy fails).
	outboxes := make(map[string][]string, len(runs))
	for i, c := range evals {
		res, err := c.Slice()
		if err == nil && len(res) == 0 && direct {
			continue // the script wrote the global index
		}
		if err == nil && len(res) != len(calls[i]) {
			err = fmt.Errorf("%d outboxes for %d desks", len(res), len(calls[i]))
		}
		if err != nil {
			return fmt.Errorf("store: apply %d transitions: read result: %w", len(ts), err)
		}
		for j, list := range res {
			kv, _ := list.([]any)
			out := make([]string, len(kv))
			for k, v := range kv {
				out[k], _ = v.(string)
			}
			outboxes[calls[i][j].ws] = out
		}
	}
	if err := s.syncIndex(ctx, outboxes); err != nil {
		return fmt.Errorf("store: apply %d transitions: %w", len(ts), err)
	}
	return nil
}

// deskRun is a desk's transitions of a batch, in order.
type deskRun struct {
	ws   string
	trs  []health.Transition
	acks []string // outbox entries to remove
}

// byDesk groups ts by desk, keeping each desk's order; desks come in the
// order of their first transition.
func byDesk(ts []health.Transition) []deskRun {
	at := make(map[string]int, len(ts))
	var runs []deskRun
	for _, t := range ts {
		i, ok := at[t.Workstation]
		if !ok {
			i = len(runs)
			at[t.Workstation] = i
			runs = append(runs, deskRun{ws: t.Workstation})
		}
		runs[i].trs = append(runs[i].trs, t)
	}
	return runs
}

// splitCalls cuts runs into script calls: one desk each on a Cluster (a
// script's keys must share a slot), whole desks up to maxCallTransitions
// otherwise.
func splitCalls(runs []deskRun, multi bool) [][]deskRun {
	var calls [][]deskRun
	for i, n := 0, 0; i < len(runs); {
		j := i + 1
		n = len(runs[i].trs)
		for multi && j < len(runs) && n+len(runs[j].trs) <= maxCallTransitions {
			n += len(runs[j].trs)
			j++
		}
		calls = append(calls, runs[i:j])
		i = j
	}
	return calls
}

// evalApply queues one call of apply.lua for the desks of c.
func (s *Store) evalApply(ctx context.Context, p redis.Pipeliner, c []deskRun, direct bool) *redis.Cmd {
	nkeys, nargs := 6*len(c), 3
	for _, r := range c {
		nargs += 3 + len(r.acks) + 6*len(r.trs)
	}
	if direct {
		nkeys++
	}
	keys := make([]string, 0, nkeys)
	args := make([]any, 0, nargs)
	flag := "0"
	if direct {
		flag = "1"
	}
	args = append(args, s.epoch.Load(), dedupWindow, flag)
	for _, r := range c {
		ws := r.ws
		keys = append(keys, s.wsKey(ws, "state"), s.wsKey(ws, "applied"), s.wsKey(ws, "spans"),
			s.wsKey(ws, "index"), s.wsKey(ws, "outbox"), s.deskFence(ws))
		args = append(args, ws, len(r.trs), len(r.acks)/2)
		for _, a := range r.acks {
			args = append(args, a)
		}
		for _, t := range r.trs {
			at := t.At.UnixMilli()
			fingerprint := strconv.FormatInt(t.At.UnixNano(), 10) + ":" + string(t.From) + ":" + string(t.To)
			args = append(args, fingerprint, at, string(t.To), string(t.Cause), string(t.Source), spanID(ws, at, false))
		}
	}
	if direct {
		keys = append(keys, s.key("spans"))
	}
	return scriptApply.EvalSha(ctx, p, keys, args...)
}

func checkTransition(t health.Transition) error {
	if err := checkWorkstation("Workstation", t.Workstation); err != nil {
		return err
	}
	if err := checkTime("At", t.At); err != nil {
		return err
	}
	switch t.To {
	case health.StateUp, health.StateDown, health.StateUnknown:
	default:
		return &ValidationError{"To", fmt.Sprintf("unknown state %q", t.To)}
	}
	if t.From == t.To {
		return &ValidationError{"From", "equals To"}
	}
	if t.Source != "" {
		return checkSource("Source", t.Source)
	}
	return nil
}
