package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
)

// Maintenance audit actions (MaintenanceAudit).
const (
	ActionMaintenanceDeclare = "maintenance_declare"
	ActionMaintenanceEnd     = "maintenance_end"
	ActionMaintenanceCancel  = "maintenance_cancel"
)

// ErrMaintenanceState: the window cannot be ended or cancelled as it stands
// (already ended or cancelled, not yet begun, or already over).
var ErrMaintenanceState = errors.New("store: maintenance window state")

// Maintenance windows live in one Cluster slot ({maint}): a hash of the
// windows by id and an append-only audit stream, written together.
func (s *Store) maintKey(name string) string { return s.prefix + "{maint}:" + name }

// DeclareMaintenance stores a new window with a fresh id ("mw-" and a
// sequence number) and appends its declaration to the audit stream.
func (s *Store) DeclareMaintenance(ctx context.Context, m health.Maintenance) (health.Maintenance, error) {
	if err := checkBy(m.By); err != nil {
		return m, err
	}
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"From", m.From}, {"To", m.To}, {"CreatedAt", m.CreatedAt}} {
		if err := checkTime(f.name, f.t); err != nil {
			return m, err
		}
	}
	if !m.To.After(m.From) {
		return m, &ValidationError{"To", "not after From"}
	}
	n, err := s.rdb.Incr(ctx, s.maintKey("seq")).Result()
	if err != nil {
		return m, fmt.Errorf("store: declare maintenance: %w", err)
	}
	m.ID = "mw-" + strconv.FormatInt(n, 10)
	m.EndedAt, m.EndedBy, m.CancelledAt, m.CancelledBy = time.Time{}, "", time.Time{}, ""
	raw, err := json.Marshal(m)
	if err != nil {
		return m, fmt.Errorf("store: declare maintenance: %w", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.maintKey("windows"), m.ID, raw)
		s.maintAudit(ctx, p, ActionMaintenanceDeclare, m.ID, m.By, m.CreatedAt, raw)
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("store: declare maintenance %s: %w", m.ID, err)
	}
	return m, nil
}

func (s *Store) maintAudit(ctx context.Context, p redis.Pipeliner, action, id, by string, at time.Time, detail []byte) {
	p.XAdd(ctx, &redis.XAddArgs{Stream: s.maintKey("audit"), Values: []any{
		"at", at.UnixMilli(), "by", by, "action", action, "id", id, "detail", string(detail)}})
}

// Maintenances returns every window, by id order (declaration order).
func (s *Store) Maintenances(ctx context.Context) ([]health.Maintenance, error) {
	all, err := s.rdb.HGetAll(ctx, s.maintKey("windows")).Result()
	if err != nil {
		return nil, fmt.Errorf("store: maintenance windows: %w", err)
	}
	out := make([]health.Maintenance, 0, len(all))
	for id, raw := range all {
		var m health.Maintenance
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, fmt.Errorf("store: maintenance window %s: %w", id, err)
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b health.Maintenance) int { return compareIDs(a.ID, b.ID) })
	return out, nil
}

func compareIDs(a, b string) int {
	na, _ := strconv.Atoi(strings.TrimPrefix(a, "mw-"))
	nb, _ := strconv.Atoi(strings.TrimPrefix(b, "mw-"))
	return na - nb
}

// MaintenanceByID returns one window; ErrNotFound if there is none.
func (s *Store) MaintenanceByID(ctx context.Context, id string) (health.Maintenance, error) {
	raw, err := s.rdb.HGet(ctx, s.maintKey("windows"), id).Result()
	if errors.Is(err, redis.Nil) {
		return health.Maintenance{}, fmt.Errorf("store: maintenance window %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return health.Maintenance{}, fmt.Errorf("store: maintenance window %s: %w", id, err)
	}
	var m health.Maintenance
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return m, fmt.Errorf("store: maintenance window %s: %w", id, err)
	}
	return m, nil
}

// EndMaintenance ends a window early at at: it must have begun and not be
// over, ended or cancelled (ErrMaintenanceState).
func (s *Store) EndMaintenance(ctx context.Context, id, by string, at time.Time) (health.Maintenance, error) {
	return s.changeMaintenance(ctx, id, by, at, ActionMaintenanceEnd, func(m *health.Maintenance) bool {
		iv, ok := m.Window()
		if !ok || at.Before(iv.Start) || !at.Before(iv.End) {
			return false
		}
		m.EndedAt, m.EndedBy = at, by
		return true
	})
}

// CancelMaintenance voids a window before it begins (ErrMaintenanceState
// once it has begun: end it instead, so what happened stays recorded).
func (s *Store) CancelMaintenance(ctx context.Context, id, by string, at time.Time) (health.Maintenance, error) {
	return s.changeMaintenance(ctx, id, by, at, ActionMaintenanceCancel, func(m *health.Maintenance) bool {
		if _, ok := m.Window(); !ok || !at.Before(m.From) {
			return false
		}
		m.CancelledAt, m.CancelledBy = at, by
		return true
	})
}

// changeMaintenance applies change to the stored window and audits it, in
// one transaction that a concurrent change makes retry.
func (s *Store) changeMaintenance(ctx context.Context, id, by string, at time.Time, action string, change func(*health.Maintenance) bool) (health.Maintenance, error) {
	if err := checkBy(by); err != nil {
		return health.Maintenance{}, err
	}
	if err := checkTime("at", at); err != nil {
		return health.Maintenance{}, err
	}
	var out health.Maintenance
	key := s.maintKey("windows")
	for range 5 {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			raw, err := tx.HGet(ctx, key, id).Result()
			if errors.Is(err, redis.Nil) {
				return fmt.Errorf("store: maintenance window %s: %w", id, ErrNotFound)
			} else if err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(raw), &out); err != nil {
				return err
			}
			if !change(&out) {
				return fmt.Errorf("store: maintenance window %s: %w", id, ErrMaintenanceState)
			}
			b, err := json.Marshal(out)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, key, id, b)
				s.maintAudit(ctx, p, action, id, by, at, b)
				return nil
			})
			return err
		}, key)
		if !errors.Is(err, redis.TxFailedErr) {
			if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrMaintenanceState) {
				err = fmt.Errorf("store: %s %s: %w", action, id, err)
			}
			return out, err
		}
	}
	return out, fmt.Errorf("store: %s %s: %w", action, id, ErrConflict)
}

// MaintenanceAudit returns the audit trail of the maintenance windows,
// oldest first: Action is one of the maintenance actions, SpanID the
// window's id, Detail the window as it stood after the change.
func (s *Store) MaintenanceAudit(ctx context.Context) ([]AuditRecord, error) {
	msgs, err := s.rdb.XRange(ctx, s.maintKey("audit"), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("store: maintenance audit: %w", err)
	}
	out := make([]AuditRecord, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		ms, _ := strconv.ParseInt(str("at"), 10, 64)
		out = append(out, AuditRecord{ID: "maintenance/" + m.ID, At: fromMs(ms), By: str("by"), Action: str("action"),
			SpanID: str("id"), Detail: json.RawMessage(str("detail"))})
	}
	return out, nil
}
