package monitor

import (
	"context"
	"errors"
	"time"

	"deskwatch/health"
	"deskwatch/store"
)

const (
	// flushBatch is how many writes are read back and sent at a time.
	flushBatch = 4096
	// flushRounds bounds the batches of one loop turn, so that a long
	// replay does not keep the loop from new evidence.
	flushRounds = 16
	// writeTimeout bounds one batch's writes.
	writeTimeout = 5 * time.Second
)

// errSpoolRead marks a failure to read the backlog back, not Redis's.
type errSpoolRead struct{ error }

func (e errSpoolRead) Unwrap() error { return e.error }

// flush writes the backlog in order, a few batches at a time; more says
// writes are still waiting.
func (m *Monitor) flush(ctx context.Context) (more bool, err error) {
	for range flushRounds {
		ops, err := m.backlog.head(flushBatch)
		if err != nil {
			return true, errSpoolRead{err}
		}
		if len(ops) == 0 {
			return false, nil
		}
		n, err := m.write(ctx, ops)
		m.backlog.done(n)
		if err != nil {
			return true, err
		}
	}
	return m.backlog.len() > 0, nil
}

// write sends ops in order and returns how many Redis has (or, refused as
// invalid, the dead letters have).
func (m *Monitor) write(ctx context.Context, ops []op) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	done := 0
	for done < len(ops) {
		q := ops[done]
		if q.kind == opTransition {
			end := m.run(ops, done)
			if err := m.apply(ctx, ops[done:end]); err != nil {
				return done, err
			}
			done = end
			continue
		}
		var err error
		switch q.kind {
		case opHeartbeat:
			if done+1 < len(ops) && ops[done+1].kind == opHeartbeat {
				done++ // only the latest of a run matters
				continue
			}
			err = m.opt.Store.Heartbeat(ctx, q.at)
		case opOpenBlind:
			err = m.opt.Store.OpenBlind(ctx, q.blind, q.at)
		default:
			err = m.opt.Store.CloseBlind(ctx, q.blind, q.at)
		}
		if invalid(err) {
			err = m.deadLetter(ctx, q, err)
		}
		if err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// run returns the end of the run of transitions from ops[from] that one
// Apply may take: no desk more than MaxBatchPerDesk times, so that a retry
// after a partial write repeats only transitions the store remembers (a
// replay of the spool is such a retry).
func (m *Monitor) run(ops []op, from int) int {
	perDesk := map[string]int{}
	end := from
	for ; end < len(ops) && ops[end].kind == opTransition; end++ {
		ws := ops[end].tr.Workstation
		if perDesk[ws] == m.opt.MaxBatchPerDesk {
			break
		}
		perDesk[ws]++
	}
	return end
}

// apply writes a run of transitions in one call. If the store refuses one
// as invalid it writes them one by one, so that the valid ones land and
// the invalid ones go to the dead letters.
func (m *Monitor) apply(ctx context.Context, ops []op) error {
	trs := make([]health.Transition, len(ops))
	for i, q := range ops {
		trs[i] = *q.tr
	}
	t0 := time.Now()
	err := m.opt.Store.Apply(ctx, trs)
	if err == nil {
		m.writeTime.Observe(time.Since(t0))
	}
	if !invalid(err) {
		if err == nil {
			m.persisted(trs)
		}
		return err
	}
	for i := range trs {
		err := m.opt.Store.Apply(ctx, trs[i:i+1])
		if invalid(err) {
			err = m.deadLetter(ctx, ops[i], err)
		} else if err == nil {
			m.persisted(trs[i : i+1])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *Monitor) persisted(trs []health.Transition) {
	if m.opt.OnPersisted != nil {
		m.opt.OnPersisted(trs)
	}
}

// invalid reports whether the store refused a write as invalid: retrying
// it can never succeed.
func invalid(err error) bool {
	var ve *store.ValidationError
	return errors.As(err, &ve)
}

// deadLetter sets a refused write aside, in full, in Redis and in the log,
// so that the writes behind it go on.
func (m *Monitor) deadLetter(ctx context.Context, q op, refusal error) error {
	content := string(q.encode())
	d := store.DeadLetter{At: m.opt.Now().UTC(), Kind: q.kind.String(), Content: content, Reason: refusal.Error()}
	if err := m.opt.Store.AddDeadLetter(ctx, d); err != nil {
		return err
	}
	m.stats.deadLetters.Add(1)
	m.status.note(&m.status.dead, WarnDeadLetters, q.kind.String()+" "+content+": "+refusal.Error())
	m.opt.Logger.Error().Str("kind", q.kind.String()).RawJSON("write", []byte(content)).Str("reason", refusal.Error()).
		Msg("redis refused a write as invalid: set aside in the dead letters, not retried")
	return nil
}

func (m *Monitor) setStore(err error) {
	ok := err == nil
	if m.stats.storeOK.Load() != ok || m.stats.storeSince.Load() == 0 {
		m.stats.storeSince.Store(m.opt.Now().UnixNano())
		if ok {
			m.opt.Logger.Info().Msg("redis writes succeed")
		} else {
			m.opt.Logger.Error().Err(err).Int64("queued", m.backlog.len()).Msg("redis writes fail: keeping them queued and retrying")
		}
	}
	m.stats.storeOK.Store(ok)
	if !ok {
		m.stats.writeErrors.Add(1)
		m.stats.lastWriteErr.Store(err.Error())
	}
}
