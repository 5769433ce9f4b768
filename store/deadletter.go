package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// deadLettersKept bounds the dead letters (and their fingerprints) Redis
// keeps; the daemon's log has every one in full.
const deadLettersKept = 100_000

// DeadLetter is a write the store refused as invalid (a ValidationError),
// set aside so that the writes behind it go on.
type DeadLetter struct {
	ID      string    // stream entry ID (empty when writing)
	At      time.Time // when it was set aside
	Kind    string    // what the write was: transition, open_blind, close_blind, heartbeat
	Content string    // the write itself, in full (JSON)
	Reason  string    // why the store refused it
}

// AddDeadLetter appends d to the dead letters (P:{deadletter}:stream). The
// same kind and content twice is appended once, so a replay after a crash
// does not record it again.
func (s *Store) AddDeadLetter(ctx context.Context, d DeadLetter) error {
	sum := sha256.Sum256([]byte(d.Kind + "\x00" + d.Content))
	keys := []string{s.key("{deadletter}:stream"), s.key("{deadletter}:seen")}
	err := scriptDeadLetter.Run(ctx, s.rdb, keys, hex.EncodeToString(sum[:]), d.At.UnixMilli(),
		d.Kind, d.Content, d.Reason, deadLettersKept).Err()
	if err != nil {
		return fmt.Errorf("store: add dead letter: %w", err)
	}
	return nil
}

// DeadLetters returns the dead letters, oldest first.
func (s *Store) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	msgs, err := s.rdb.XRange(ctx, s.key("{deadletter}:stream"), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("store: dead letters: %w", err)
	}
	out := make([]DeadLetter, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		ms, err := strconv.ParseInt(str("at"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: dead letter %s: bad at %q", m.ID, str("at"))
		}
		out = append(out, DeadLetter{ID: m.ID, At: fromMs(ms), Kind: str("kind"), Content: str("content"), Reason: str("reason")})
	}
	return out, nil
}
