package monitor

import (
	"cmp"
	"errors"
	"slices"
	"sync"
	"time"

	"deskwatch/internal/spool"
)

// Warning codes, as /healthz shows them.
const (
	// WarnSpoolFull: the spool takes no more decisions (its bound is
	// reached, or writing fails); they wait in memory and a crash would
	// lose them. Clears when the spool takes them.
	WarnSpoolFull = "spool_full"
	// WarnSpoolError: an fsync or a read of the spool failed in the last
	// hour.
	WarnSpoolError = "spool_error"
	// WarnClockSkew: an ARI event in the last hour was dated more than
	// MaxSkew from its receipt (the PBX's clock is off) and was dated by
	// its receipt instead.
	WarnClockSkew = "ari_clock_skew"
	// WarnDeadLetters: a write Redis refused as invalid was set aside in
	// the dead letters in the last 24 hours.
	WarnDeadLetters = "store_dead_letters"
)

// How long a warning of a past event stays.
const (
	skewWarnFor  = time.Hour
	spoolWarnFor = time.Hour
	deadWarnFor  = 24 * time.Hour
)

// Warning is a condition that needs a person: what, since when, how many
// times, and the last occurrence in words.
type Warning struct {
	Code   string    `json:"code"`
	Since  time.Time `json:"since"`
	Last   time.Time `json:"last"`
	Count  int64     `json:"count"`
	Detail string    `json:"detail"`
}

// status keeps the conditions behind the warnings; the loop writes it,
// anyone reads it.
type status struct {
	mu         sync.Mutex
	now        func() time.Time
	spoolFull  Warning // Count: decisions in memory only; zero Since: none
	spoolError Warning
	skew       Warning
	dead       Warning
}

// note records one occurrence of w's condition.
func (s *status) note(w *Warning, code, detail string) {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.Since.IsZero() {
		w.Since = now
	}
	w.Code, w.Last, w.Detail = code, now, detail
	w.Count++
}

// spoolRefused records that the spool refused a decision; true if that
// starts an episode.
func (s *status) spoolRefused(err error) bool {
	now := s.now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	first := s.spoolFull.Since.IsZero()
	if first {
		s.spoolFull = Warning{Code: WarnSpoolFull, Since: now}
	}
	s.spoolFull.Last, s.spoolFull.Detail = now, "the spool's bound (spool.max_bytes) is reached"
	if !errors.Is(err, spool.ErrFull) {
		s.spoolFull.Detail = err.Error()
	}
	return first
}

// spoolOK ends an episode of refusals; true if one was going on.
func (s *status) spoolOK() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := !s.spoolFull.Since.IsZero()
	s.spoolFull = Warning{}
	return was
}

// unspooledState returns how many decisions wait in memory only, and
// whether the spool refuses them.
func (s *status) unspooledState() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spoolFull.Count, !s.spoolFull.Since.IsZero()
}

func (s *status) setUnspooled(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.spoolFull.Since.IsZero() {
		s.spoolFull.Count = int64(n)
	}
}

func (s *status) spoolFailed(err error) { s.note(&s.spoolError, WarnSpoolError, err.Error()) }

// warnings returns the current ones, by code.
func (s *status) warnings() []Warning {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Warning
	if !s.spoolFull.Since.IsZero() {
		out = append(out, s.spoolFull)
	}
	for _, w := range []struct {
		w    Warning
		keep time.Duration
	}{{s.spoolError, spoolWarnFor}, {s.skew, skewWarnFor}, {s.dead, deadWarnFor}} {
		if !w.w.Last.IsZero() && now.Sub(w.w.Last) < w.keep {
			out = append(out, w.w)
		}
	}
	slices.SortFunc(out, func(a, b Warning) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

// Warnings returns the conditions /healthz should show, by code (see the
// Warn constants); safe from any goroutine.
func (m *Monitor) Warnings() []Warning { return m.status.warnings() }
