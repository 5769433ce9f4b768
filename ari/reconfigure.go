package ari

import (
	"slices"
	"time"
)

// resyncRetry is the wait before a failed snapshot of fresh endpoints is
// tried again (the socket stays up meanwhile).
const resyncRetry = 5 * time.Second

// SetEndpoints replaces the configured endpoints while Run runs (a
// configuration reload), ids as for Options.Endpoints. The socket stays
// up: while connected, the session takes a snapshot of the fresh ones
// alone (new endpoints, and those of desks whose endpoints changed) and
// reads their AORs between two events, so the monitor decides them
// without a reconnect and without blind time; the other endpoints keep
// their evidence. While disconnected, the next connect snapshots them all.
func (c *Client) SetEndpoints(all, fresh []string) {
	c.mu.Lock()
	c.configured = c.qualified(all)
	for _, id := range c.qualified(fresh) {
		if slices.Contains(c.configured, id) {
			c.fresh[id] = true
		}
	}
	c.mu.Unlock()
	select {
	case c.resync <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// endpointsNow returns a copy of the configured endpoints.
func (c *Client) endpointsNow() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.configured)
}

// takeFresh returns and forgets the endpoints waiting for a snapshot of
// their own, in configuration order.
func (c *Client) takeFresh() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range c.configured {
		if c.fresh[id] {
			out = append(out, id)
		}
	}
	clear(c.fresh)
	return out
}

// keepFresh puts back endpoints whose snapshot failed.
func (c *Client) keepFresh(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.fresh[id] = true
	}
}
