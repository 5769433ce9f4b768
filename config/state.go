package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults of the local state.
const (
	defaultStateDir = "/var/lib/deskwatch"
	// StateDirEnv names the directory when the file does not: the systemd
	// unit sets it to its StateDirectory.
	StateDirEnv          = "DESKWATCH_STATE_DIR"
	defaultSpoolMaxBytes = ByteSize(1 << 30)
	minSpoolMaxBytes     = ByteSize(1 << 20)
	defaultMaxSkew       = 2 * time.Second
)

// SpoolConfig bounds the spool: the decisions waiting on disk for Redis.
type SpoolConfig struct {
	MaxBytes ByteSize `yaml:"max_bytes"` // default 1GiB, at least 1MiB
}

// SpoolDir is where the spool lives: state_dir/spool.
func (c *Config) SpoolDir() string { return filepath.Join(c.stateDir(), "spool") }

// stateDir is state_dir, else $DESKWATCH_STATE_DIR, else /var/lib/deskwatch.
func (c *Config) stateDir() string {
	if c.StateDir != "" {
		return c.StateDir
	}
	if d := os.Getenv(StateDirEnv); d != "" {
		return d
	}
	return defaultStateDir
}

// ByteSize is a size in bytes, written as a whole number with an optional
// unit: 1073741824, 1GiB, 512MiB, 64KiB, 1GB (10^9), 500MB, 100kB.
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{ // longest suffixes first
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// ParseByteSize reads a ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size: use a whole number of bytes or one with a unit, e.g. 1GiB, 512MiB", s)
	}
	return ByteSize(n * mult), nil
}

// String writes the size with the largest binary unit that divides it.
func (b ByteSize) String() string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.mult == 0 {
			return strconv.FormatInt(int64(b)/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

func (c *Config) stateDefaults() {
	c.StateDir = c.stateDir()
	if c.Spool.MaxBytes == 0 {
		c.Spool.MaxBytes = defaultSpoolMaxBytes
	}
	if c.ARI.MaxSkew == 0 {
		c.ARI.MaxSkew = defaultMaxSkew
	}
}

// state checks state_dir, spool and ari.max_skew; zero values are the
// defaults. The directory itself is the daemon's to create: config check
// runs where it may not exist yet.
func (v *validator) state() {
	if d := v.c.StateDir; d != "" && !filepath.IsAbs(d) {
		v.addf("state_dir", "%q must be an absolute path, e.g. %s", d, defaultStateDir)
	}
	if m := v.c.Spool.MaxBytes; m != 0 && m < minSpoolMaxBytes {
		v.addf("spool.max_bytes", "%s is less than %s", m, minSpoolMaxBytes)
	}
	if s := v.c.ARI.MaxSkew; s < 0 {
		v.addf("ari.max_skew", "%s must be positive, e.g. 2s", s)
	}
}
