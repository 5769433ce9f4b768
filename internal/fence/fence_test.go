package fence

import (
	"errors"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

// replyErr is an error reply as go-redis returns it (a redis.Error).
type replyErr string

func (e replyErr) Error() string { return string(e) }
func (replyErr) RedisError()     {}

var _ redis.Error = replyErr("")

func TestFromReply(t *testing.T) {
	for _, c := range []struct {
		err  error
		held int64
		ok   bool
	}{
		{replyErr("FENCED 7"), 7, true},
		{fmt.Errorf("pipeline: %w", replyErr("FENCED 12")), 12, true},
		{replyErr("FENCED"), 0, true}, // held unreadable: still a refusal
		{replyErr("ERR wrong number of arguments"), 0, false},
		{errors.New("FENCED 3, but not from Redis"), 0, false},
		{nil, 0, false},
	} {
		fe := FromReply(c.err, "store: write", 5)
		if (fe != nil) != c.ok {
			t.Errorf("FromReply(%v) = %v, want fenced %v", c.err, fe, c.ok)
			continue
		}
		if fe == nil {
			continue
		}
		if fe.Held != c.held || fe.Epoch != 5 || !errors.Is(fe, ErrFenced) {
			t.Errorf("FromReply(%v) = %+v", c.err, fe)
		}
		if want := fmt.Sprintf("store: write of epoch 5 fenced by epoch %d", c.held); fe.Error() != want {
			t.Errorf("message %q, want %q", fe.Error(), want)
		}
	}
}
