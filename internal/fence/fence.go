// Package fence is the fencing token's check, shared by the store's record
// scripts and the journal's appends (DESIGN.md, 27 and 29): a key in the
// slot of what it guards holds the highest epoch that wrote there; a
// writer of a lower epoch is refused whole, a higher one raises it.
package fence

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrFenced is matched (errors.Is) by an *Error.
var ErrFenced = errors.New("fenced")

// Error refuses a write of a former leader: a later leader (Held) has
// written there since. Nothing of the refused command was applied.
type Error struct {
	What  string // "store: write", "journal: append"
	Epoch int64  // the writer's
	Held  int64  // the fence's
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s of epoch %d fenced by epoch %d", e.What, e.Epoch, e.Held)
}

// Is makes errors.Is(err, ErrFenced) true.
func (e *Error) Is(target error) bool { return target == ErrFenced }

// Lua defines fence(key, epoch) for a script: it refuses a writer older
// than the one key remembers (error FENCED <held>) and raises key to
// epoch; epoch 0 is unfenced (a single instance).
const Lua = `
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

// FromReply turns a script's FENCED reply into an *Error of a writer of
// epoch; nil for any other error or none.
func FromReply(err error, what string, epoch int64) *Error {
	if err == nil || !redis.HasErrorPrefix(err, "FENCED") {
		return nil
	}
	fe := &Error{What: what, Epoch: epoch}
	msg := err.Error()
	if i := strings.Index(msg, "FENCED "); i >= 0 {
		if f := strings.Fields(msg[i+len("FENCED "):]); len(f) > 0 {
			fe.Held, _ = strconv.ParseInt(f[0], 10, 64)
		}
	}
	return fe
}
