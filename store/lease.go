package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
)

// The lease names the one instance that writes (DESIGN.md, 27). Its keys
// share the tag {ha}: the lease, the epoch counter, the peers and the
// ARI application claims.

func (s *Store) haKey(name string) string { return s.prefix + "{ha}:" + name }

// AppHeldError refuses an ARI application name that a live instance holds.
type AppHeldError struct{ App, Holder string }

func (e *AppHeldError) Error() string {
	return fmt.Sprintf("ari.app %q is in use by the live instance %q", e.App, e.Holder)
}

// AcquireLease takes the lease for instance for ttl if it is free, and
// returns the new epoch (a fencing token larger than any before). If it is
// held, epoch is 0 and holder names the holder.
func (s *Store) AcquireLease(ctx context.Context, instance string, ttl time.Duration) (epoch int64, holder string, err error) {
	return s.lease(ctx, "acquire", instance, 0, ttl)
}

// RenewLease extends our lease (instance, epoch) by ttl. It returns false,
// and the holder, if the lease is no longer ours.
func (s *Store) RenewLease(ctx context.Context, instance string, epoch int64, ttl time.Duration) (ok bool, holder string, err error) {
	e, holder, err := s.lease(ctx, "renew", instance, epoch, ttl)
	return e != 0, holder, err
}

// ReleaseLease gives our lease up, so that a standby takes over at once.
// Someone else's lease is left alone.
func (s *Store) ReleaseLease(ctx context.Context, instance string, epoch int64) error {
	_, _, err := s.lease(ctx, "release", instance, epoch, 0)
	return err
}

func (s *Store) lease(ctx context.Context, op, instance string, epoch int64, ttl time.Duration) (int64, string, error) {
	if err := checkWorkstation("instance", instance); err != nil {
		return 0, "", err
	}
	keys := []string{s.haKey("lease"), s.haKey("epoch")}
	var c *redis.Cmd
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		c = scriptLease.EvalSha(ctx, p, keys, op, instance, epoch, max(ttl.Milliseconds(), 1))
	})
	if err != nil {
		return 0, "", fmt.Errorf("store: %s lease: %w", op, err)
	}
	res, err := c.Slice()
	if err != nil || len(res) != 2 {
		return 0, "", fmt.Errorf("store: %s lease: bad reply %v: %v", op, res, err)
	}
	e, _ := res[0].(int64)
	holder, _ := res[1].(string)
	return e, holder, nil
}

// RaiseFences raises the fences of every desk (those given and those with
// keys), of every blind source (likewise) and of the heartbeat to the
// store's epoch. A new leader calls it before its first write, so that
// nothing of an earlier leader lands afterwards, on any desk. It returns a
// *FencedError if a later leader has raised them already.
func (s *Store) RaiseFences(ctx context.Context, desks []string, sources []health.Source) error {
	epoch := s.epoch.Load()
	if epoch == 0 {
		return nil
	}
	known, err := s.rdb.SMembers(ctx, s.key("desks")).Result()
	if err != nil {
		return fmt.Errorf("store: raise fences: %w", err)
	}
	srcs, err := s.rdb.SMembers(ctx, s.key("blind:sources")).Result()
	if err != nil {
		return fmt.Errorf("store: raise fences: %w", err)
	}
	keys := []string{s.heartbeatFence()}
	for _, ws := range union(known, desks) {
		keys = append(keys, s.deskFence(ws))
	}
	for _, src := range sources {
		srcs = append(srcs, string(src))
	}
	for _, src := range union(srcs, nil) {
		keys = append(keys, s.blindFence(src))
	}
	err = s.pipelined(ctx, func(p redis.Pipeliner) {
		for _, k := range keys { // one slot each
			scriptFence.EvalSha(ctx, p, []string{k}, epoch)
		}
	})
	if err != nil {
		return fmt.Errorf("store: raise fences: %w", err)
	}
	return nil
}

func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// ClaimApp claims the ARI application name app for instance for ttl, or
// refreshes our claim; an *AppHeldError names the live instance holding it.
func (s *Store) ClaimApp(ctx context.Context, app, instance string, ttl time.Duration) error {
	var c *redis.Cmd
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		c = scriptClaimApp.EvalSha(ctx, p, []string{s.haKey("app:" + app)}, instance, max(ttl.Milliseconds(), 1))
	})
	if err != nil {
		return fmt.Errorf("store: claim ari.app %q: %w", app, err)
	}
	if holder := c.Val(); holder != instance {
		return &AppHeldError{App: app, Holder: fmt.Sprint(holder)}
	}
	return nil
}

// ReleaseApp drops our claim on app (someone else's stays).
func (s *Store) ReleaseApp(ctx context.Context, app, instance string) error {
	k := s.haKey("app:" + app)
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		if cur, err := tx.Get(ctx, k).Result(); err != nil || cur != instance {
			return nil
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error { return p.Del(ctx, k).Err() })
		return err
	}, k)
	if err != nil {
		return fmt.Errorf("store: release ari.app %q: %w", app, err)
	}
	return nil
}

// PeerState is what an instance says of itself with its heartbeat
// (DESIGN.md, 29), so that the lease goes to the one that sees.
type PeerState struct {
	Leading bool `json:"leading"`
	// ARI is the health of its ARI socket: "seeing", "blind" or ""
	// (neither for long enough to count).
	ARI string `json:"ari,omitempty"`
}

// SeePeer notes that instance is alive until now + ttl, in state.
func (s *Store) SeePeer(ctx context.Context, instance string, now time.Time, ttl time.Duration, state PeerState) error {
	raw, _ := json.Marshal(state) // plain fields: cannot fail
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		p.ZAdd(ctx, s.haKey("peers"), redis.Z{Score: float64(now.Add(ttl).UnixMilli()), Member: instance})
		p.ZRemRangeByScore(ctx, s.haKey("peers"), "-inf", "("+strconv.FormatInt(now.UnixMilli(), 10))
		p.Set(ctx, s.haKey("peer:"+instance), raw, max(ttl, time.Millisecond))
	})
	if err != nil {
		return fmt.Errorf("store: see peer: %w", err)
	}
	return nil
}

// Peers returns the instances alive at now, by name.
func (s *Store) Peers(ctx context.Context, now time.Time) ([]string, error) {
	peers, err := s.rdb.ZRangeByScore(ctx, s.haKey("peers"), &redis.ZRangeBy{
		Min: strconv.FormatInt(now.UnixMilli(), 10), Max: "+inf",
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("store: peers: %w", err)
	}
	slices.Sort(peers)
	return peers, nil
}

// PeerStates returns the instances alive at now, by name, with what each
// last said of itself (a zero PeerState if it said nothing).
func (s *Store) PeerStates(ctx context.Context, now time.Time) (map[string]PeerState, error) {
	names, err := s.Peers(ctx, now)
	if err != nil || len(names) == 0 {
		return map[string]PeerState{}, err
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = s.haKey("peer:" + n)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("store: peer states: %w", err)
	}
	out := make(map[string]PeerState, len(names))
	for i, n := range names {
		var st PeerState
		if v, ok := vals[i].(string); ok {
			_ = json.Unmarshal([]byte(v), &st) // another version's record: taken as saying nothing
		}
		out[n] = st
	}
	return out, nil
}
