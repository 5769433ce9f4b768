package sipcanary

import (
	"context"
	"errors"
	"time"

	"deskwatch/internal/sipua"
)

var errRunTwice = errors.New("sipprobe: canary: Run called twice")

// Run registers, refreshes and retries until ctx ends, then un-registers
// and returns nil.
func (c *Canary) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errRunTwice
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := c.ua.TransportLayer().ServeUDP(c.conn); err != nil {
			c.log.Error().Err(err).Msg("SIP socket stopped")
		}
	}()
	defer func() {
		c.Close()
		<-served
	}()
	if !sipua.WaitServing(ctx, c.ua, c.conn) {
		return nil
	}
	c.log.Info().Str("listen", c.conn.LocalAddr().String()).Int("expires", c.expires).
		Dur("timeout", c.opts.Timeout).Msg("SIP canary registration started")

	failures := 0 // in a row, for the backoff
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			c.unregister(ctx)
			return nil
		case <-timer.C:
		}
		if ctx.Err() != nil { // both were ready
			c.unregister(ctx)
			return nil
		}
		timer.Reset(c.attempt(ctx, &failures))
	}
}

// attempt registers once and says when to try next.
func (c *Canary) attempt(ctx context.Context, failures *int) time.Duration {
	start := c.now()
	c.mu.Lock()
	c.st.lastAttempt = start
	c.mu.Unlock()

	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	r := c.exchange(actx, c.expires)
	if ctx.Err() != nil {
		c.mayBeBound = true // its answer is unknown
		return 0            // shutting down: not the registrar's fault
	}
	if r.err == nil {
		c.mayBeBound = true
		*failures = 0
		return c.succeeded(r)
	}
	*failures++
	backoff := canaryBackoffMin << min(*failures-1, 5)
	backoff = min(backoff, canaryBackoffMax)
	c.failed(r, *failures, backoff)
	return backoff
}

// result is the end of one REGISTER exchange.
type result struct {
	code    int
	reason  string
	granted int       // seconds, on success
	sent    time.Time // the accepted request left (Now)
	err     error     // nil: accepted
}

func (c *Canary) succeeded(r result) time.Duration {
	grant := time.Duration(r.granted) * time.Second
	now := c.now()
	c.mu.Lock()
	renewed := c.st.registered && now.Before(c.st.expiresAt)
	if renewed {
		c.st.refreshes++
	} else {
		c.st.registered, c.st.since = true, now
	}
	c.st.expiresAt = r.sent.Add(grant)
	c.st.lastCode, c.st.lastError = r.code, ""
	c.mu.Unlock()
	refresh := max(grant/2, canaryMinRefresh)
	ev := c.log.Info()
	msg := "SIP canary registered"
	if renewed {
		ev, msg = c.log.Debug(), "SIP canary registration refreshed"
	}
	ev.Int("code", r.code).Int("granted_s", r.granted).Str("contact", c.contact.String()).Dur("refresh_in", refresh).Msg(msg)
	return refresh
}

func (c *Canary) failed(r result, inRow int, retry time.Duration) {
	now := c.now()
	c.mu.Lock()
	was := c.st.registered && now.Before(c.st.expiresAt)
	switch {
	case was || c.st.since.IsZero():
		c.st.since = now
	case c.st.registered: // the grant ran out first (Status said so)
		c.st.since = c.st.expiresAt
	}
	c.st.registered = false
	c.st.failures++
	c.st.lastCode, c.st.lastError = r.code, r.err.Error()
	c.mu.Unlock()
	ev := c.log.Warn()
	if !was && inRow > 1 {
		ev = c.log.Info() // still failing: said already
	}
	ev.Int("code", r.code).Str("error", r.err.Error()).Int("failures_in_row", inRow).Dur("retry_in", retry).
		Bool("was_registered", was).Msg("SIP canary registration failed")
}

// unregister removes the canary's binding (Expires: 0), best effort,
// within 2 s, when Run ends.
func (c *Canary) unregister(parent context.Context) {
	defer func() {
		now := c.now()
		c.mu.Lock()
		if c.st.registered {
			c.st.registered, c.st.since = false, now
		}
		c.mu.Unlock()
	}()
	if !c.mayBeBound || c.contact == nil {
		return // never registered
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), min(canaryUnregisterMax, c.opts.Timeout))
	defer cancel()
	r := c.exchange(ctx, 0)
	if r.err != nil {
		c.log.Warn().Int("code", r.code).Str("error", r.err.Error()).Msg("SIP canary un-registration failed")
		return
	}
	c.log.Info().Int("code", r.code).Msg("SIP canary un-registered")
}
