package config

import (
	"fmt"
	"net/netip"
	"time"
)

// AccessLogConfig is the access_log section: the record of who read
// personal data (152-FZ), kept in Redis under the key prefix.
type AccessLogConfig struct {
	// Retention is how long records are kept; older ones are trimmed by
	// time, never by count. Default a year (8760h).
	Retention time.Duration `yaml:"retention"`
}

const (
	defaultAccessRetention = 8760 * time.Hour
	minAccessRetention     = 24 * time.Hour
)

func (a *AccessLogConfig) setDefaults() {
	if a.Retention == 0 {
		a.Retention = defaultAccessRetention
	}
}

// TrustedProxies are http.trusted_proxies, parsed; only these peers may
// name the client with X-Forwarded-For.
func (c *Config) TrustedProxies() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range c.HTTP.TrustedProxies {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}

// accessLog checks http.trusted_proxies and the access_log section.
func (v *validator) accessLog() {
	for i, s := range v.c.HTTP.TrustedProxies {
		p := fmt.Sprintf("http.trusted_proxies[%d]", i)
		switch pr, err := netip.ParsePrefix(s); {
		case err != nil:
			v.addf(p, "%q is not a CIDR block, e.g. 10.0.0.0/8 or 192.0.2.7/32", s)
		case pr.Bits() == 0:
			v.addf(p, "%q trusts every address: anyone could then name any client", s)
		}
	}
	if r := v.c.AccessLog.Retention; r != 0 && r < minAccessRetention { // 0: the default, in a Config built in Go
		v.addf("access_log.retention", "%s is too short: at least 24h (default 8760h, a year)", r)
	}
}
