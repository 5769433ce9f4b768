package store

import (
	"deskwatch/internal/fence"
	"strings"
)

// ErrFenced is matched (errors.Is) by a *FencedError (and by the
// journal's: both say a later leader wrote).
var ErrFenced = fence.ErrFenced

// FencedError refuses a write of a former leader: a later leader (Held)
// has written there since. Nothing of the refused command was applied.
type FencedError = fence.Error

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
	fe := fence.FromReply(err, "store: write", s.epoch.Load())
	if fe == nil {
		return nil
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
