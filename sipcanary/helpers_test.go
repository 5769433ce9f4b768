package sipcanary

import (
	"os"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// load reads a SIP message recorded from the hotline's Asterisk.
func load(t testing.TB, name string) sip.Message {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sip.ParseMessage(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

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
