package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"deskwatch/health"
	"deskwatch/journal"
	"deskwatch/store"
)

// MaintenanceStore keeps the planned maintenance windows (*store.Store).
type MaintenanceStore interface {
	DeclareMaintenance(ctx context.Context, m health.Maintenance) (health.Maintenance, error)
	Maintenances(ctx context.Context) ([]health.Maintenance, error)
	MaintenanceByID(ctx context.Context, id string) (health.Maintenance, error)
	EndMaintenance(ctx context.Context, id, by string, at time.Time) (health.Maintenance, error)
	CancelMaintenance(ctx context.Context, id, by string, at time.Time) (health.Maintenance, error)
}

// MaintenanceCache holds the windows for the questions asked every second
// (alerts, the board): refreshed at most every maintTTL, and at once after
// a change made through a Service using it. A daemon shares one between
// the services its reloads build, so that a board still rendering with an
// older one sees a window declared through the newer one.
type MaintenanceCache struct {
	mu   sync.Mutex
	at   time.Time
	list []health.Maintenance
}

const maintTTL = 15 * time.Second

var errNoMaintenance = &Error{Kind: ErrUnavailable, Code: "no_maintenance", RU: "плановые работы не ведутся", EN: "no maintenance windows are kept"}

// DeclaredMaintenance is a window as a supervisor declares it.
type DeclaredMaintenance struct {
	All          bool
	Workstations []string
	Hotlines     []string
	From, To     time.Time
	Reason       string
	Counts       *bool  // nil: counts (the standard's letter)
	Category     string // required when it does not count
	By           string // who declares it, as they wrote
	Actor        string // who declares it, authenticated (the API token's name)
}

// DeclareMaintenance stores a window declared ahead: it may not begin more
// than a minute ago (a window declared after the fact would excuse outages
// already seen), and one that does not count needs a category and a reason.
func (s *Service) DeclareMaintenance(ctx context.Context, d DeclaredMaintenance) (health.Maintenance, error) {
	ms := s.maintStore()
	if ms == nil {
		return health.Maintenance{}, errNoMaintenance
	}
	now := s.now()
	m := health.Maintenance{All: d.All, Workstations: d.Workstations, Hotlines: d.Hotlines, From: d.From.UTC(), To: d.To.UTC(),
		Reason: strings.TrimSpace(d.Reason), Counts: d.Counts == nil || *d.Counts, By: strings.TrimSpace(d.By), CreatedAt: now}
	if !m.Counts {
		m.Category = d.Category
	}
	if err := s.checkMaintenance(m, now); err != nil {
		return health.Maintenance{}, err
	}
	m, err := ms.DeclareMaintenance(ctx, m)
	if err != nil {
		return health.Maintenance{}, classify(err)
	}
	s.maintChanged()
	s.journalMaintenance(ctx, m, journal.MaintenanceDeclare, m.By, d.Actor, now)
	return m, nil
}

func (s *Service) checkMaintenance(m health.Maintenance, now time.Time) *Error {
	cats := strings.Join(health.ExclusionCategories, ", ")
	switch {
	case !m.All && len(m.Workstations) == 0 && len(m.Hotlines) == 0:
		return Invalid("bad_scope", "укажите рабочие места (workstations), линии (hotlines) или all", "give workstations, hotlines or all")
	case m.From.IsZero() || m.To.IsZero() || !m.To.After(m.From):
		return Invalid("bad_range", "to должно быть позже from", "to must be after from")
	case m.From.Before(now.Add(-time.Minute)):
		return Invalid("past", "плановые работы объявляются заранее: from не может быть в прошлом", "maintenance is declared ahead: from cannot be in the past")
	case m.Reason == "" || len(m.Reason) > maxReason:
		return Invalid("bad_reason", "укажите причину (reason), не длиннее 2000 символов", "reason is required, at most 2000 characters")
	case m.By == "" || len(m.By) > maxBy:
		return Invalid("bad_by", "поле by пусто или длиннее 200 символов", "by is empty or longer than 200 characters")
	case !m.Counts && !slices.Contains(health.ExclusionCategories, m.Category):
		return Invalid("bad_category", fmt.Sprintf("работы, не учитываемые в расчёте, требуют категорию исключения: %s", cats),
			fmt.Sprintf("maintenance that does not count needs an exclusion category: %s", cats))
	}
	for _, id := range m.Workstations {
		if _, ok := s.byID[id]; !ok {
			return unknownDesk(id)
		}
	}
	for _, h := range m.Hotlines {
		if _, ok := s.hotlines[h]; !ok {
			return Invalid("unknown_hotline", fmt.Sprintf("неизвестная линия %q", h), fmt.Sprintf("unknown hotline %q", h))
		}
	}
	return nil
}

// Maintenances lists the windows whose declared time overlaps [from, to),
// cancelled ones included (the record keeps them), newest first.
func (s *Service) Maintenances(ctx context.Context, from, to time.Time) ([]health.Maintenance, error) {
	ms := s.maintStore()
	if ms == nil {
		return nil, errNoMaintenance
	}
	all, err := ms.Maintenances(ctx)
	if err != nil {
		return nil, classify(err)
	}
	out := slices.DeleteFunc(all, func(m health.Maintenance) bool { return !m.To.After(from) || !m.From.Before(to) })
	slices.Reverse(out)
	return out, nil
}

// Maintenance is one window by id.
func (s *Service) Maintenance(ctx context.Context, id string) (health.Maintenance, error) {
	ms := s.maintStore()
	if ms == nil {
		return health.Maintenance{}, errNoMaintenance
	}
	m, err := ms.MaintenanceByID(ctx, id)
	return m, maintError(err)
}

// EndMaintenance ends a running window now; by as the person wrote, actor
// authenticated.
func (s *Service) EndMaintenance(ctx context.Context, id, by, actor string) (health.Maintenance, error) {
	return s.changeMaintenance(ctx, id, by, actor, journal.MaintenanceEnd, MaintenanceStore.EndMaintenance)
}

// CancelMaintenance voids a window that has not begun.
func (s *Service) CancelMaintenance(ctx context.Context, id, by, actor string) (health.Maintenance, error) {
	return s.changeMaintenance(ctx, id, by, actor, journal.MaintenanceCancel, MaintenanceStore.CancelMaintenance)
}

func (s *Service) changeMaintenance(ctx context.Context, id, by, actor, action string,
	change func(MaintenanceStore, context.Context, string, string, time.Time) (health.Maintenance, error)) (health.Maintenance, error) {
	ms := s.maintStore()
	if ms == nil {
		return health.Maintenance{}, errNoMaintenance
	}
	if by = strings.TrimSpace(by); by == "" || len(by) > maxBy {
		return health.Maintenance{}, Invalid("bad_by", "поле by пусто или длиннее 200 символов", "by is empty or longer than 200 characters")
	}
	now := s.now()
	m, err := change(ms, ctx, id, by, now)
	if err != nil {
		return m, maintError(err)
	}
	s.maintChanged()
	s.journalMaintenance(ctx, m, action, by, actor, now)
	return m, nil
}

func maintError(err error) error {
	if errors.Is(err, store.ErrMaintenanceState) {
		return conflict("maintenance_state", "плановые работы уже закончены или отменены; отменить можно только до начала, досрочно закончить — только идущие",
			"the window is over or cancelled; cancel one before it begins, end one that is running")
	}
	return classify(err)
}

// Planned is the id of a window holding for the desk at t ("" when none),
// from the cache.
func (s *Service) Planned(desk string, t time.Time) string {
	w, ok := s.byID[desk]
	if !ok {
		return ""
	}
	for _, m := range s.cachedMaintenance() {
		if m.Active(w, t) {
			return m.ID
		}
	}
	return ""
}

// PlannedIn gives, for each span, the windows it overlaps (none: absent).
func (s *Service) PlannedIn(ctx context.Context, spans []health.Span) (map[string][]string, error) {
	ms := s.maintStore()
	if ms == nil || len(spans) == 0 {
		return nil, nil
	}
	all, err := ms.Maintenances(ctx)
	if err != nil {
		return nil, classify(err)
	}
	out := map[string][]string{}
	for _, sp := range spans {
		for _, m := range all {
			if m.Overlaps(s.byID[sp.Workstation], s.sofar(sp.Interval())) {
				out[sp.ID] = append(out[sp.ID], m.ID)
			}
		}
	}
	return out, nil
}

// journalMaintenance appends the window's change to the journal's chain
// too; the store's audit already holds it, so a journal that is not told
// is logged, and the use case stands.
func (s *Service) journalMaintenance(ctx context.Context, m health.Maintenance, action, by, actor string, at time.Time) {
	jm, ok := s.journal.(interface {
		RecordMaintenance(ctx context.Context, m health.Maintenance, action, by, actor string, at time.Time) error
	})
	if !ok {
		return
	}
	if err := jm.RecordMaintenance(ctx, m, action, by, actor, at); err != nil {
		s.log.Warn().Err(err).Str("maintenance", m.ID).Str("action", action).Msg("maintenance not recorded in the journal")
	}
}

func (s *Service) maintStore() MaintenanceStore {
	ms, _ := s.store.(MaintenanceStore)
	return ms
}

func (s *Service) maintChanged() {
	s.maint.mu.Lock()
	s.maint.at = time.Time{}
	s.maint.mu.Unlock()
	if s.onMaint != nil {
		s.onMaint()
	}
}

// NextMaintenanceChange is the first start or end of a window (from the
// cache) after t; false when none is ahead.
func (s *Service) NextMaintenanceChange(t time.Time) (time.Time, bool) {
	var next time.Time
	for _, m := range s.cachedMaintenance() {
		iv, ok := m.Window()
		if !ok {
			continue
		}
		for _, b := range []time.Time{iv.Start, iv.End} {
			if b.After(t) && (next.IsZero() || b.Before(next)) {
				next = b
			}
		}
	}
	return next, !next.IsZero()
}

// cachedMaintenance reads the windows at most every maintTTL; on a Redis
// error it keeps what it had (alerts stay quiet as planned before).
func (s *Service) cachedMaintenance() []health.Maintenance {
	ms := s.maintStore()
	if ms == nil {
		return nil
	}
	s.maint.mu.Lock()
	defer s.maint.mu.Unlock()
	if now := s.clock(); s.maint.at.IsZero() || now.Sub(s.maint.at) >= maintTTL {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if list, err := ms.Maintenances(ctx); err == nil {
			s.maint.list, s.maint.at = list, now
		}
	}
	return s.maint.list
}

// maintenanceOf lists the windows overlapping p, for the figures.
func (s *Service) maintenanceOf(ctx context.Context, p health.Interval) ([]health.Maintenance, error) {
	ms := s.maintStore()
	if ms == nil {
		return nil, nil
	}
	all, err := ms.Maintenances(ctx)
	if err != nil {
		return nil, classify(err)
	}
	return slices.DeleteFunc(all, func(m health.Maintenance) bool {
		iv, ok := m.Window()
		return !ok || !iv.End.After(p.Start) || !iv.Start.Before(p.End)
	}), nil
}
