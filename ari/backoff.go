package ari

import (
	"math/rand/v2"
	"time"
)

// backoff is exponential with full jitter: the n-th wait is uniform in
// [min, min(max, min·2ⁿ)], so monitors restarted together do not reconnect
// in lockstep.
type backoff struct {
	min, max time.Duration
	n        int
	rand     func(n int64) int64 // uniform in [0, n); rand.Int64N unless a test sets it
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, rand: rand.Int64N}
}

// next returns the wait before the next attempt and widens the window.
func (b *backoff) next() time.Duration {
	ceil := b.max
	if b.n < 62 && b.min<<b.n > 0 && b.min<<b.n < b.max {
		ceil = b.min << b.n
	}
	if ceil < b.max {
		b.n++
	}
	if ceil <= b.min {
		return b.min
	}
	return b.min + time.Duration(b.rand(int64(ceil-b.min)+1))
}

// reset starts over after a connection that proved stable.
func (b *backoff) reset() { b.n = 0 }
