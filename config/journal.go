package config

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// JournalConfig is the incident journal's hash chain.
type JournalConfig struct {
	// KeyFile holds the key that makes the chain's hashes HMAC-SHA256, so
	// that whoever can write to Redis but cannot read this file cannot
	// forge a chain that verifies. At least MinJournalKey bytes (trailing
	// line breaks not counted); never logged. Empty: plain SHA-256.
	KeyFile string `yaml:"key_file"`
}

// MinJournalKey is the shortest journal key accepted, in bytes (the
// journal's own minimum).
const MinJournalKey = 32

// JournalKey reads journal.key_file: nil when none is configured. The
// error names the file, never the key.
func (c *Config) JournalKey() ([]byte, error) {
	if c.Journal.KeyFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(c.Journal.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("journal.key_file: cannot read the key: %w", err)
	}
	b = bytes.TrimRight(b, "\r\n") // an editor's final newline is not part of the key
	if len(b) < MinJournalKey {
		return nil, fmt.Errorf("journal.key_file: %s holds %d bytes, want at least %d (e.g. head -c 32 /dev/urandom | base64 > FILE)", c.Journal.KeyFile, len(b), MinJournalKey)
	}
	return b, nil
}

func (v *validator) journal() {
	if v.c.Journal.KeyFile == "" {
		return
	}
	if _, err := v.c.JournalKey(); err != nil {
		v.addf("journal.key_file", "%s", strings.TrimPrefix(err.Error(), "journal.key_file: "))
	}
}
