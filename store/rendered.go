package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rendered returns a rendered report file kept by KeepRendered under key;
// false when there is none (never kept, or expired).
func (s *Store) Rendered(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := s.rdb.Get(ctx, s.key("rendered:"+key)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("store: rendered %s: %w", key, err)
	}
	return b, true, nil
}

// KeepRendered keeps a rendered report file under key for ttl. The files
// of submitted versions never change: ttl only bounds Redis's memory.
func (s *Store) KeepRendered(ctx context.Context, key string, b []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.key("rendered:"+key), b, ttl).Err(); err != nil {
		return fmt.Errorf("store: keep rendered %s: %w", key, err)
	}
	return nil
}
