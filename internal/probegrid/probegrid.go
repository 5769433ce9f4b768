// Package probegrid spreads periodic probes of many targets over their
// interval: each target has a fixed phase, so its probes leave at the
// absolute instants phase + k·interval, never all on one tick, and a target
// keeps its slot across restarts. Shared by sipprobe and hostprobe.
package probegrid

import (
	"hash/fnv"
	"time"
)

// Phase is the target's fixed offset inside its interval: FNV-1a of its key.
func Phase(key string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(key))
	return time.Duration(h.Sum64() % uint64(interval))
}

// SlotAfter returns the first instant strictly after now that lies on the
// target's grid {phase + k·interval} (absolute Unix time).
func SlotAfter(now time.Time, phase, interval time.Duration) time.Time {
	n := now.UnixNano() - int64(phase)
	k := n / int64(interval)
	if n < 0 && n%int64(interval) != 0 {
		k-- // floor division
	}
	return time.Unix(0, (k+1)*int64(interval)+int64(phase))
}
