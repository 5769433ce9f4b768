package ari

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats are the Client's counters since New.
type Stats struct {
	Messages        uint64 // WebSocket messages read
	Observations    uint64 // observations delivered to out
	Malformed       uint64 // messages rejected with ErrMalformed
	UnknownTypes    uint64 // messages skipped with ErrUnknownType
	UnknownStatuses uint64 // events and snapshot entries with a status outside the known set
	Reconnects      uint64 // connection attempts after the first
	Connected       bool   // subscribed and snapshot taken, socket still up
	LastConnect     time.Time
	LastDisconnect  time.Time
}

// counters are updated by the Run goroutines and read by anyone.
type counters struct {
	messages, observations, malformed, unknownTypes, unknownStatuses, reconnects atomic.Uint64

	mu             sync.Mutex
	connected      bool
	lastConnect    time.Time
	lastDisconnect time.Time
}

func (c *counters) setConnected(up bool, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connected = up
	if up {
		c.lastConnect = at
	} else {
		c.lastDisconnect = at
	}
}

// Stats returns a consistent copy of the counters.
func (c *Client) Stats() Stats {
	s := &c.stats
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		Messages:        s.messages.Load(),
		Observations:    s.observations.Load(),
		Malformed:       s.malformed.Load(),
		UnknownTypes:    s.unknownTypes.Load(),
		UnknownStatuses: s.unknownStatuses.Load(),
		Reconnects:      s.reconnects.Load(),
		Connected:       s.connected,
		LastConnect:     s.lastConnect,
		LastDisconnect:  s.lastDisconnect,
	}
}

// Connected reports whether the Client currently sees the PBX, and since when
// it has (or since when it has not; zero if it never connected).
func (c *Client) Connected() (bool, time.Time) {
	s := &c.stats
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.connected {
		return true, s.lastConnect
	}
	return false, s.lastDisconnect
}
