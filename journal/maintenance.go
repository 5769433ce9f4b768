package journal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"deskwatch/health"
)

// Maintenance actions recorded in the chain.
const (
	MaintenanceDeclare = "declare"
	MaintenanceEnd     = "end"
	MaintenanceCancel  = "cancel"
)

type maintenancePayload struct {
	Action string             `json:"action"`
	Window health.Maintenance `json:"window"`
}

// RecordMaintenance appends a planned maintenance window's declaration, end
// or cancellation to the chain, under the window's id: whether the outages
// inside count, and if not why, is part of the record an auditor checks.
// by is who did it as they wrote, actor who was authenticated (the API
// token's name, "cli:" and the OS user), as for the other records.
func (j *Journal) RecordMaintenance(ctx context.Context, m health.Maintenance, action, by, actor string, at time.Time) error {
	switch {
	case !strings.HasPrefix(m.ID, "mw-"):
		return &ValidationError{"ID", fmt.Sprintf("%q: want a window id mw-N", m.ID)}
	case action != MaintenanceDeclare && action != MaintenanceEnd && action != MaintenanceCancel:
		return &ValidationError{"Action", fmt.Sprintf("%q: want declare, end or cancel", action)}
	}
	if err := checkText("By", by, MaxBy); err != nil {
		return err
	}
	if err := checkActor(actor); err != nil {
		return err
	}
	at = truncMs(at)
	j.mu.Lock()
	defer j.mu.Unlock()
	for attempt := range maxAttempts {
		h, err := j.readHead(ctx)
		if err != nil {
			return fmt.Errorf("journal: maintenance %s: %w", m.ID, err)
		}
		p := newPlanner(j, at, h)
		p.append(KindMaintenance, m.ID, strings.TrimSpace(by), actor, maintenancePayload{Action: action, Window: m})
		p.flush()
		err = j.commit(ctx, p.batches, 0)
		if !errors.Is(err, errHeadMoved) {
			if err != nil {
				return fmt.Errorf("journal: maintenance %s: %w", m.ID, err)
			}
			return nil
		}
		if err := conflictPause(ctx, attempt); err != nil {
			return err
		}
	}
	return ErrConflict
}

// MaintenanceRecords are the chain's records of one window, oldest first.
func (j *Journal) MaintenanceRecords(ctx context.Context, id string) ([]Record, error) {
	seqs, err := j.rdb.LRange(ctx, j.entryKey(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("journal: maintenance %s: %w", id, err)
	}
	var ns []int64
	for _, s := range seqs {
		var n int64
		if _, err := fmt.Sscan(s, &n); err == nil {
			ns = append(ns, n)
		}
	}
	return j.readRecords(ctx, ns)
}
