package journal

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The journal's appends are fenced as the store's record writes are
// (DESIGN.md, 29): with several instances only the leader's follower
// appends, and a former leader, paused while another took over, must not
// append late. P:{journal}:fence, in the chain's own slot, holds the
// highest epoch that appended; an append of a lower epoch is refused whole.

// ErrFenced is matched (errors.Is) by a *FencedError.
var ErrFenced = errors.New("journal: fenced")

// FencedError refuses an append of a former leader: a later leader (Held)
// has raised the journal's fence. Nothing of the refused call was written.
type FencedError struct {
	Epoch int64 // the writer's
	Held  int64 // the fence's
}

func (e *FencedError) Error() string {
	return fmt.Sprintf("journal: append of epoch %d fenced by epoch %d", e.Epoch, e.Held)
}

// Is makes errors.Is(err, ErrFenced) true.
func (e *FencedError) Is(target error) bool { return target == ErrFenced }

// fenceLua refuses a writer older than the one key remembers (error
// FENCED <held>) and raises key to epoch; epoch 0 is unfenced.
const fenceLua = `
local function fence(key, epoch)
  epoch = tonumber(epoch)
  if epoch == 0 then
    return
  end
  local held = tonumber(redis.call('GET', key) or '0')
  if held > epoch then
    error({err = 'FENCED ' .. string.format('%d', held)})
  end
  if held < epoch then
    redis.call('SET', key, string.format('%d', epoch))
  end
end
`

var scriptRaiseFence = redis.NewScript(fenceLua + `
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
	if err == nil || !redis.HasErrorPrefix(err, "FENCED") {
		return nil
	}
	fe := &FencedError{Epoch: epoch}
	msg := err.Error()
	if i := strings.Index(msg, "FENCED "); i >= 0 {
		if f := strings.Fields(msg[i+len("FENCED "):]); len(f) > 0 {
			fe.Held, _ = strconv.ParseInt(f[0], 10, 64)
		}
	}
	j.fenced.Add(1)
	return fe
}
