package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/metrics"
)

// Persistence states, the values of the deskwatch_redis_persistent gauge.
const (
	PersistenceUnknown = -1 // CONFIG refused (renamed, ACL, managed Redis) or not checked yet
	NotPersistent      = 0  // appendonly no and save "": a Redis restart loses the record
	Persistent         = 1  // AOF or RDB snapshots on every master
)

// WarningNotPersistent is the /healthz warning while a master keeps nothing on disk.
const WarningNotPersistent = "redis_not_persistent"

// PersistenceOptions configure a PersistenceCheck.
type PersistenceOptions struct {
	Every time.Duration // between checks; default 1 h
	Retry time.Duration // after a check that could not reach Redis; default 1 min
}

// PersistenceCheck reads whether Redis keeps the record on disk (CONFIG GET
// appendonly and save) on every master of a Cluster, on the current master
// behind Sentinel, or on the one server, and reports it in /healthz and the
// metrics. A server that refuses CONFIG is "unknown", logged once.
type PersistenceCheck struct {
	rdb redis.UniversalClient
	log zerolog.Logger
	opt PersistenceOptions

	mu     sync.Mutex
	state  int
	detail string // the masters at fault, or why unknown
	at     time.Time
}

// NewPersistenceCheck returns a check in the unknown state; call Run.
func NewPersistenceCheck(rdb redis.UniversalClient, log zerolog.Logger, opt PersistenceOptions) *PersistenceCheck {
	if opt.Every <= 0 {
		opt.Every = time.Hour
	}
	if opt.Retry <= 0 {
		opt.Retry = time.Minute
	}
	return &PersistenceCheck{rdb: rdb, log: log, opt: opt, state: PersistenceUnknown}
}

// Run checks now and then every Every until ctx ends; a check that could
// not reach Redis is repeated after Retry.
func (p *PersistenceCheck) Run(ctx context.Context) {
	for {
		wait := p.opt.Every
		if _, reached := p.Check(ctx); !reached {
			wait = p.opt.Retry
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// nodeResult is one master's answer.
type nodeResult struct {
	addr    string
	state   int
	detail  string
	reached bool
}

// Check checks once and returns the state and whether Redis answered.
func (p *PersistenceCheck) Check(ctx context.Context) (state int, reached bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var results []nodeResult
	if c, ok := p.rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		err := c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			r := checkNode(ctx, node)
			r.addr = node.Options().Addr
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
			return nil
		})
		if err != nil { // the cluster's layout could not be read
			results = append(results, nodeResult{addr: "cluster", state: PersistenceUnknown, detail: err.Error()})
		}
	} else {
		results = append(results, checkNode(ctx, p.rdb))
	}
	state, detail, reached := combine(results)
	p.set(state, detail)
	return state, reached
}

// checkNode reads one server's settings. A Redis error reply (unknown
// command, NOPERM) means CONFIG is not allowed; any other error, that the
// server was not reached.
func checkNode(ctx context.Context, c redis.Cmdable) nodeResult {
	r := nodeResult{state: PersistenceUnknown, reached: true}
	aof, err := c.ConfigGet(ctx, "appendonly").Result()
	var save map[string]string
	if err == nil { // one parameter per call: Redis 6 takes no more
		save, err = c.ConfigGet(ctx, "save").Result()
	}
	var rerr redis.Error
	switch {
	case errors.As(err, &rerr):
		r.detail = "CONFIG GET refused: " + err.Error()
	case err != nil:
		r.detail, r.reached = err.Error(), false
	default:
		a, okA := aof["appendonly"]
		s, okS := save["save"]
		switch {
		case !okA || !okS:
			r.detail = "CONFIG GET answered without appendonly or save"
		case a == "yes" || strings.TrimSpace(s) != "":
			r.state = Persistent
		default:
			r.state, r.detail = NotPersistent, `appendonly no, save ""`
		}
	}
	return r
}

// combine: one master keeping nothing makes the record not persistent;
// otherwise one unknown makes it unknown.
func combine(rs []nodeResult) (state int, detail string, reached bool) {
	slices.SortFunc(rs, func(a, b nodeResult) int { return strings.Compare(a.addr, b.addr) })
	reached = true
	for _, r := range rs {
		reached = reached && r.reached
	}
	for _, want := range []int{NotPersistent, PersistenceUnknown} {
		var notes []string
		for _, r := range rs {
			if r.state == want && r.addr != "" {
				notes = append(notes, r.addr+": "+r.detail)
			} else if r.state == want {
				notes = append(notes, r.detail)
			}
		}
		if len(notes) > 0 {
			return want, strings.Join(notes, "; "), reached
		}
	}
	return Persistent, "", reached
}

func (p *PersistenceCheck) set(state int, detail string) {
	p.mu.Lock()
	changed := state != p.state || p.at.IsZero()
	p.state, p.detail, p.at = state, detail, time.Now()
	p.mu.Unlock()
	if !changed {
		return // checked every hour: log changes only
	}
	switch state {
	case NotPersistent:
		p.log.Warn().Str("detail", detail).Msg("redis keeps nothing on disk: a restart of redis loses the record; set appendonly yes (see README)")
	case PersistenceUnknown:
		p.log.Info().Str("detail", detail).Msg("redis persistence unknown: its settings cannot be read")
	default:
		p.log.Info().Msg("redis keeps the record on disk")
	}
}

// State is the last check's result (PersistenceUnknown before the first).
func (p *PersistenceCheck) State() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Warnings is [WarningNotPersistent] while a master keeps nothing on disk.
func (p *PersistenceCheck) Warnings() []string {
	if p.State() == NotPersistent {
		return []string{WarningNotPersistent}
	}
	return nil
}

// PersistenceStatus is the check's part of /healthz.
type PersistenceStatus struct {
	State     string    `json:"state"` // persistent | not_persistent | unknown
	Detail    string    `json:"detail,omitempty"`
	Warnings  []string  `json:"warnings,omitempty"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
}

// Status is the last check for /healthz.
func (p *PersistenceCheck) Status() PersistenceStatus {
	p.mu.Lock()
	st := PersistenceStatus{State: "unknown", Detail: p.detail, CheckedAt: p.at.UTC()}
	switch p.state {
	case Persistent:
		st.State = "persistent"
	case NotPersistent:
		st.State = "not_persistent"
	}
	p.mu.Unlock()
	st.Warnings = p.Warnings()
	return st
}

// Metrics implements metrics.Collector.
func (p *PersistenceCheck) Metrics() []metrics.Metric {
	return []metrics.Metric{metrics.Gauge("deskwatch_redis_persistent",
		"1 when every Redis master keeps the record on disk (AOF or RDB), 0 when one keeps nothing, -1 unknown (CONFIG refused or not checked yet).",
		float64(p.State()))}
}

var _ metrics.Collector = (*PersistenceCheck)(nil)
