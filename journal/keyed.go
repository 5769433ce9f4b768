package journal

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// errSkip: appendOne's check found nothing to append.
var errSkip = errors.New("journal: nothing to append")

// markKeyed makes the chain end keyed once the journal has a key: if the
// last record is not keyed with it, it appends a chain_keyed record. A
// check with the key then refuses a chain that ends unkeyed, which is what
// rewriting it without the key leaves (doc.go, "Keyed chains"). Follow
// calls it before its passes until it succeeds.
func (j *Journal) markKeyed(ctx context.Context) error {
	if j.hmacKey == nil {
		return nil
	}
	j.mu.Lock()
	done := j.keyed
	j.mu.Unlock()
	if done {
		return nil
	}
	alg := algHMAC + j.keyID
	err := j.appendOne(ctx, j.now(), func(ctx context.Context, h head) error {
		if h.seq == 0 {
			return errSkip // the first record will be keyed
		}
		last, err := j.rdb.HGet(ctx, j.recordKey(h.seq), fAlg).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("read the last record: %w", err)
		}
		if last == alg {
			return errSkip
		}
		return nil
	}, newRecord{KindChainKeyed, "", j.system, j.system, keyedPayload{Alg: alg}})
	if err != nil {
		return fmt.Errorf("journal: mark the chain keyed: %w", err)
	}
	j.mu.Lock()
	j.keyed = true
	j.mu.Unlock()
	return nil
}
