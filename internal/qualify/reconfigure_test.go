package qualify

import (
	"context"
	"testing"

	"github.com/rs/zerolog"
)

// A reload drops the warnings of removed endpoints at once, names moved
// ones by their new desk, and Run checks the new set without waiting for
// its period.
func TestSetEndpointsRechecksAndForgets(t *testing.T) {
	r := aors{"a": {"qualify_frequency": "0"}, "b": {"qualify_frequency": "0"}}
	checked := make(chan struct{}, 16)
	a := New(Options{Reader: r, Endpoints: map[string]string{"PJSIP/a": "d1"}, Logger: zerolog.Nop(),
		Ready: func() bool {
			select {
			case checked <- struct{}{}:
			default:
			}
			return true
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-checked // the first check runs after Ready
	a.SetEndpoints(map[string]string{"PJSIP/b": "d2"})
	if w := a.Warnings(); len(w) != 0 {
		t.Fatalf("a removed endpoint still warns: %v", w)
	}
	for len(a.Warnings()["d2"]) == 0 {
		<-checked // each poll asks Ready before it checks
	}
}
