package sipcanary

import (
	"deskwatch/internal/sipua/sipuatest"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// load reads a SIP message recorded from the hotline's Asterisk.
func load(t testing.TB, name string) sip.Message { return sipuatest.Load(t, "testdata/"+name) }

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
