package store

import (
	"slices"
	"testing"

	"github.com/rs/zerolog"
)

// The strings evalApply cuts from shared allocations are those the named
// helpers build.
func TestApplyStrings(t *testing.T) {
	s := New(nil, "dw", zerolog.Nop())
	want := []string{s.wsKey("op1", "state"), s.wsKey("op1", "applied"), s.wsKey("op1", "spans"),
		s.wsKey("op1", "index"), s.wsKey("op1", "outbox"), s.deskFence("op1")}
	if got := s.appendDeskKeys(nil, "op1"); !slices.Equal(got, want) {
		t.Fatalf("keys %q, want %q", got, want)
	}
	const ms = 1796000000123
	if got, want := string(appendSpanID([]byte("x"), "op1", ms)), "x"+spanID("op1", ms, false); got != want {
		t.Fatalf("span ID %q, want %q", got, want)
	}
}
