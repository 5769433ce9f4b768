package config

import (
	"strings"
	"testing"
	"time"
)

func TestStateDefaults(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	t.Setenv(StateDirEnv, "")
	c, err := Parse([]byte(yamlLines(ariOK, redisOK, httpOK, wsOK)))
	if err != nil {
		t.Fatal(err)
	}
	if c.StateDir != "/var/lib/deskwatch" || c.SpoolDir() != "/var/lib/deskwatch/spool" {
		t.Errorf("state_dir %q, spool %q", c.StateDir, c.SpoolDir())
	}
	if c.Spool.MaxBytes != 1<<30 || c.ARI.MaxSkew != 2*time.Second {
		t.Errorf("spool.max_bytes %v, ari.max_skew %v", c.Spool.MaxBytes, c.ARI.MaxSkew)
	}
	// The systemd unit names the directory in the environment; the file wins.
	t.Setenv(StateDirEnv, "/var/lib/private/deskwatch")
	if c, err = Parse([]byte(yamlLines(ariOK, redisOK, httpOK, wsOK))); err != nil || c.StateDir != "/var/lib/private/deskwatch" {
		t.Errorf("state_dir from %s: %q, %v", StateDirEnv, c.StateDir, err)
	}
	c, err = Parse([]byte(yamlLines(`ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW, max_skew: 500ms}`,
		redisOK, httpOK, wsOK, "state_dir: /srv/dw", "spool: {max_bytes: 64MiB}")))
	if err != nil {
		t.Fatal(err)
	}
	if c.StateDir != "/srv/dw" || c.Spool.MaxBytes != 64<<20 || c.ARI.MaxSkew != 500*time.Millisecond {
		t.Errorf("explicit: %q, %v, %v", c.StateDir, c.Spool.MaxBytes, c.ARI.MaxSkew)
	}
}

func TestStateErrors(t *testing.T) {
	t.Setenv("DW_TEST_ARI_PW", "x")
	_, err := Parse([]byte(yamlLines(
		`ari: {url: "http://pbx:8088/ari", username: dw, password_env: DW_TEST_ARI_PW, max_skew: -1s}`,
		redisOK, httpOK, wsOK,
		"state_dir: var/lib/deskwatch",
		"spool:",
		"  max_bytes: 512KiB")))
	want := strings.Join([]string{
		`state_dir (line 6): "var/lib/deskwatch" must be an absolute path, e.g. /var/lib/deskwatch`,
		`spool.max_bytes (line 8): 512KiB is less than 1MiB`,
		`ari.max_skew (line 1): -1s must be positive, e.g. 2s`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	_, err = Parse([]byte(yamlLines(ariOK, redisOK, httpOK, wsOK, "spool: {max_bytes: lots}")))
	if want := `spool.max_bytes (line 6): "lots" is not a size: use a whole number of bytes or one with a unit, e.g. 1GiB, 512MiB`; err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{
		"1073741824": 1 << 30, "1GiB": 1 << 30, "512MiB": 512 << 20, "64 KiB": 64 << 10, "1GB": 1e9,
		"500MB": 500e6, "100kB": 1e5, "2TiB": 2 << 40, "7B": 7,
	} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "1.5GiB", "-1MiB", "1 PiB", "99999999999TiB"} {
		if got, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) = %v, want an error", in, got)
		}
	}
	if s := ByteSize(3 << 20).String(); s != "3MiB" {
		t.Errorf("String() = %q", s)
	}
}
