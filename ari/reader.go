package ari

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// reader moves WebSocket messages into msgs. It keeps reading while Run takes
// the snapshot (so control frames are answered) and blocks, never drops, when
// Run falls behind.
type reader struct {
	conn *websocket.Conn
	now  func() time.Time
	msgs chan message   // closed when reading stops
	read *atomic.Uint64 // the client's count of messages read off the socket

	// Valid once msgs is closed.
	err error
	at  time.Time

	stalls  atomic.Uint64 // times the reader had to wait for Run
	waiting atomic.Bool   // waiting for Run right now: pongs go unread
	reason  atomic.Pointer[error]
}

// message is one WebSocket message and when it was read, by our clock:
// what an event's own timestamp is checked against.
type message struct {
	data []byte
	at   time.Time
}

func newReader(conn *websocket.Conn, now func() time.Time, read *atomic.Uint64) *reader {
	return &reader{conn: conn, now: now, msgs: make(chan message, readAhead), read: read}
}

func (r *reader) run(ctx context.Context) {
	defer close(r.msgs)
	for {
		_, data, err := r.conn.Read(ctx)
		if err != nil {
			r.stop(err)
			return
		}
		r.read.Add(1)
		m := message{data: data, at: r.now()}
		select {
		case r.msgs <- m:
			continue
		default:
		}
		r.stalls.Add(1)
		r.waiting.Store(true)
		select {
		case r.msgs <- m:
			r.waiting.Store(false)
		case <-ctx.Done():
			r.stop(ctx.Err())
			return
		}
	}
}

func (r *reader) stop(err error) {
	if reason := r.reason.Load(); reason != nil {
		err = *reason // the connection was closed on purpose: say why
	}
	r.err, r.at = err, r.now()
}

// abort closes the connection, recording why for r.err.
func (r *reader) abort(reason error) {
	r.reason.CompareAndSwap(nil, &reason)
	_ = r.conn.CloseNow()
}

// pingLoop finds a dead peer: Asterisk answers pings, and a silent socket
// (no phone changed state) proves nothing. A ping that failed while the
// reader was waiting for Run proves nothing either: the pong was not read.
func (c *Client) pingLoop(ctx context.Context, r *reader) {
	if c.opts.PingInterval <= 0 {
		return
	}
	t := time.NewTicker(c.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if r.waiting.Load() {
			continue
		}
		stalls := r.stalls.Load()
		pctx, cancel := context.WithTimeout(ctx, c.opts.PingInterval)
		err := r.conn.Ping(pctx)
		cancel()
		if err == nil || ctx.Err() != nil || r.waiting.Load() || r.stalls.Load() != stalls {
			continue
		}
		r.abort(fmt.Errorf("no pong within %s: %w", c.opts.PingInterval, err))
		return
	}
}
