package journal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
)

// Defaults of Options.
const (
	DefaultSettle      = 10 * time.Second
	DefaultMargin      = 5 * time.Minute
	DefaultRescanEvery = 10 * time.Minute
	DefaultLookback    = 110 * 24 * time.Hour // a quarter and the 15 days to its report
	DefaultEvery       = 5 * time.Second
	DefaultSystem      = "deskwatch"
)

// Options configure a Journal. Location is required; zero values of the
// others mean their defaults.
type Options struct {
	// Prefix of every key (a ":" is added if missing), as for the store.
	Prefix string
	// Location is the zone whose calendar year numbers the entries
	// (Asia/Irkutsk: config.Config.Location()).
	Location *time.Location
	// Workstations give each desk's hotlines, copied into the journal when
	// a desk's span joins an entry.
	Workstations []health.Workstation

	// Window: spans of one cause starting less than Window after an
	// incident's first span join it (DefaultWindow).
	Window time.Duration
	// Settle: Ingest leaves a new detected span alone until it is Settle
	// old, so that spans reported slightly out of order are grouped as
	// Group would (DefaultSettle; negative: group at once).
	Settle time.Duration

	// Follow reads spans overlapping [checkpoint - Margin, now)
	// (DefaultMargin), and every RescanEvery those overlapping
	// [now - Lookback, now), to catch late spans, exclusions and manual
	// entries far back (DefaultRescanEvery, DefaultLookback; negative
	// RescanEvery: never).
	Margin      time.Duration
	RescanEvery time.Duration
	Lookback    time.Duration

	// System is the By and Actor of the records deskwatch makes itself
	// (DefaultSystem).
	System string
	// Key, if set (at least MinKeyBytes), makes the records' hashes
	// HMAC-SHA256 with it instead of SHA-256, so that whoever can write to
	// Redis but lacks the key cannot forge a chain that verifies. Keep it
	// out of Redis (journal.key_file).
	Key []byte
	// Clock gives now for Follow and for notes without At (time.Now).
	Clock func() time.Time
	// Maintenance, if set, gives the planned maintenance windows: each
	// span record then lists those that applied to the span by its time
	// (the payload's "planned"), so the chain itself says which outages
	// were planned.
	Maintenance MaintenanceSource
}

// MaintenanceSource gives the planned maintenance windows (*store.Store).
type MaintenanceSource interface {
	Maintenances(ctx context.Context) ([]health.Maintenance, error)
}

// Journal is the журнал учета работы АРМ kept as a hash chain in Redis. It
// is safe for concurrent use; appends from other processes sharing the keys
// are detected by the chain head and planned again.
type Journal struct {
	rdb    redis.UniversalClient
	prefix string
	log    zerolog.Logger

	loc         *time.Location
	hotlines    atomic.Pointer[map[string][]string] // desk → its hotlines, sorted; SetWorkstations replaces it
	window      time.Duration
	settle      time.Duration
	margin      time.Duration
	rescanEvery time.Duration
	lookback    time.Duration
	system      string
	clock       func() time.Time
	hmacKey     []byte // nil: records are plain SHA-256
	keyID       string
	maint       MaintenanceSource // nil: span records carry no planned marking
	macs        sync.Pool         // of hash.Hash: HMAC-SHA256 with hmacKey

	epoch  atomic.Int64  // the system's appends' fencing token (fence.go)
	fenced atomic.Uint64 // appends refused by the fence

	mu      sync.Mutex        // serializes this process's appends
	illegal map[string]string // span -> the change last logged as not journaled (under mu)
	keyed   bool              // the chain is known to end keyed (under mu)
}

// New returns a Journal keeping its records in rdb.
func New(rdb redis.UniversalClient, opts Options, log zerolog.Logger) (*Journal, error) {
	if rdb == nil {
		return nil, errors.New("journal: nil Redis client")
	}
	if opts.Location == nil {
		return nil, &ValidationError{"Location", "nil: give the zone that numbers the entries by year"}
	}
	if len(opts.Key) > 0 && len(opts.Key) < MinKeyBytes {
		return nil, &ValidationError{"Key", fmt.Sprintf("%d bytes: want at least %d", len(opts.Key), MinKeyBytes)}
	}
	prefix := opts.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, ":") {
		prefix += ":"
	}
	j := &Journal{
		rdb:         rdb,
		prefix:      prefix,
		log:         log,
		loc:         opts.Location,
		window:      opts.Window,
		settle:      orDefault(opts.Settle, DefaultSettle),
		margin:      orDefault(opts.Margin, DefaultMargin),
		rescanEvery: orDefault(opts.RescanEvery, DefaultRescanEvery),
		lookback:    orDefault(opts.Lookback, DefaultLookback),
		system:      opts.System,
		clock:       opts.Clock,
		maint:       opts.Maintenance,
		illegal:     map[string]string{},
	}
	if len(opts.Key) > 0 {
		j.hmacKey = slices.Clone(opts.Key)
		j.keyID = keyID(j.hmacKey)
	}
	j.margin = max(j.margin, j.settle) // spans left to settle are read again
	if j.window <= 0 {
		j.window = DefaultWindow
	}
	if j.system == "" {
		j.system = DefaultSystem
	}
	if j.clock == nil {
		j.clock = time.Now
	}
	j.SetWorkstations(opts.Workstations)
	return j, nil
}

func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// now is the journal's clock, to the millisecond.
func (j *Journal) now() time.Time { return truncMs(j.clock()) }
