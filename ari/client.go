package ari

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"deskwatch/health"

	"github.com/rs/zerolog"
)

// Options configure a Client. Zero values take the defaults noted.
type Options struct {
	URL        string // ARI base, e.g. http://127.0.0.1:8088/ari (https gives wss)
	Username   string
	Password   string
	App        string // ARI application name; unique per monitor (see ErrReplaced)
	Technology string // default "PJSIP"
	// Endpoints are the configured endpoint ids of Technology, "op122-01" or
	// "PJSIP/op122-01"; those absent from a snapshot are reported KindMissing.
	Endpoints []string
	// AORRefresh: how often the endpoints' AORs are read again for their
	// contacts while connected (they are also read after every snapshot).
	// Default 1 h.
	AORRefresh   time.Duration
	ReconnectMin time.Duration // default 500 ms
	ReconnectMax time.Duration // default 30 s
	// StableAfter: a connection that stayed up this long resets the backoff. Default 30 s.
	StableAfter time.Duration
	// PingInterval: how often to ping Asterisk; a half-open TCP connection
	// otherwise looks healthy for hours. Default 20 s; negative disables.
	PingInterval time.Duration
	Logger       zerolog.Logger
	HTTPClient   *http.Client     // default: 10 s timeout (also bounds the WebSocket handshake)
	Now          func() time.Time // default time.Now; stamps snapshots and Blind
}

// Client follows one Asterisk over ARI. Create it with New, then call Run once.
type Client struct {
	opts       Options
	log        zerolog.Logger
	base       string // URL without credentials or trailing slash
	eventsURL  string // ws(s)://.../events?app=APP, safe to log
	authHeader string // "Basic ..."
	stats      counters

	mu         sync.Mutex      // guards configured and fresh (SetEndpoints)
	configured []string        // Options.Endpoints as "TECH/id"
	fresh      map[string]bool // configured since the session's snapshot: to snapshot alone
	resync     chan struct{}   // wakes the session for fresh endpoints
}

const (
	readLimit = 1 << 20 // one ARI event; the library default (32 KiB) is tight for channel events
	readAhead = 64      // messages held between the socket reader and Run
)

// New checks opts and fills in defaults. Credentials found in URL are moved
// out of it, so that no URL the Client logs or wraps in errors carries them.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(opts.URL, "/"))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password included
		}
		return nil, fmt.Errorf("ari: bad URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("ari: URL must be http(s)://host[:port]/ari, got %q", u.Redacted())
	}
	if u.User != nil {
		if opts.Username == "" {
			opts.Username = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && opts.Password == "" {
			opts.Password = p
		}
		u.User = nil
	}
	if opts.App == "" {
		return nil, errors.New("ari: App is required")
	}
	setDefaults(&opts)
	if opts.ReconnectMin <= 0 || opts.ReconnectMax < opts.ReconnectMin {
		return nil, fmt.Errorf("ari: need 0 < ReconnectMin (%s) <= ReconnectMax (%s)", opts.ReconnectMin, opts.ReconnectMax)
	}

	ws := *u
	ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	ws.Path += "/events"
	ws.RawQuery = "app=" + url.QueryEscape(opts.App)

	c := &Client{
		opts:       opts,
		log:        opts.Logger.With().Str("component", "ari").Str("app", opts.App).Logger(),
		base:       u.String(),
		eventsURL:  ws.String(),
		authHeader: "Basic " + base64.StdEncoding.EncodeToString([]byte(opts.Username+":"+opts.Password)),
		fresh:      map[string]bool{},
		resync:     make(chan struct{}, 1),
	}
	c.configured = c.qualified(opts.Endpoints)
	return c, nil
}

// qualified writes endpoint ids as "TECH/id".
func (c *Client) qualified(ids []string) []string {
	prefix := c.opts.Technology + "/"
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !strings.HasPrefix(id, prefix) {
			id = prefix + id
		}
		out = append(out, id)
	}
	return out
}

func setDefaults(o *Options) {
	if o.Technology == "" {
		o.Technology = "PJSIP"
	}
	if o.ReconnectMin == 0 {
		o.ReconnectMin = 500 * time.Millisecond
	}
	if o.ReconnectMax == 0 {
		o.ReconnectMax = 30 * time.Second
	}
	if o.AORRefresh <= 0 {
		o.AORRefresh = time.Hour
	}
	if o.StableAfter == 0 {
		o.StableAfter = 30 * time.Second
	}
	if o.PingInterval == 0 {
		o.PingInterval = 20 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func (c *Client) now() time.Time { return c.opts.Now().UTC() }

// Run connects, reconnects and sends observations to out until ctx is done,
// then returns nil. Sends block (backpressure): a slow consumer slows the
// reader, it never loses events. Run must not be called twice at once.
func (c *Client) Run(ctx context.Context, out chan<- health.Observation) error {
	bo := newBackoff(c.opts.ReconnectMin, c.opts.ReconnectMax)
	blind := false // Blind already sent for the current outage
	for first := true; ; first = false {
		if !first {
			c.stats.reconnects.Add(1)
		}
		end := c.session(ctx, out)
		if end.sighted {
			blind = false
			c.stats.setConnected(false, end.lostAt)
		}
		if ctx.Err() != nil {
			// Shutting down: the daemon records its own downtime, and the
			// consumer may already be gone, so no Blind here.
			return nil
		}
		c.logLoss(end)
		// A replaced application does not count as stable: two monitors on
		// one name would otherwise steal it from each other at full speed.
		if end.sighted && end.upFor >= c.opts.StableAfter && !errors.Is(end.err, ErrReplaced) {
			bo.reset()
		}
		if !blind {
			o := health.Observation{Source: health.SourceARI, Kind: health.KindBlind, At: end.lostAt, Detail: end.err.Error()}
			if c.emit(ctx, out, o) != nil {
				return nil
			}
			blind = true
		}
		wait := bo.next()
		c.log.Debug().Dur("wait", wait).Msg("ARI reconnect scheduled")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

func (c *Client) logLoss(end sessionEnd) {
	switch {
	case errors.Is(end.err, ErrUnauthorized):
		c.log.Error().Err(end.err).Str("user", c.opts.Username).
			Msg("ARI authentication error: check the ARI user and password (ari.conf)")
	case errors.Is(end.err, ErrReplaced):
		c.log.Error().Err(end.err).
			Msg("another WebSocket took over this ARI application: two monitors must never share an application name; reconnecting")
	default:
		c.log.Warn().Err(end.err).Bool("was_connected", end.sighted).Msg("ARI connection lost; reconnecting")
	}
}

// emit delivers one observation, waiting as long as the consumer needs.
func (c *Client) emit(ctx context.Context, out chan<- health.Observation, o health.Observation) error {
	select {
	case out <- o:
		c.stats.observations.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
