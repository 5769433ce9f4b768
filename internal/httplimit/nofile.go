package httplimit

import (
	"fmt"
	"math"
	"syscall"
)

// MinConnections is the fewest connections worth serving the API with.
const MinConnections = 16

// FileLimit is the soft RLIMIT_NOFILE: what the process may have open. Go
// raises it to one below the hard limit when a program starts (since Go
// 1.19; on Linux the hard limit is finite), so there is nothing to raise.
func FileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("getrlimit RLIMIT_NOFILE: %w", err)
	}
	return l.Cur, nil
}

// Fit is the cap on connections that leaves reserve of limit file
// descriptors to the rest of the process: want when it fits, else as many
// as fit (lowered), or an error when not even MinConnections do.
func Fit(limit uint64, want, reserve int) (n int, lowered bool, err error) {
	if limit > math.MaxInt32 {
		return want, false, nil // unlimited, or as good as
	}
	room := int(limit) - reserve
	switch {
	case room < MinConnections:
		return 0, false, fmt.Errorf("the open files limit (RLIMIT_NOFILE) is %d: deskwatch keeps %d for ARI, SIP, Redis and the rest and needs room for at least %d HTTP connections; raise it (LimitNOFILE= in the systemd unit, ulimit -n)",
			limit, reserve, MinConnections)
	case want > room:
		return room, true, nil
	}
	return want, false, nil
}
