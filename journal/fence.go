package journal

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"deskwatch/internal/fence"
)

// The journal's appends are fenced as the store's record writes are
// (DESIGN.md, 29): with several instances only the leader's follower
// appends, and a former leader, paused while another took over, must not
// append late. P:{journal}:fence, in the chain's own slot, holds the
// highest epoch that appended; an append of a lower epoch is refused whole.

// ErrFenced is matched (errors.Is) by a *FencedError (and by the store's:
// both say a later leader wrote).
var ErrFenced = fence.ErrFenced

// FencedError refuses an append of a former leader: a later leader (Held)
// has raised the journal's fence. Nothing of the refused call was written.
type FencedError = fence.Error

var scriptRaiseFence = redis.NewScript(fence.Lua + `
fence(KEYS[1], ARGV[1])
return 1
`)

// SetEpoch makes the system's appends (Ingest, so Follow's) carry epoch,
// the fencing token of the lease this instance holds. 0, the default,
// appends unfenced, for a single instance. A person's records (notes,
// manual spans, exclusions, maintenance) are never fenced: whichever
// instance took the request records it, the chain head keeping the order.
func (j *Journal) SetEpoch(epoch int64) { j.epoch.Store(epoch) }

// RaiseFence raises the journal's fence to epoch, so that no append of an
// earlier epoch lands from now on. A new leader calls it before its
// follower runs; it returns a *FencedError if a later leader has raised it.
func (j *Journal) RaiseFence(ctx context.Context, epoch int64) error {
	if epoch == 0 {
		return nil
	}
	err := scriptRaiseFence.Run(ctx, j.rdb, []string{j.fenceKey()}, epoch).Err()
	if fe := j.fencedErr(err, epoch); fe != nil {
		return fe
	}
	if err != nil {
		return fmt.Errorf("journal: raise fence: %w", err)
	}
	return nil
}

// FencedAppends counts the appends refused by the fence since New.
func (j *Journal) FencedAppends() uint64 { return j.fenced.Load() }

// fencedErr turns a FENCED reply into a *FencedError, counted; nil for
// any other error.
func (j *Journal) fencedErr(err error, epoch int64) error {
	fe := fence.FromReply(err, "journal: append", epoch)
	if fe == nil {
		return nil
	}
	j.fenced.Add(1)
	return fe
}
