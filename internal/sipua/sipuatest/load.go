// Package sipuatest holds what the SIP packages' tests share: reading a
// message recorded from the hotline's Asterisk.
package sipuatest

import (
	"os"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// Load reads and parses a recorded SIP message (path relative to the
// test's package), failing the test if it cannot.
func Load(t testing.TB, path string) sip.Message {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sip.ParseMessage(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}
