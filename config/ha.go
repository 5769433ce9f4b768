package config

import (
	"os"
	"regexp"
	"time"

	"github.com/rs/zerolog"
)

const defaultLease = 5 * time.Second

var instanceName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// HAConfig runs several instances, each observing with its own ari.app and
// SIP probes, of which the holder of a Redis lease writes (DESIGN.md, 27).
type HAConfig struct {
	Enabled  bool          `yaml:"enabled"`
	Instance string        `yaml:"instance"` // default: the host name
	Lease    time.Duration `yaml:"lease"`    // default 5s
}

func (h *HAConfig) setDefaults() {
	if !h.Enabled {
		return
	}
	if h.Instance == "" {
		h.Instance, _ = os.Hostname() // left empty on failure: validation says so
	}
	if h.Lease == 0 {
		h.Lease = defaultLease
	}
}

func (v *validator) ha() {
	h := v.c.HA
	if !h.Enabled {
		return
	}
	if !instanceName.MatchString(h.Instance) {
		v.addf("ha.instance", "%q: want 1-128 characters of A-Z a-z 0-9 . _ - (default: the host name)", h.Instance)
	}
	if h.Lease < time.Second || h.Lease > time.Minute {
		v.addf("ha.lease", "%s: want 1s to 1m (a standby takes over within it)", h.Lease)
	}
}

func (h HAConfig) log(e *zerolog.Event) {
	if h.Enabled {
		e.Str("ha_instance", h.Instance).Dur("ha_lease", h.Lease)
	}
}
