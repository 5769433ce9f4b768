// Package httplimit bounds what clients can hold of deskwatch's HTTP
// server: how many connections, in all and from one address (Listener);
// for how long (Timeouts, with per-request write deadlines that spare the
// event stream); and whether those connections fit the file descriptors
// the process may open beside what ARI, SIP and Redis need (Fit).
package httplimit

import (
	"net"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/metrics"
)

// LogEvery is how often at most a refused connection is logged: a flood
// must not turn into a flood of log lines.
const LogEvery = 10 * time.Second

// The caps, as the configuration names them (in logs and labels).
const (
	capTotal  = "max_connections"
	capClient = "max_connections_per_client"
)

// Listener hands out at most total connections at a time, and at most
// perClient from one IP address. A connection over a cap is closed at
// once, before anything is read from it, and counted.
type Listener struct {
	net.Listener
	total, perClient int
	log              zerolog.Logger

	mu       sync.Mutex
	open     int
	byClient map[string]int
	refused  map[string]uint64 // by cap
	lastLog  time.Time
	unlogged int // refusals since the last log line
}

// NewListener caps ln's connections at total in all and perClient per
// client address.
func NewListener(ln net.Listener, total, perClient int, log zerolog.Logger) *Listener {
	return &Listener{Listener: ln, total: total, perClient: perClient, log: log,
		byClient: map[string]int{}, refused: map[string]uint64{capTotal: 0, capClient: 0}}
}

// Accept returns the next connection within the caps; those over a cap are
// closed here and never reach the server.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client := clientOf(c.RemoteAddr())
		if l.admit(client) {
			return &conn{Conn: c, l: l, client: client}, nil
		}
		_ = c.Close()
	}
}

// admit counts a new connection of client in, or refuses it.
func (l *Listener) admit(client string) bool {
	l.mu.Lock()
	var which string
	switch {
	case l.open >= l.total:
		which = capTotal
	case l.byClient[client] >= l.perClient:
		which = capClient
	default:
		l.open++
		l.byClient[client]++
		l.mu.Unlock()
		return true
	}
	l.refused[which]++
	l.unlogged++
	now := time.Now()
	if now.Sub(l.lastLog) < LogEvery {
		l.mu.Unlock()
		return false
	}
	n, open := l.unlogged, l.open
	l.lastLog, l.unlogged = now, 0
	l.mu.Unlock()
	l.log.Warn().Str("cap", which).Str("client", client).Int("open", open).Int("max_connections", l.total).
		Int("max_connections_per_client", l.perClient).Int("refused", n).
		Msgf("HTTP connection cap reached: new connections are closed at once (logged at most every %s)", LogEvery)
	return false
}

func (l *Listener) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byClient[client]--; l.byClient[client] <= 0 {
		delete(l.byClient, client)
	}
}

// Total is the cap on open connections.
func (l *Listener) Total() int { return l.total }

// Metrics are the open connections, the cap and the refusals by cap.
func (l *Listener) Metrics() []metrics.Metric {
	l.mu.Lock()
	open, total, client := l.open, l.refused[capTotal], l.refused[capClient]
	l.mu.Unlock()
	refused := func(which string, v uint64) metrics.Metric {
		return metrics.Metric{Name: "deskwatch_http_connections_refused_total", Help: "HTTP connections closed at once because a cap was reached.",
			Type: "counter", Labels: map[string]string{"cap": which}, Value: float64(v)}
	}
	return []metrics.Metric{
		metrics.Gauge("deskwatch_http_connections", "Open HTTP connections (API and board).", float64(open)),
		metrics.Gauge("deskwatch_http_connections_max", "Cap on open HTTP connections (http.max_connections, or lower to fit RLIMIT_NOFILE).", float64(l.total)),
		refused(capTotal, total),
		refused(capClient, client),
	}
}

// clientOf is the IP address of a remote address (its port varies per
// connection).
func clientOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// conn gives its place back once, however often it is closed.
type conn struct {
	net.Conn
	l      *Listener
	client string
	once   sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.client) })
	return err
}

// CloseWrite keeps net/http's half-close (it looks for the method on the
// connection it was given).
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
