package ari

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"deskwatch/health"

	"github.com/coder/websocket"
)

// sessionEnd says how one connection ended.
type sessionEnd struct {
	err     error
	sighted bool          // Sighted was emitted: the next failure starts a new outage
	upFor   time.Duration // how long it stayed sighted (monotonic clock)
	lostAt  time.Time     // when the connection was found lost (Options.Now)
}

// session runs one connection: dial, subscribe, snapshot, stream. It returns
// only after every goroutine it started has stopped.
func (c *Client) session(ctx context.Context, out chan<- health.Observation) sessionEnd {
	conn, err := c.dial(ctx)
	if err != nil {
		return sessionEnd{err: err, lostAt: c.now()}
	}
	sctx, cancel := context.WithCancel(ctx)
	rd := newReader(conn, c.now, &c.stats.messages)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); rd.run(sctx) }()
	go func() { defer wg.Done(); c.pingLoop(sctx, rd) }()
	defer func() {
		cancel()
		_ = conn.CloseNow()
		wg.Wait()
	}()

	// The application exists from the upgrade on, so subscribing now is safe;
	// events it brings wait in rd.msgs until the snapshot has been emitted.
	if err := c.subscribe(sctx); err != nil {
		return sessionEnd{err: fmt.Errorf("subscribe: %w", err), lostAt: c.now()}
	}
	c.takeFresh() // this snapshot covers every endpoint
	at, n, err := c.snapshot(sctx, out, c.endpointsNow(), true)
	if err != nil {
		return sessionEnd{err: err, lostAt: c.now()}
	}
	// Messages already read when the snapshot was in hand raced it: the
	// core drops those older than the snapshot. Later ones always apply.
	raced := len(rd.msgs)
	if rd.waiting.Load() {
		raced++
	}
	up := time.Now()
	c.stats.setConnected(true, at)
	sighted := health.Observation{Source: health.SourceARI, Kind: health.KindSighted, At: at,
		Detail: fmt.Sprintf("snapshot of %d endpoints", n)}
	if err := c.emit(sctx, out, sighted); err != nil {
		return sessionEnd{err: err, sighted: true, lostAt: c.now()}
	}
	c.log.Info().Str("url", c.eventsURL).Int("endpoints", n).Msg("ARI connected, subscribed and snapshot taken")

	ended := func(err error, lost time.Time) sessionEnd {
		// A socket that died during the snapshot still leaves the snapshot
		// valid: blindness starts after it, never before Sighted.
		if lost.Before(at) {
			lost = at
		}
		return sessionEnd{err: err, sighted: true, upFor: time.Since(up), lostAt: lost}
	}
	// Read here, between events, so that an event naming a newer contact
	// always comes after the AOR's word, never before it.
	if err := c.contacts(sctx, out, c.endpointsNow()); err != nil {
		return ended(err, c.now())
	}
	refresh := time.NewTicker(c.opts.AORRefresh)
	defer refresh.Stop()
	var retry <-chan time.Time // a failed snapshot of fresh endpoints
	for {
		select {
		case m, ok := <-rd.msgs:
			if !ok {
				return ended(rd.err, rd.at)
			}
			err := c.handle(sctx, out, m, raced > 0)
			raced--
			if err != nil {
				return ended(err, c.now())
			}
		case <-refresh.C:
			if err := c.contacts(sctx, out, c.endpointsNow()); err != nil {
				return ended(err, c.now())
			}
		case <-c.resync:
			retry = nil
			n, err := c.resnapshot(sctx, out, rd)
			if sctx.Err() != nil {
				return ended(sctx.Err(), c.now())
			}
			if err != nil {
				c.log.Warn().Err(err).Dur("retry", resyncRetry).Msg("snapshot of reconfigured endpoints failed; the socket stays up")
				retry = time.After(resyncRetry)
			}
			raced = max(raced, n)
		case <-retry:
			retry = nil
			select {
			case c.resync <- struct{}{}:
			default:
			}
		}
	}
}

// resnapshot takes a snapshot of the fresh endpoints alone and reads their
// AORs, between two events. It returns how many messages raced it (read
// while it was in flight: the core drops those older than the snapshot).
// On failure the endpoints stay fresh.
func (c *Client) resnapshot(ctx context.Context, out chan<- health.Observation, rd *reader) (int, error) {
	ids := c.takeFresh()
	if len(ids) == 0 {
		return 0, nil
	}
	if _, _, err := c.snapshot(ctx, out, ids, false); err != nil {
		c.keepFresh(ids)
		return 0, err
	}
	raced := len(rd.msgs)
	if rd.waiting.Load() {
		raced++
	}
	c.log.Info().Int("endpoints", len(ids)).Msg("reconfigured endpoints snapshotted; the socket stayed up")
	return raced, c.contacts(ctx, out, ids)
}

func (c *Client) dial(ctx context.Context) (*websocket.Conn, error) {
	conn, resp, err := websocket.Dial(ctx, c.eventsURL, &websocket.DialOptions{
		HTTPClient: c.opts.HTTPClient,
		HTTPHeader: http.Header{"Authorization": {c.authHeader}},
	})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("events WebSocket: %w", ErrUnauthorized)
		}
		return nil, fmt.Errorf("events WebSocket %s: %w", c.eventsURL, err)
	}
	conn.SetReadLimit(readLimit)
	return conn, nil
}

// snapshot emits the technology's endpoint states stamped with the time the
// request was sent (the state is at least that fresh), then Missing for
// the endpoints of ids the PBX does not list. With all it emits every
// endpoint listed, else only those of ids. It returns that time and the
// number of endpoints listed.
func (c *Client) snapshot(ctx context.Context, out chan<- health.Observation, ids []string, all bool) (time.Time, int, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	at := c.now()
	eps, err := c.endpoints(ctx)
	if err != nil {
		return at, 0, fmt.Errorf("snapshot: %w", err)
	}
	seen := make(map[string]bool, len(eps))
	for _, ep := range eps {
		id, err := endpointID(ep)
		if err != nil {
			c.stats.malformed.Add(1)
			c.log.Warn().Err(err).Msg("snapshot entry skipped")
			continue
		}
		if !all && !want[id] {
			continue
		}
		seen[id] = true
		kind, ok := endpointKinds[ep.State]
		if !ok {
			c.stats.unknownStatuses.Add(1)
			c.log.Warn().Str("endpoint", id).Str("state", ep.State).Msg("snapshot: unknown endpoint state, skipped")
			continue
		}
		o := health.Observation{Endpoint: id, Source: health.SourceARI, Kind: kind, At: at,
			Detail: "snapshot " + ep.State, Snapshot: true}
		if err := c.emit(ctx, out, o); err != nil {
			return at, 0, err
		}
	}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		o := health.Observation{Endpoint: id, Source: health.SourceARI, Kind: health.KindMissing, At: at,
			Detail: "absent from GET /endpoints/" + c.opts.Technology, Snapshot: true}
		if err := c.emit(ctx, out, o); err != nil {
			return at, 0, err
		}
	}
	return at, len(eps), nil
}

// handle translates and emits one message, each observation with the time
// it was read (the monitor checks the PBX's timestamp against it). Only
// ErrReplaced and a cancelled ctx end the session; everything else is
// counted and skipped.
func (c *Client) handle(ctx context.Context, out chan<- health.Observation, m message, raced bool) error {
	raw := m.data
	obs, err := Translate(raw)
	switch {
	case err == nil:
	case errors.Is(err, ErrReplaced):
		return err
	case errors.Is(err, ErrUnknownType):
		c.stats.unknownTypes.Add(1)
		c.log.Debug().Err(err).Msg("ARI event skipped")
	case errors.Is(err, ErrUnknownStatus):
		c.stats.unknownStatuses.Add(1)
		c.log.Warn().Err(err).Msg("ARI event skipped")
	default:
		c.stats.malformed.Add(1)
		c.log.Warn().Err(err).Str("raw", truncate(raw, 300)).Msg("ARI message skipped")
	}
	for _, o := range obs {
		o.Raced, o.Received = raced, m.at
		if err := c.emit(ctx, out, o); err != nil {
			return err
		}
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
