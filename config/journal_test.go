package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestJournalKeyFile(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "secret-ari")
	dir := t.TempDir()
	good := filepath.Join(dir, "journal.key")
	secret := "0123456789abcdef0123456789abcdef-key"
	if err := os.WriteFile(good, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, []byte("tiny-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := yamlLines(ariOK, redisOK, httpOK, wsOK)

	c, err := Parse([]byte(base + "journal:\n  key_file: " + good + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if key, err := c.JournalKey(); err != nil || string(key) != secret {
		t.Fatalf("key %q %v", key, err)
	}
	var logged bytes.Buffer
	log := zerolog.New(&logged)
	log.Info().EmbedObject(c).Send()
	if strings.Contains(logged.String(), secret) || !strings.Contains(logged.String(), `"journal_key":"file `+good+`"`) {
		t.Errorf("logged %s", logged.String())
	}
	if c, _ := Parse([]byte(base)); c.Journal.KeyFile != "" {
		t.Error("a key without journal.key_file")
	} else if key, err := c.JournalKey(); key != nil || err != nil {
		t.Errorf("no key file: %q %v", key, err)
	}

	for name, tt := range map[string]struct{ file, want string }{
		"missing": {filepath.Join(dir, "nope"), "journal.key_file (line 7): cannot read the key: open " + filepath.Join(dir, "nope") + ": no such file or directory"},
		"short":   {short, "journal.key_file (line 7): " + short + " holds 11 bytes, want at least 32 (e.g. head -c 32 /dev/urandom | base64 > FILE)"},
		"a dir":   {dir, "journal.key_file (line 7): cannot read the key: read " + dir + ": is a directory"},
	} {
		_, err := Parse([]byte(base + "journal:\n  key_file: " + tt.file + "\n"))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error\n%v\nwant\n%s", name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "tiny-secret") {
			t.Errorf("%s: the error shows the key", name)
		}
	}
	if _, err := Parse([]byte(base + "journal:\n  key: x\n")); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("unknown key: %v", err)
	}
}
