package monitor

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/spool"
)

// backlog holds the writes Redis has not acknowledged, in decision order.
// Nothing leaves it but through done. The loop adds and commits while the
// writer takes heads and marks them done.
type backlog interface {
	add(o op)
	// commit hands what add took to durable storage, if any.
	commit()
	// head returns up to n of the oldest writes, for the writer only.
	head(n int) ([]op, error)
	// done drops the first n writes of the last head: Redis has them.
	done(n int)
	len() int64
	// replayed describes the writes a crash left behind: the last
	// heartbeat, each desk's last transition, and how many there are.
	replayed() (hb time.Time, last map[string]health.Transition, n int, err error)
}

// coalesce replaces q's last write by o when both are heartbeats (only the
// latest matters) and the last is not being written (from on).
func coalesce(q []op, o op, from int) bool {
	n := len(q)
	if o.kind != opHeartbeat || n == 0 || n-1 < from || q[n-1].kind != opHeartbeat {
		return false
	}
	q[n-1] = o
	return true
}

// memBacklog keeps the writes in memory only (no spool configured).
type memBacklog struct {
	mu       sync.Mutex
	q        []op
	inflight int // the first ones, handed out by head
}

func (b *memBacklog) add(o op) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !coalesce(b.q, o, b.inflight) {
		b.q = append(b.q, o)
	}
}

func (b *memBacklog) commit() {}

func (b *memBacklog) head(n int) ([]op, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight = min(n, len(b.q))
	return slices.Clone(b.q[:b.inflight]), nil
}

func (b *memBacklog) done(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.q, b.inflight = b.q[:copy(b.q, b.q[n:])], 0
}

func (b *memBacklog) len() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int64(len(b.q))
}

func (b *memBacklog) replayed() (time.Time, map[string]health.Transition, int, error) {
	return time.Time{}, nil, 0, nil
}

// spoolBacklog keeps the writes in the spool and reads them back in
// batches, so memory holds one batch however long Redis is away. When the
// spool takes no more (full, or failing) writes wait in memory, after
// everything it holds, and go back to it as soon as it takes them again.
type spoolBacklog struct {
	sp  *spool.Spool
	log zerolog.Logger
	st  *status

	read []op // read back from the spool, not yet in Redis (the writer's)

	mu         sync.Mutex
	taken      []op // appended since the last commit, kept until it succeeds
	over       []op // refused by the spool
	overFlight int  // the first ones of over, handed out by head
	// recent are the last committed writes, numbered from recentFirst: the
	// writer takes them instead of decoding what it reads back. Only
	// appended to and cut from the front, so a copy of the slice stays
	// valid without the lock.
	recent      []op
	recentFirst uint64
}

// recentMax bounds recent: a writer further behind decodes.
const recentMax = 4 * flushBatch

func (b *spoolBacklog) add(o op) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.drain()
	if len(b.over) == 0 && b.append(o) {
		return
	}
	if !coalesce(b.over, o, b.overFlight) {
		b.over = append(b.over, o)
	}
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

// drain moves what waits in memory to the spool, oldest first, unless the
// writer holds some of it: they stay first in line.
func (b *spoolBacklog) drain() {
	if len(b.over) == 0 || b.overFlight > 0 {
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
	b.mu.Lock()
	defer b.mu.Unlock()
	b.drain()
	if err := b.sp.Write(); err != nil {
		// None of the batch is in the spool: keep it, next in line.
		b.over = slices.Insert(b.over, b.overFlight, b.taken...)
		b.taken = nil
		b.refused(err)
		b.overChanged()
		return
	}
	if len(b.taken) > 0 {
		if b.recentFirst+uint64(len(b.recent)) != b.taken[0].seq {
			b.recent, b.recentFirst = nil, b.taken[0].seq
		}
		b.recent = append(b.recent, b.taken...)
		if cut := len(b.recent) - recentMax; cut > 0 {
			b.recent, b.recentFirst = b.recent[cut:], b.recentFirst+uint64(cut)
		}
	}
	b.taken = b.taken[:0]
}

// head reads the spool back outside the lock (the loop goes on adding),
// and hands out what waits in memory once the spool has nothing more.
func (b *spoolBacklog) head(n int) ([]op, error) {
	if len(b.read) < n {
		es, err := b.sp.Read(n - len(b.read))
		if err != nil {
			b.st.spoolFailed(err)
			return nil, err
		}
		b.mu.Lock()
		recent, first := b.recent, b.recentFirst
		b.mu.Unlock()
		for _, e := range es {
			if i := e.Seq - first; e.Seq >= first && i < uint64(len(recent)) {
				b.read = append(b.read, recent[i])
				continue
			}
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
	out := slices.Clone(b.read[:min(n, len(b.read))])
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(out) == n || b.sp.Stats().Pending > uint64(len(b.read)) {
		return out, nil // the spool holds more: memory's turn comes after
	}
	b.overFlight = min(n-len(out), len(b.over))
	return append(out, b.over[:b.overFlight]...), nil
}

func (b *spoolBacklog) done(n int) {
	k := min(n, len(b.read))
	var acked uint64
	if k > 0 {
		acked = b.read[k-1].seq
		b.sp.Ack(acked)
		b.read = b.read[:copy(b.read, b.read[k:])]
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if k > 0 && len(b.recent) > 0 && acked >= b.recentFirst {
		cut := min(int(acked-b.recentFirst)+1, len(b.recent))
		b.recent, b.recentFirst = b.recent[cut:], b.recentFirst+uint64(cut)
	}
	if n > k {
		b.over = b.over[:copy(b.over, b.over[n-k:])]
		b.overChanged()
	}
	b.overFlight = 0
}

func (b *spoolBacklog) len() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
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
