package config

import (
	"cmp"
	"time"
)

// Defaults of the HTTP server's limits: an anonymous client on the LAN may
// hold a connection for at most these, and only so many connections.
const (
	DefaultReadHeaderTimeout  = 10 * time.Second
	DefaultReadTimeout        = 60 * time.Second
	DefaultWriteTimeout       = 120 * time.Second
	DefaultIdleTimeout        = 90 * time.Second // beyond nginx's 60 s upstream keepalive: the proxy closes first
	DefaultMaxConnections     = 512
	DefaultMaxConnsPerClient  = 64
	minHTTPTimeout            = time.Second
	maxHTTPConnectionsAllowed = 1 << 20
)

func (h *HTTPConfig) setDefaults() {
	h.ReadTimeout = cmp.Or(h.ReadTimeout, DefaultReadTimeout)
	h.ReadHeaderTimeout = cmp.Or(h.ReadHeaderTimeout, min(DefaultReadHeaderTimeout, h.ReadTimeout)) // a short read_timeout shortens it
	h.WriteTimeout = cmp.Or(h.WriteTimeout, DefaultWriteTimeout)
	h.IdleTimeout = cmp.Or(h.IdleTimeout, DefaultIdleTimeout)
	h.MaxConnections = cmp.Or(h.MaxConnections, DefaultMaxConnections)
	h.MaxConnectionsPerClient = cmp.Or(h.MaxConnectionsPerClient, DefaultMaxConnsPerClient)
}

// httpLimits checks the limits as they will apply (a zero is the default,
// so a Config built in code needs none of them).
func (v *validator) httpLimits() {
	h := v.c.HTTP
	h.setDefaults()
	for _, t := range []struct {
		key string
		d   time.Duration
	}{{"read_header_timeout", h.ReadHeaderTimeout}, {"read_timeout", h.ReadTimeout}, {"write_timeout", h.WriteTimeout}, {"idle_timeout", h.IdleTimeout}} {
		if t.d < minHTTPTimeout {
			v.addf("http."+t.key, "%s is below the minimum of %s", t.d, minHTTPTimeout)
		}
	}
	if h.ReadHeaderTimeout > h.ReadTimeout {
		v.addf("http.read_header_timeout", "%s is longer than http.read_timeout (%s), which covers the headers too", h.ReadHeaderTimeout, h.ReadTimeout)
	}
	capOK := h.MaxConnections >= 1 && h.MaxConnections <= maxHTTPConnectionsAllowed
	if !capOK {
		v.addf("http.max_connections", "%d must be from 1 to %d", h.MaxConnections, maxHTTPConnectionsAllowed)
	}
	if h.MaxConnectionsPerClient < 1 || (capOK && h.MaxConnectionsPerClient > h.MaxConnections) {
		v.addf("http.max_connections_per_client", "%d must be from 1 to http.max_connections (%d)", h.MaxConnectionsPerClient, h.MaxConnections)
	}
}
