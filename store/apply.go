package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
)

// maxCallTransitions bounds the transitions of one script call on a single
// master: Redis serves nobody else while a script runs (some 10 µs a
// transition), and a call's fixed cost is spread well before that.
const maxCallTransitions = 128

// Apply applies transitions, each desk's in order, each atomically and
// idempotently (see doc.go), in one round trip on each of up to
// applyLanes connections: one script call per desk on a Cluster, per group
// of desks up to maxCallTransitions on a single master. On error the caller retries the whole batch: transitions already
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
	err := s.lanes(len(calls), func(from, to int) error {
		return s.pipelined(ctx, func(p redis.Pipeliner) {
			// Register the workstations before writing their keys, so
			// that readers that enumerate workstations never miss one.
			var desks []any
			for _, c := range calls[from:to] {
				for _, r := range c {
					desks = append(desks, r.ws)
				}
			}
			p.SAdd(ctx, s.key("desks"), desks...)
			for i := from; i < to; i++ {
				evals[i] = s.evalApply(ctx, p, calls[i], direct)
			}
		})
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

// applyLanes is how many pipelines (connections) a large Apply sends at
// once, and minLaneCalls the fewest script calls worth a lane of their own:
// Go builds one lane's commands and reads its replies while Redis runs
// another's, rather than Redis waiting for Go and Go for Redis.
const (
	applyLanes   = 3
	minLaneCalls = 4
)

// lanes cuts n script calls into consecutive parts, one lane each, and runs
// send on each part at once. Each desk is in one call, so its transitions
// keep their order. It returns a *FencedError if any lane had one (the
// instance must stop writing), else the first lane's error.
func (s *Store) lanes(n int, send func(from, to int) error) error {
	k := max(1, min(applyLanes, n/minLaneCalls))
	if k == 1 {
		return send(0, n)
	}
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = send(i*n/k, (i+1)*n/k)
		}()
	}
	wg.Wait()
	var first error
	for _, err := range errs {
		if errors.Is(err, ErrFenced) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
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

// evalApply queues one call of apply.lua for the desks of c. The strings
// of a desk's keys are cut from one allocation, and those of the
// transitions from one per call.
func (s *Store) evalApply(ctx context.Context, p redis.Pipeliner, c []deskRun, direct bool) *redis.Cmd {
	nkeys, nargs, ntr := 6*len(c), 3, 0
	for _, r := range c {
		nargs += 3 + len(r.acks) + 6*len(r.trs)
		ntr += len(r.trs)
	}
	if direct {
		nkeys++
	}
	// Per transition: its fingerprint, at (ms) and the ID of a span it
	// opens, as text, each marked by its end in buf.
	buf := make([]byte, 0, ntr*96)
	ends := make([]int, 0, 3*ntr)
	for _, r := range c {
		for _, t := range r.trs {
			at := t.At.UnixMilli()
			buf = strconv.AppendInt(buf, t.At.UnixNano(), 10)
			buf = append(append(append(append(buf, ':'), t.From...), ':'), t.To...)
			ends = append(ends, len(buf))
			buf = strconv.AppendInt(buf, at, 10)
			ends = append(ends, len(buf))
			buf = appendSpanID(buf, r.ws, at)
			ends = append(ends, len(buf))
		}
	}
	text, k, from := string(buf), 0, 0
	cut := func() string {
		v := text[from:ends[k]]
		from, k = ends[k], k+1
		return v
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
		keys = s.appendDeskKeys(keys, ws)
		args = append(args, ws, len(r.trs), len(r.acks)/2)
		for _, a := range r.acks {
			args = append(args, a)
		}
		for _, t := range r.trs {
			args = append(args, cut(), cut(), string(t.To), string(t.Cause), string(t.Source), cut())
		}
	}
	if direct {
		keys = append(keys, s.key("spans"))
	}
	return scriptApply.EvalSha(ctx, p, keys, args...)
}

// deskKeyNames are the keys apply.lua takes of each desk, in its order.
var deskKeyNames = [6]string{"state", "applied", "spans", "index", "outbox", "fence"}

// appendDeskKeys appends the keys of ws that apply.lua takes, as wsKey and
// deskFence name them.
func (s *Store) appendDeskKeys(keys []string, ws string) []string {
	base := s.wsKey(ws, "")
	n := 0
	for _, name := range deskKeyNames {
		n += len(base) + len(name)
	}
	b := make([]byte, 0, n)
	for _, name := range deskKeyNames {
		b = append(append(b, base...), name...)
	}
	all := string(b)
	for _, name := range deskKeyNames {
		keys = append(keys, all[:len(base)+len(name)])
		all = all[len(base)+len(name):]
	}
	return keys
}

// appendSpanID appends spanID(ws, startMs, false).
func appendSpanID(b []byte, ws string, startMs int64) []byte {
	b = append(append(b, ws...), '-')
	return fromMs(startMs).AppendFormat(b, idTime)
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
