package main

import (
	"fmt"
	"net"
	"net/http"
	"runtime"

	"deskwatch/config"
	"deskwatch/internal/httplimit"

	"github.com/redis/go-redis/v9"
)

// fileLimit reads RLIMIT_NOFILE; a test makes it small.
var fileLimit = httplimit.FileLimit

// fdBase is what the daemon keeps open besides Redis's pool and the SIP
// probes: stdio, the runtime's poller, the listener, ARI's WebSocket and
// REST connections, the alert channels' connections, the spool and slack.
const fdBase = 64

// isEventStream tells the server's timeouts which requests are the event
// stream (see httplimit.Timeouts.Server).
func isEventStream(r *http.Request) bool { return r.URL.Path == "/api/v1/events" }

// limitedServer is the API's server with the configured timeouts.
func limitedServer(h config.HTTPConfig, handler http.Handler) *http.Server {
	t := httplimit.Timeouts{ReadHeader: h.ReadHeaderTimeout, Read: h.ReadTimeout, Write: h.WriteTimeout, Idle: h.IdleTimeout}
	return t.Server(handler, isEventStream)
}

// fdReserve is how many file descriptors the rest of the daemon may need:
// the base, Redis's pool and, with SIP probes, a TCP or TLS connection per
// endpoint at most, the PBX's and the canary's.
func fdReserve(cfg *config.Config, redisPool int) int {
	n := fdBase + redisPool
	if cfg.SIP.Enabled {
		for _, w := range cfg.Workstations {
			n += len(w.Endpoints)
		}
		n += 2
	}
	return n
}

// capConnections caps the API's connections as configured, lowered (with a
// warning) to what RLIMIT_NOFILE leaves beside the reserve; when not even a
// few fit, the daemon does not start: a flood of connections would leave
// ARI, SIP and Redis without sockets, and the monitor blind.
func (d *Daemon) capConnections(ln net.Listener) (net.Listener, error) {
	h := d.cfg.HTTP
	limit, err := fileLimit()
	if err != nil {
		return nil, err
	}
	reserve := fdReserve(d.cfg, redisPoolSize(d.rdb))
	n, lowered, err := httplimit.Fit(limit, h.MaxConnections, reserve)
	if err != nil {
		return nil, fmt.Errorf("http.max_connections: %w", err)
	}
	log := d.logger("http")
	if lowered {
		log.Warn().Uint64("open_files_limit", limit).Int("reserve", reserve).Int("configured", h.MaxConnections).Int("max_connections", n).
			Msg("http.max_connections lowered to fit the open files limit (RLIMIT_NOFILE); raise LimitNOFILE to serve more")
	}
	d.conns = httplimit.NewListener(ln, n, min(h.MaxConnectionsPerClient, n), log)
	d.collectors = append(d.collectors, d.conns)
	log.Info().Int("max_connections", n).Int("max_connections_per_client", min(h.MaxConnectionsPerClient, n)).Uint64("open_files_limit", limit).
		Dur("read_timeout", h.ReadTimeout).Dur("write_timeout", h.WriteTimeout).Dur("idle_timeout", h.IdleTimeout).Msg("HTTP limits")
	return d.conns, nil
}

// redisPoolSize is how many sockets the Redis client may open: a Cluster
// client keeps a pool per node (three masters and their replicas, say six).
func redisPoolSize(rdb redis.UniversalClient) int {
	switch c := rdb.(type) {
	case *redis.Client:
		return c.Options().PoolSize
	case *redis.ClusterClient:
		return 6 * c.Options().PoolSize
	}
	return 10 * runtime.GOMAXPROCS(0) // go-redis's default pool
}
