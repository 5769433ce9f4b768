package monitor

import (
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/spool"
)

// backlog holds the writes Redis has not acknowledged, in decision order.
// Nothing leaves it but through done.
type backlog interface {
	add(o op)
	// commit hands what add took to durable storage, if any.
	commit()
	// head returns up to n of the oldest writes.
	head(n int) ([]op, error)
	// done drops the first n writes of the last head: Redis has them.
	done(n int)
	len() int64
	// replayed describes the writes a crash left behind: the last
	// heartbeat, each desk's last transition, and how many there are.
	replayed() (hb time.Time, last map[string]health.Transition, n int, err error)
}

// memBacklog keeps the writes in memory only (no spool configured).
type memBacklog struct{ q []op }

func (b *memBacklog) add(o op) {
	if n := len(b.q); o.kind == opHeartbeat && n > 0 && b.q[n-1].kind == opHeartbeat {
		b.q[n-1] = o // only the latest heartbeat matters
		return
	}
	b.q = append(b.q, o)
}

func (b *memBacklog) commit()                  {}
func (b *memBacklog) head(n int) ([]op, error) { return b.q[:min(n, len(b.q))], nil }
func (b *memBacklog) done(n int)               { b.q = b.q[:copy(b.q, b.q[n:])] }
func (b *memBacklog) len() int64               { return int64(len(b.q)) }

func (b *memBacklog) replayed() (time.Time, map[string]health.Transition, int, error) {
	return time.Time{}, nil, 0, nil
}

// spoolBacklog keeps the writes in the spool and reads them back in
// batches, so memory holds one batch however long Redis is away. When the
// spool takes no more (full, or failing) writes wait in memory, after
// everything it holds, and go back to it as soon as it takes them again.
type spoolBacklog struct {
	sp    *spool.Spool
	log   zerolog.Logger
	st    *status
	taken []op // appended since the last commit, kept until it succeeds
	read  []op // read back from the spool, not yet in Redis
	over  []op // refused by the spool
}

func (b *spoolBacklog) add(o op) {
	b.drain()
	if len(b.over) == 0 && b.append(o) {
		return
	}
	if n := len(b.over); o.kind == opHeartbeat && n > 0 && b.over[n-1].kind == opHeartbeat {
		b.over[n-1] = o // only the latest heartbeat matters
		return
	}
	b.over = append(b.over, o)
	b.overChanged()
}

// append puts o into the spool; false if the spool refused it.
func (b *spoolBacklog) append(o op) bool {
	seq, err := b.sp.Append(o.encode())
	if err != nil {
		b.refused(err)
		return false
	}
	o.seq = seq
	b.taken = append(b.taken, o)
	return true
}

// drain moves what waits in memory to the spool, oldest first.
func (b *spoolBacklog) drain() {
	if len(b.over) == 0 {
		return
	}
	n := 0
	for n < len(b.over) && b.append(b.over[n]) {
		n++
	}
	b.over = b.over[:copy(b.over, b.over[n:])]
	b.overChanged()
}

// overChanged keeps the warning in step with what waits in memory only.
func (b *spoolBacklog) overChanged() {
	b.st.setUnspooled(len(b.over))
	if len(b.over) == 0 && b.st.spoolOK() {
		b.log.Warn().Msg("no decision waits in memory only any more: the spool takes them again")
	}
}

func (b *spoolBacklog) refused(err error) {
	if !b.st.spoolRefused(err) {
		return // said already
	}
	if errors.Is(err, spool.ErrFull) {
		b.log.Error().Err(err).Int64("max_bytes", b.sp.Stats().MaxBytes).
			Msg("spool full: decisions are kept in memory until Redis takes the backlog; they are lost if deskwatch dies meanwhile")
		return
	}
	b.log.Error().Err(err).Msg("the spool takes no decisions: they are kept in memory, lost if deskwatch dies meanwhile")
}

func (b *spoolBacklog) commit() {
	b.drain()
	if err := b.sp.Write(); err != nil {
		// None of the batch is in the spool: keep it, ahead of the rest.
		b.over = append(b.taken, b.over...)
		b.taken = nil
		b.refused(err)
		b.overChanged()
		return
	}
	b.taken = b.taken[:0]
}

func (b *spoolBacklog) head(n int) ([]op, error) {
	if len(b.read) < n {
		es, err := b.sp.Read(n - len(b.read))
		if err != nil {
			b.st.spoolFailed(err)
			return nil, err
		}
		for _, e := range es {
			o, err := decodeOp(e.Payload)
			if err != nil {
				err = fmt.Errorf("spool entry %d: %w", e.Seq, err)
				b.st.spoolFailed(err)
				return nil, err
			}
			o.seq = e.Seq
			b.read = append(b.read, o)
		}
	}
	out := b.read[:min(n, len(b.read)):min(n, len(b.read))]
	if len(b.read) >= n || b.unread() {
		return out, nil
	}
	// Everything spooled is in hand: what waits in memory comes after it.
	return append(out, b.over[:min(n-len(out), len(b.over))]...), nil
}

// unread reports whether the spool holds entries not read back yet.
func (b *spoolBacklog) unread() bool {
	return b.sp.Stats().Pending > uint64(len(b.read))
}

func (b *spoolBacklog) done(n int) {
	k := min(n, len(b.read))
	if k > 0 {
		b.sp.Ack(b.read[k-1].seq)
		b.read = b.read[:copy(b.read, b.read[k:])]
	}
	if n > k {
		b.over = b.over[:copy(b.over, b.over[n-k:])]
		b.overChanged()
	}
}

func (b *spoolBacklog) len() int64 {
	return int64(b.sp.Stats().Pending) + int64(len(b.over))
}

func (b *spoolBacklog) replayed() (hb time.Time, last map[string]health.Transition, n int, err error) {
	last = map[string]health.Transition{}
	err = b.sp.Scan(func(e spool.Entry) error {
		o, err := decodeOp(e.Payload)
		if err != nil {
			return fmt.Errorf("spool entry %d: %w", e.Seq, err)
		}
		n++
		switch {
		case o.kind == opHeartbeat && o.at.After(hb):
			hb = o.at
		case o.kind == opTransition:
			last[o.tr.Workstation] = *o.tr
		}
		return nil
	})
	return hb, last, n, err
}
