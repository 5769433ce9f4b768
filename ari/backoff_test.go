package ari

import (
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	const min, max = 100 * time.Millisecond, time.Second
	top := newBackoff(min, max)
	top.rand = func(n int64) int64 { return n - 1 } // always the top of the window
	for i, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		if got := top.next(); got != want*time.Millisecond {
			t.Errorf("attempt %d: %s, want %s", i, got, want*time.Millisecond)
		}
	}
	top.reset()
	if got := top.next(); got != min {
		t.Errorf("after reset: %s", got)
	}

	bottom := newBackoff(min, max)
	bottom.rand = func(int64) int64 { return 0 }
	for range 10 {
		if got := bottom.next(); got != min {
			t.Errorf("bottom of window %s, want %s", got, min)
		}
	}

	real := newBackoff(min, max)
	for range 1000 {
		if got := real.next(); got < min || got > max {
			t.Fatalf("%s outside [%s, %s]", got, min, max)
		}
	}
	huge := newBackoff(time.Nanosecond, time.Duration(1<<62))
	for range 100 {
		if got := huge.next(); got < time.Nanosecond || got > time.Duration(1<<62) {
			t.Fatalf("overflow: %s", got)
		}
	}
}
