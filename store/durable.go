package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotReplicated is returned when a write reached the master but fewer
// replicas than required confirmed it in time: it may be lost if the master
// dies now, so the caller keeps it and retries (the scripts are idempotent).
var ErrNotReplicated = errors.New("store: write not confirmed by the replicas in time")

// DurableWrites makes the store's record writes (transitions, the span
// index, blind intervals) wait until n replicas hold them: every pipeline
// they send ends with WAIT n timeout on the same connection, and a short
// count fails the write with ErrNotReplicated. Replication is one ordered
// stream per master, so a replica that acknowledges the WAIT holds every
// earlier write of that master too. On a Cluster the WAIT goes to each
// master the pipeline touched. Call it before the client is used.
func DurableWrites(rdb redis.UniversalClient, n int, timeout time.Duration) {
	if timeout <= 0 {
		timeout = time.Second
	}
	h := waitHook{n: n, timeoutMs: max(timeout.Milliseconds(), 1)}
	if c, ok := rdb.(*redis.ClusterClient); ok {
		// The cluster splits a pipeline by node: each node's part runs
		// through that node client's hooks, on one connection.
		c.OnNewNode(func(node *redis.Client) { node.AddHook(h) })
		return
	}
	rdb.AddHook(h)
}

type durableKey struct{}

// durable marks ctx so that the pipelines sent with it wait for replicas
// (when DurableWrites is on; otherwise the mark does nothing).
func durable(ctx context.Context) context.Context {
	return context.WithValue(ctx, durableKey{}, true)
}

type waitHook struct {
	n         int
	timeoutMs int64
}

func (waitHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (waitHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h waitHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if ctx.Value(durableKey{}) == nil {
			return next(ctx, cmds)
		}
		wait := redis.NewIntCmd(ctx, "wait", h.n, h.timeoutMs)
		// A fresh slice: the caller's must not grow a command it never sent.
		all := append(cmds[:len(cmds):len(cmds)], wait)
		if err := next(ctx, all); err != nil {
			return err
		}
		if err := wait.Err(); err != nil {
			return fmt.Errorf("store: wait for replicas: %w", err)
		}
		if got := wait.Val(); got < int64(h.n) {
			return fmt.Errorf("%w: %d of %d replicas within %d ms", ErrNotReplicated, got, h.n, h.timeoutMs)
		}
		return nil
	}
}
