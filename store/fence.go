package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrFenced is matched (errors.Is) by a *FencedError.
var ErrFenced = errors.New("store: fenced")

// FencedError refuses a write of a former leader: a later leader (Held)
// has written there since. Nothing of the refused command was applied.
type FencedError struct {
	Epoch int64 // the writer's
	Held  int64 // the fence's
}

func (e *FencedError) Error() string {
	return fmt.Sprintf("store: write of epoch %d fenced by epoch %d", e.Epoch, e.Held)
}

// Is makes errors.Is(err, ErrFenced) true.
func (e *FencedError) Is(target error) bool { return target == ErrFenced }

// SetEpoch makes the record writes (transitions, blind intervals,
// heartbeats) carry epoch, the fencing token of the lease this instance
// holds: each script refuses them where a later epoch has written, and
// raises the fence to epoch otherwise. 0 (the default) writes unfenced, for
// a single instance.
func (s *Store) SetEpoch(epoch int64) { s.epoch.Store(epoch) }

// Epoch returns the epoch the writes carry.
func (s *Store) Epoch() int64 { return s.epoch.Load() }

// FencedWrites counts the writes refused by a fence since New.
func (s *Store) FencedWrites() uint64 { return s.fenced.Load() }

// fencedErr turns a script's FENCED reply into a *FencedError, counted.
func (s *Store) fencedErr(err error) error {
	if !redis.HasErrorPrefix(err, "FENCED") {
		return nil
	}
	fe := &FencedError{Epoch: s.epoch.Load()}
	msg := err.Error()
	if i := strings.Index(msg, "FENCED "); i >= 0 {
		f := strings.Fields(msg[i+len("FENCED "):])
		if len(f) > 0 {
			fe.Held, _ = strconv.ParseInt(f[0], 10, 64)
		}
	}
	s.fenced.Add(1)
	return fe
}

// Fence keys sit in the slot of what they guard, so that the scripts can
// check them in a Cluster.

func (s *Store) deskFence(ws string) string { return s.wsKey(ws, "fence") }

func (s *Store) blindFence(src string) string { return s.prefix + "{blind:" + src + "}:fence" }

// heartbeatFence hashes like P:heartbeat, which has no tag of its own: the
// tag {P:heartbeat} is the key's whole name.
func (s *Store) heartbeatFence() string {
	k := s.key("heartbeat")
	if strings.ContainsAny(k, "{}") { // a tagged prefix: the tag decides both
		return k + ":fence"
	}
	return "fence{" + k + "}"
}
