package sdnotify

import (
	"syscall"
	"time"
	"unsafe"
)

// monotonicNow is CLOCK_MONOTONIC, the clock systemd's MONOTONIC_USEC uses.
func monotonicNow() (time.Duration, error) {
	var ts syscall.Timespec
	const clockMonotonic = 1
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, e
	}
	return time.Duration(ts.Nano()), nil
}
