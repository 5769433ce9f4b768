package store

import (
	"cmp"
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
	"deskwatch/spanindex"
)

// AddManual records a failure entered by a supervisor (by, at): a closed
// span with Manual set, source "manual", cause CauseManual unless given, and
// an ID with an "m" marker. Adding the same span again returns the stored one
// and records nothing; a different span with the same workstation and start
// is ErrConflict. Set exclusions with SetExclusion. AddManualAs also names
// the authenticated actor.
func (s *Store) AddManual(ctx context.Context, sp health.Span, by string, at time.Time) (health.Span, error) {
	return s.AddManualAs(ctx, sp, by, "", at)
}

func (s *Store) addManual(ctx context.Context, sp health.Span, by, actor string, at time.Time) (health.Span, error) {
	rec, err := manualRecord(sp, by, at)
	if err != nil {
		return health.Span{}, err
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return health.Span{}, fmt.Errorf("store: add manual span: %w", err)
	}
	ws := rec.WS
	score := spanindex.Score(rec.Start, rec.End)

	s.mu.Lock()
	defer s.mu.Unlock()
	var cmd *redis.Cmd
	err = s.pipelined(ctx, func(p redis.Pipeliner) {
		p.SAdd(ctx, s.key("desks"), ws) // before the workstation's keys, as in Apply
		keys := []string{s.wsKey(ws, "spans"), s.wsKey(ws, "index"), s.wsKey(ws, "outbox"), s.wsKey(ws, "audit")}
		cmd = scriptManual.EvalSha(ctx, p, keys, rec.ID, raw, score, at.UnixMilli(), by, actor)
	})
	if err != nil {
		return health.Span{}, fmt.Errorf("store: add manual span %s: %w", rec.ID, err)
	}
	res, err := cmd.Slice()
	if err != nil || len(res) != 3 {
		return health.Span{}, fmt.Errorf("store: add manual span %s: unexpected reply %v: %w", rec.ID, res, err)
	}
	created, _ := res[0].(int64)
	stored, _ := res[1].(string)
	var outbox []string
	if list, ok := res[2].([]any); ok {
		for _, v := range list {
			str, _ := v.(string)
			outbox = append(outbox, str)
		}
	}
	if err := s.syncIndex(ctx, map[string][]string{ws: outbox}); err != nil {
		return health.Span{}, fmt.Errorf("store: add manual span %s: %w", rec.ID, err)
	}
	if created == 1 {
		return rec.span(), nil
	}
	old, err := decodeRecord(stored)
	if err != nil {
		return health.Span{}, fmt.Errorf("store: add manual span %s: %w", rec.ID, err)
	}
	if old.End != rec.End || old.Cause != rec.Cause || old.Note != rec.Note {
		return old.span(), fmt.Errorf("store: add manual span %s: exists with other end, cause or note: %w", rec.ID, ErrConflict)
	}
	return old.span(), nil
}

func manualRecord(sp health.Span, by string, at time.Time) (record, error) {
	if err := checkWorkstation("Workstation", sp.Workstation); err != nil {
		return record{}, err
	}
	if err := checkTime("Start", sp.Start); err != nil {
		return record{}, err
	}
	if err := checkTime("End", sp.End); err != nil {
		return record{}, err
	}
	if sp.End.Before(sp.Start) {
		return record{}, &ValidationError{"End", "before Start"}
	}
	if sp.Exclusion != nil {
		return record{}, &ValidationError{"Exclusion", "set it with SetExclusion"}
	}
	if err := checkBy(by); err != nil {
		return record{}, err
	}
	if err := checkTime("at", at); err != nil {
		return record{}, err
	}
	cause := sp.Cause
	if cause == "" {
		cause = health.CauseManual
	}
	start := sp.Start.UnixMilli()
	return record{
		ID:      spanID(sp.Workstation, start, true),
		WS:      sp.Workstation,
		Start:   start,
		End:     sp.End.UnixMilli(),
		Cause:   string(cause),
		Sources: string(health.SourceManual),
		Manual:  true,
		Note:    sp.Note,
	}, nil
}

// SetExclusion sets (or replaces) a span's exclusion and appends an audit
// record with the new and the previous one, by and actor as ex gives them.
func (s *Store) SetExclusion(ctx context.Context, id string, ex health.Exclusion) (health.Span, error) {
	if !slices.Contains(health.ExclusionCategories, ex.Category) {
		return health.Span{}, &ValidationError{"Category", fmt.Sprintf("%q: want one of %s", ex.Category, strings.Join(health.ExclusionCategories, ", "))}
	}
	if err := checkBy(ex.By); err != nil {
		return health.Span{}, err
	}
	if err := checkActor(ex.Actor); err != nil {
		return health.Span{}, err
	}
	if err := checkTime("At", ex.At); err != nil {
		return health.Span{}, err
	}
	ex.At = ex.At.UTC()
	raw, err := json.Marshal(ex)
	if err != nil {
		return health.Span{}, fmt.Errorf("store: set exclusion of %s: %w", id, err)
	}
	return s.changeExclusion(ctx, id, ActionExclude, raw, ex.By, ex.Actor, ex.At)
}

// RevokeExclusion removes a span's current exclusion and appends an audit
// record; the audit trail keeps the exclusion. Revoking when there is none
// changes and records nothing. RevokeExclusionAs also names the actor.
func (s *Store) RevokeExclusion(ctx context.Context, id, by string, at time.Time) (health.Span, error) {
	return s.RevokeExclusionAs(ctx, id, by, "", at)
}

func (s *Store) revokeExclusion(ctx context.Context, id, by, actor string, at time.Time) (health.Span, error) {
	if err := checkBy(by); err != nil {
		return health.Span{}, err
	}
	if err := checkTime("at", at); err != nil {
		return health.Span{}, err
	}
	return s.changeExclusion(ctx, id, ActionRevoke, nil, by, actor, at)
}

func (s *Store) changeExclusion(ctx context.Context, id, action string, ex []byte, by, actor string, at time.Time) (health.Span, error) {
	ws, ok := workstationOf(id)
	if !ok {
		return health.Span{}, fmt.Errorf("store: %s span %q: %w", action, id, ErrNotFound)
	}
	keys := []string{s.wsKey(ws, "spans"), s.wsKey(ws, "audit")}
	raw, err := scriptExclusion.Run(ctx, s.rdb, keys, id, action, ex, at.UnixMilli(), by, actor).Text()
	if errors.Is(err, redis.Nil) {
		return health.Span{}, fmt.Errorf("store: %s span %q: %w", action, id, ErrNotFound)
	}
	if err != nil {
		return health.Span{}, fmt.Errorf("store: %s span %q: %w", action, id, err)
	}
	r, err := decodeRecord(raw)
	if err != nil {
		return health.Span{}, fmt.Errorf("store: %s span %q: %w", action, id, err)
	}
	return r.span(), nil
}

// Audit returns the whole audit trail in the order it was recorded.
func (s *Store) Audit(ctx context.Context) ([]AuditRecord, error) {
	desks, err := s.desks(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	cmds := make([]*redis.XMessageSliceCmd, len(desks))
	err = s.pipelined(ctx, func(p redis.Pipeliner) {
		for i, ws := range desks {
			cmds[i] = p.XRange(ctx, s.wsKey(ws, "audit"), "-", "+")
		}
	})
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	type entry struct {
		ms, seq int64
		rec     AuditRecord
	}
	var all []entry
	for i, c := range cmds {
		for _, m := range c.Val() {
			e := entry{rec: auditRecord(desks[i], m)}
			msPart, seqPart, _ := strings.Cut(m.ID, "-")
			e.ms, _ = strconv.ParseInt(msPart, 10, 64)
			e.seq, _ = strconv.ParseInt(seqPart, 10, 64)
			all = append(all, e)
		}
	}
	slices.SortStableFunc(all, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.ms, b.ms), cmp.Compare(a.seq, b.seq), strings.Compare(a.rec.ID, b.rec.ID))
	})
	out := make([]AuditRecord, len(all))
	for i, e := range all {
		out[i] = e.rec
	}
	return out, nil
}

func auditRecord(ws string, m redis.XMessage) AuditRecord {
	str := func(k string) string { v, _ := m.Values[k].(string); return v }
	at, _ := strconv.ParseInt(str("at"), 10, 64)
	return AuditRecord{
		ID:     ws + "/" + m.ID,
		At:     fromMs(at),
		By:     str("by"),
		Actor:  str("actor"),
		Action: str("action"),
		SpanID: str("span"),
		Detail: json.RawMessage(str("detail")),
	}
}
