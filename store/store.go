package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/spanindex"
)

const dedupWindow = 64 // transitions remembered per workstation for idempotency

// MaxBatchPerDesk is the most transitions of one desk an Apply batch may
// hold and still be retried safely after a partial write: a retry must
// find every transition it repeats among the remembered ones.
const MaxBatchPerDesk = dedupWindow

var (
	// ErrNotFound is returned when a span does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a manual span with the same ID but other
	// fields already exists.
	ErrConflict = errors.New("store: conflict")
)

// ValidationError reports an argument the store refuses. Nothing was
// written.
type ValidationError struct {
	Field   string
	Problem string
}

func (e *ValidationError) Error() string {
	return "store: invalid " + e.Field + ": " + e.Problem
}

// CurrentState is a workstation's state as of its last transition.
type CurrentState struct {
	State  health.State
	Since  time.Time
	Cause  health.Cause
	Source health.Source
	Span   string // ID of the open span, if any
}

// SpanQuery selects spans overlapping [From, To). A zero From means from the
// beginning, a zero To means without end.
type SpanQuery struct {
	From, To     time.Time
	Workstations []string // empty: all
	Open         *bool    // nil: open and closed; else only open (true) or closed (false)
}

// Audit actions.
const (
	ActionManual  = "manual"
	ActionExclude = "exclude"
	ActionRevoke  = "revoke"
)

// AuditRecord is one entry of the append-only audit trail.
type AuditRecord struct {
	ID     string // "<workstation>/<stream entry ID>"
	At     time.Time
	By     string // who, as they gave it
	Actor  string // the authenticated caller; empty in records made before it was kept
	Action string // ActionManual, ActionExclude or ActionRevoke
	SpanID string
	Detail json.RawMessage // JSON: the manual span, or {exclusion, previous}, or {revoked}
}

// Store keeps spans, states, blind intervals and the audit trail in Redis.
// It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	log    zerolog.Logger

	mu sync.Mutex // serializes index writers and guards copied
	// copied holds, per workstation, outbox entries the global index has;
	// the workstation's next script call removes them from the outbox.
	copied map[string][]string

	// cluster: a script's keys must share a slot, so Apply calls its
	// script per desk and copies the global index through the outboxes.
	cluster bool

	epoch  atomic.Int64  // fencing token the record writes carry (fence.go)
	fenced atomic.Uint64 // writes refused by a fence
}

// New returns a Store keeping everything under prefix (a ":" is added if
// missing; an empty prefix is allowed).
func New(rdb redis.UniversalClient, prefix string, log zerolog.Logger) *Store {
	if prefix != "" && !strings.HasSuffix(prefix, ":") {
		prefix += ":"
	}
	_, cluster := rdb.(*redis.ClusterClient)
	return &Store{
		rdb:     rdb,
		cluster: cluster,
		prefix:  prefix,
		log:     log,
		copied:  make(map[string][]string),
	}
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Heartbeat records that the daemon was running at at. A heartbeat older
// than the recorded one changes nothing, so replaying old ones is harmless.
func (s *Store) Heartbeat(ctx context.Context, at time.Time) error {
	if err := checkTime("at", at); err != nil {
		return err
	}
	keys := []string{s.key("heartbeat"), s.heartbeatFence()}
	err := s.pipelined(ctx, func(p redis.Pipeliner) { scriptHeartbeat.EvalSha(ctx, p, keys, at.UnixMilli(), s.epoch.Load()) })
	if err != nil {
		return fmt.Errorf("store: heartbeat: %w", err)
	}
	return nil
}

// LastHeartbeat returns the last recorded heartbeat, or zero if none.
func (s *Store) LastHeartbeat(ctx context.Context) (time.Time, error) {
	ms, err := s.rdb.Get(ctx, s.key("heartbeat")).Int64()
	switch {
	case errors.Is(err, redis.Nil):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("store: last heartbeat: %w", err)
	}
	return fromMs(ms), nil
}

// Keys.

func (s *Store) key(name string) string { return s.prefix + name }

func (s *Store) wsKey(ws, name string) string { return s.prefix + "{ws:" + ws + "}:" + name }

func (s *Store) blindKey(src health.Source, name string) string {
	return s.prefix + "{blind:" + string(src) + "}:" + name
}

// pipelined runs the commands fill queues in one round trip. If a script
// was missing from the server's cache (NOSCRIPT, e.g. after a restart) it
// loads the scripts and runs the pipeline once more: every script is
// idempotent, so commands that did run are safe to repeat. fill must reset
// whatever it captures. It returns the first error other than redis.Nil.
func (s *Store) pipelined(ctx context.Context, fill func(p redis.Pipeliner)) error {
	for attempt := 0; ; attempt++ {
		cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { fill(p); return nil })
		if attempt == 0 && anyNoScript(cmds) {
			if err := s.loadScripts(ctx); err != nil {
				return err
			}
			continue
		}
		for _, c := range cmds {
			if fe := s.fencedErr(c.Err()); fe != nil {
				return fe
			}
		}
		for _, c := range cmds {
			if e := c.Err(); e != nil && !errors.Is(e, redis.Nil) {
				return e
			}
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		return nil
	}
}

func anyNoScript(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			return true
		}
	}
	return false
}

// Time and identifiers.

func fromMs(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

const idTime = "20060102T150405.000Z"

// spanID is "<workstation>-<UTC start>", with an "m" before the time for
// manual spans: op122-01-20261127T160500.212Z, op122-01-m20261127T160500.212Z.
func spanID(ws string, startMs int64, manual bool) string {
	m := ""
	if manual {
		m = "m"
	}
	return ws + "-" + m + fromMs(startMs).Format(idTime)
}

// workstationOf parses a span ID back into its workstation.
func workstationOf(id string) (string, bool) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return "", false
	}
	ws, stamp := id[:i], strings.TrimPrefix(id[i+1:], "m")
	if _, err := time.Parse(idTime, stamp); err != nil || !validToken(ws) {
		return "", false
	}
	return ws, true
}

// Validation.

func validToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

func checkWorkstation(field, ws string) error {
	if !validToken(ws) {
		return &ValidationError{field, fmt.Sprintf("%q: want 1-128 characters of A-Z a-z 0-9 . _ -", ws)}
	}
	return nil
}

func checkSource(field string, src health.Source) error {
	if !validToken(string(src)) {
		return &ValidationError{field, fmt.Sprintf("%q: want 1-128 characters of A-Z a-z 0-9 . _ -", src)}
	}
	return nil
}

func checkTime(field string, t time.Time) error {
	if t.IsZero() {
		return &ValidationError{field, "zero time"}
	}
	if m := t.UnixMilli(); m < 0 || m >= spanindex.Shift { // the index holds no other times
		return &ValidationError{field, t.UTC().Format(time.RFC3339) + " is outside 1970..2109"}
	}
	return nil
}

func checkBy(by string) error {
	if strings.TrimSpace(by) == "" {
		return &ValidationError{"by", "empty: say who made the change"}
	}
	return nil
}

// bounds turns a [from, to) query into index milliseconds; zero means open.
func bounds(from, to time.Time) (lo, hi int64, err error) {
	lo, hi = 0, spanindex.Shift
	if !from.IsZero() {
		if err := checkTime("from", from); err != nil {
			return 0, 0, err
		}
		lo = from.UnixMilli()
	}
	if !to.IsZero() {
		if err := checkTime("to", to); err != nil {
			return 0, 0, err
		}
		hi = to.UnixMilli()
	}
	if hi < lo {
		return 0, 0, &ValidationError{"to", "before from"}
	}
	return lo, hi, nil
}

// overlaps reports whether [start, end) overlaps [lo, hi); end < 0 means
// open. A zero-length interval counts as the instant start; an empty range
// overlaps nothing.
func overlaps(start, end, lo, hi int64) bool {
	if start >= hi || lo >= hi {
		return false
	}
	if end < 0 {
		return true
	}
	if end == start {
		return start >= lo
	}
	return end > lo
}
