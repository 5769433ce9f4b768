package accesslog

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/metrics"
)

// Defaults and bounds of the writer.
const (
	DefaultRetention = 365 * 24 * time.Hour
	defaultQueue     = 4096
	maxBatch         = 256
	writeTimeout     = 5 * time.Second
	linger           = 10 * time.Millisecond // for a burst to fill a batch
	drainTimeout     = 3 * time.Second
	trimEvery        = time.Minute
	// Lateness bounds how long after its request a record may still be
	// written (retried): older ones are dropped, so a query by time only
	// needs to look this far beyond its range in stream ids.
	Lateness = 10 * time.Minute
)

// Options configure a Log.
type Options struct {
	Redis     redis.UniversalClient
	Key       string        // the stream, e.g. "dw:access"
	Retention time.Duration // 0: DefaultRetention
	Queue     int           // records waiting for Redis; 0: 4096
	Logger    zerolog.Logger
	Now       func() time.Time // nil: time.Now
}

// Log is the access log: Record queues, Run writes, Records reads.
type Log struct {
	rdb       redis.UniversalClient
	key       string
	retention time.Duration
	log       zerolog.Logger
	now       func() time.Time

	mu      sync.Mutex // orders Record's send against the final drain
	stopped bool
	queue   chan Record

	written, failed, dropped atomic.Uint64
	lastErr                  atomic.Pointer[string] // nil while the last write succeeded
	warnedDrop               atomic.Int64           // unix ns of the last "dropped" warning
}

// New returns a Log; nothing is written until Run runs (Write writes at
// once).
func New(opt Options) *Log {
	if opt.Retention <= 0 {
		opt.Retention = DefaultRetention
	}
	if opt.Queue <= 0 {
		opt.Queue = defaultQueue
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Log{rdb: opt.Redis, key: opt.Key, retention: opt.Retention, log: opt.Logger, now: opt.Now, queue: make(chan Record, opt.Queue)}
}

// Record queues r for the log line and Redis. It never blocks, and does
// little on the request's path (no I/O, no goroutine woken while the
// writer lingers): with the queue full (Redis slow or down for long) or
// the log stopped, r is dropped and counted, and logged here.
func (l *Log) Record(r Record) {
	l.mu.Lock()
	queued := false
	if !l.stopped {
		select {
		case l.queue <- r:
			queued = true
		default:
		}
	}
	l.mu.Unlock()
	if !queued {
		l.line(r)
		l.drop(1, "queue full or log stopped")
	}
}

// took logs a record the writer takes from the queue.
func (l *Log) took(r Record) Record {
	l.line(r)
	return r
}

// line is the record as one structured log line.
func (l *Log) line(r Record) {
	e := l.log.Info()
	if !e.Enabled() {
		return
	}
	e = e.Time("at", r.Time).Str("actor", r.Actor).Str("role", r.Role).Str("client", r.Client).Str("remote", r.Remote)
	if r.ForwardedFor != "" {
		e = e.Str("forwarded_for", r.ForwardedFor)
	}
	if len(r.Params) > 0 {
		d := zerolog.Dict()
		for k, v := range r.Params {
			d = d.Str(k, v)
		}
		e = e.Dict("params", d)
	}
	e.Str("method", r.Method).Str("route", r.Route).Str("path", r.Path).Int("status", r.Status).Int64("bytes", r.Bytes).Msg("personal data access")
}

// drop counts n records given up; the warning comes at most every 10 s.
func (l *Log) drop(n int, why string) {
	total := l.dropped.Add(uint64(n))
	now := time.Now().UnixNano()
	if last := l.warnedDrop.Load(); now-last >= int64(10*time.Second) && l.warnedDrop.CompareAndSwap(last, now) {
		l.log.Warn().Str("why", why).Uint64("dropped_total", total).Msg("access records not stored in Redis (their log lines remain)")
	}
}

// Run writes queued records until ctx ends, retrying failed writes with
// backoff, and trims the stream every minute. Then it stops taking
// records and writes what is queued, for at most 3 s.
func (l *Log) Run(ctx context.Context) {
	trim := time.NewTicker(trimEvery)
	defer trim.Stop()
	l.trimLogged(ctx)
	var batch []Record
	backoff := 100 * time.Millisecond
	for {
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				l.drain(nil)
				return
			case <-trim.C:
				l.trimLogged(ctx)
				continue
			case r := <-l.queue:
				batch = append(batch, l.took(r))
			}
			// Unless a batch is waiting already, linger: one pipeline for
			// a burst, and requests meanwhile queue without waking us.
			if batch = l.fill(batch); len(batch) < maxBatch {
				select {
				case <-ctx.Done():
				case <-time.After(linger):
				}
			}
		}
		batch = l.fill(batch)
		// Not ctx: a write under way at shutdown finishes rather than
		// failing, and drain writes the rest.
		wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		batch = l.write(wctx, batch)
		cancel()
		if len(batch) == 0 {
			backoff = 100 * time.Millisecond
			continue
		}
		batch = l.expire(batch)
		select {
		case <-ctx.Done():
			l.drain(batch)
			return
		case <-time.After(backoff):
			backoff = min(2*backoff, 10*time.Second)
		}
	}
}

// fill adds queued records to batch, without waiting, up to maxBatch.
func (l *Log) fill(batch []Record) []Record {
	for len(batch) < maxBatch {
		select {
		case r := <-l.queue:
			batch = append(batch, l.took(r))
		default:
			return batch
		}
	}
	return batch
}

// expire drops records too late to write (see Lateness).
func (l *Log) expire(batch []Record) []Record {
	cut := l.now().Add(-Lateness)
	kept := batch[:0]
	for _, r := range batch {
		if r.Time.Before(cut) {
			l.drop(1, "not written within "+Lateness.String())
			continue
		}
		kept = append(kept, r)
	}
	return kept
}

// drain stops the log and writes batch and the queue once, within
// drainTimeout; what is left is dropped.
func (l *Log) drain(batch []Record) {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	for {
		batch = l.fill(batch)
		if len(batch) == 0 {
			return
		}
		if batch = l.write(ctx, batch); len(batch) > 0 {
			l.drop(len(batch)+len(l.queue), "shutting down")
			return
		}
	}
}

// Write stores records at once (the CLI's own reads), returning the error.
func (l *Log) Write(ctx context.Context, rs ...Record) error {
	for _, r := range rs {
		l.line(r)
	}
	if left := l.write(ctx, rs); len(left) > 0 {
		return l.lastError()
	}
	return nil
}

// write appends batch in one pipeline, trimming by time as it goes, and
// returns the records whose write failed (to retry), in order.
func (l *Log) write(ctx context.Context, batch []Record) []Record {
	minID := msID(l.now().Add(-l.retention))
	cmds := make([]*redis.StringCmd, len(batch))
	_, _ = l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range batch {
			cmds[i] = p.XAdd(ctx, &redis.XAddArgs{Stream: l.key, MinID: minID, ID: "*", Values: batch[i].fields()})
		}
		return nil
	})
	var failed []Record
	var err error
	for i, c := range cmds {
		if c.Err() != nil {
			failed, err = append(failed, batch[i]), c.Err()
		}
	}
	l.written.Add(uint64(len(batch) - len(failed)))
	if err != nil {
		l.failed.Add(uint64(len(failed)))
		if l.lastErr.Load() == nil {
			l.log.Error().Err(err).Int("records", len(failed)).Msg("access log write failed: retrying")
		}
		msg := err.Error()
		l.lastErr.Store(&msg)
		return failed
	}
	if l.lastErr.Swap(nil) != nil {
		l.log.Info().Msg("access log writes again")
	}
	return nil
}

// Trim removes the records older than the retention (the stream id's
// time); it runs every minute, and each write trims too.
func (l *Log) Trim(ctx context.Context) error {
	return l.rdb.XTrimMinID(ctx, l.key, msID(l.now().Add(-l.retention))).Err()
}

func (l *Log) trimLogged(ctx context.Context) {
	if err := l.Trim(ctx); err != nil && ctx.Err() == nil {
		l.log.Warn().Err(err).Msg("access log trim failed")
	}
}

func (l *Log) lastError() error {
	if p := l.lastErr.Load(); p != nil {
		return writeError(*p)
	}
	return nil
}

type writeError string

func (e writeError) Error() string { return "access log: " + string(e) }

// Health is the writer's state, for /healthz.
type Health struct {
	OK                       bool   // the last write succeeded (or none failed yet)
	LastError                string // of the last write, while it is failing
	Queued                   int
	Written, Failed, Dropped uint64
}

// Health reports the writer's state.
func (l *Log) Health() Health {
	h := Health{OK: true, Queued: len(l.queue), Written: l.written.Load(), Failed: l.failed.Load(), Dropped: l.dropped.Load()}
	if p := l.lastErr.Load(); p != nil {
		h.OK, h.LastError = false, *p
	}
	return h
}

// Metrics are the writer's samples.
func (l *Log) Metrics() []metrics.Metric {
	h := l.Health()
	return []metrics.Metric{
		metrics.Counter("deskwatch_access_log_written_total", "Access records stored in Redis.", float64(h.Written)),
		metrics.Counter("deskwatch_access_log_failed_total", "Access record writes to Redis that failed (each attempt; the record is retried).", float64(h.Failed)),
		metrics.Counter("deskwatch_access_log_dropped_total", "Access records given up: queue full, too late or shutting down (the log line remains).", float64(h.Dropped)),
		metrics.Gauge("deskwatch_access_log_queued", "Access records waiting for Redis.", float64(h.Queued)),
		metrics.Gauge("deskwatch_access_log_ok", "1 while the last access record write succeeded.", metrics.Bool(h.OK)),
	}
}
