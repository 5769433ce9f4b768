// Package store keeps deskwatch's record in Redis: failure spans of the
// workstations, their current states, the sources' blind intervals, the
// daemon's heartbeat and the audit trail of supervisors' changes.
//
// It works with a single server, a master failed over by Sentinel, or a
// Cluster (redis.UniversalClient, built by Open), Redis 6.2 or later. Times
// are stored as UTC milliseconds, so they are kept to the millisecond.
//
// # Key schema
//
// Every key starts with the prefix given to New (P below, with ":" added).
// Keys of one workstation carry the hash tag {ws:ID}, so that the Lua
// scripts touching one desk stay in one Cluster slot:
//
//	P:{ws:ID}:state    hash    state, since (ms), cause, source, open (ID of the open span or "")
//	P:{ws:ID}:spans    hash    span ID -> span record (JSON: id, ws, start, end, cause,
//	                           sources (comma-separated set), manual, note, exclusion)
//	P:{ws:ID}:index    zset    span ID, scored by level and start (see Index)
//	P:{ws:ID}:applied  zset    fingerprints (at ns:from:to) of the last 64 transitions, by at
//	P:{ws:ID}:outbox   hash    span ID -> index score not yet copied to P:spans
//	P:{ws:ID}:audit    stream  at (ms), by, action (manual|exclude|revoke), span, detail (JSON)
//
// Global keys:
//
//	P:desks                  set     workstations with keys (added before their keys are written)
//	P:spans                  zset    global span index, the same scores as the per-desk index
//	P:heartbeat              string  last heartbeat (ms); never moves back
//	P:blind:sources          set     sources with blind intervals
//	P:{blind:SRC}:open       string  start (ms) of the source's open blind interval
//	P:{blind:SRC}:closed     zset    "start-end" (ms) of closed intervals, scored like spans
//	P:rendered:KEY           string  a submitted report's rendered file (KeepRendered; expires)
//	P:{blind:SRC}:applied    zset    "open:ms" / "close:ms" of the last 64 opens and closes, by at
//	P:{deadletter}:stream    stream  at (ms), kind, content (JSON), reason: writes refused as invalid
//	P:{deadletter}:seen      zset    SHA-256 of kind and content of the dead letters, by at
//
// Fences and the lease (several instances, one writer):
//
//	P:{ws:ID}:fence          string  highest writer epoch seen by the desk
//	P:{blind:SRC}:fence      string  the same for a blind source
//	fence{P:heartbeat}       string  the same for the heartbeat (same slot as P:heartbeat)
//	P:{ha}:lease             string  "epoch:instance", with the lease's TTL
//	P:{ha}:epoch             counter the last epoch handed out (INCR)
//	P:{ha}:peers             zset    instance, scored by when it stops counting as alive (ms)
//	P:{ha}:peer:NAME         string  JSON PeerState of instance NAME (leading, ARI health), with the peers' TTL
//	P:{ha}:app:NAME          string  instance holding the ARI application NAME, with a TTL
//
// # Span IDs
//
// IDs are the workstation and the UTC start: op122-01-20261127T160500.212Z;
// manual spans have an "m" before the time (op122-01-m20261127T160500.212Z),
// so they never collide with detected ones. Workstation IDs and sources are
// 1-128 characters of A-Z a-z 0-9 . _ - so IDs are URL-safe and keys cannot
// break the hash tag.
//
// # Transitions
//
// Apply runs one Lua script (EVALSHA, pipelined) per group of desks: on a
// Cluster one desk per call (its keys share a slot), on a single master
// whole desks up to 128 transitions per call; the calls go out on up to
// three connections at once, each desk's in one call, in order. A call
// checks (and raises) every desk's fence before it writes anything, reads a
// desk's state before its first new transition and writes it after its
// last. A transition to down opens a span at At unless one is
// open (then its source joins the open span's sources); any other transition
// closes the open span at At, clamped to the span's start. Every transition
// sets the current state. The script first looks up the transition's
// fingerprint in P:{ws:ID}:applied and does nothing if it is there, so
// applying a transition twice, or replaying the last batches after a crash,
// changes nothing. The window is the last 64 transitions per desk; a replay
// reaching further back is still safe for opening (a span with the same ID
// is never opened again) but could close a later open span early.
//
// # Index
//
// The index is package spanindex's, for Go and for the scripts alike. A
// span of length L is on level k, the smallest with L <= 1 min * 4^k, and
// scored k*2^42 + start (ms); open spans are on level 15. A query for
// [From, To) reads, on each level, the spans starting in
// [From - 1 min * 4^k, To), and the open ones starting before To (one
// ZRANGEBYSCORE per level and index, pipelined; the blind intervals' index
// uses the same ranges in one Lua call). A span on level k is longer than
// 1 min * 4^(k-1), and the detected spans of a desk never overlap, so each
// level adds at most a few spans per desk from outside the range: the cost
// follows the spans in the range, not the history, even when some spans are
// very long.
//
// # Reading spans
//
// Spans takes the candidate IDs from the global index (or the desks'
// indexes), then their records with one HMGET per desk, pipelined in
// batches of about 16k records; the next batch is fetched while the last
// is decoded. Replies are read raw (RESP bytes in one buffer per command)
// and parsed in place, the returned spans' strings sharing the buffers.
// Records are decoded by a parser for the JSON the store writes (cjson in
// the scripts, encoding/json in AddManual): a flat object of the known keys
// with integer times and strings without escapes; any other record, e.g. a
// note with an escaped character, goes through encoding/json, which defines
// the meaning. The stored format is unchanged.
//
// On a single master the script writes the global index P:spans itself,
// with ZADD LT (idempotent, and monotonic, as a span's score only drops
// from the open level to its closed one). In a Cluster P:spans cannot share
// a slot with the per-desk keys, so the script records each index change in
// the desk's outbox and returns the outbox; Apply then copies it to P:spans
// with ZADD LT, and the desk's next script call removes the copied entries.
// The outbox is returned even for a duplicate transition, so the retry of a
// batch whose global update failed completes it; OpenSpans completes what a
// crash left pending. On a single master an outbox is left only by a manual
// span, a crash of an older version, or a global index that is not a sorted
// set (the call then goes through the outboxes and the copy fails): the
// desk's next call copies it to P:spans and deletes it.
//
// # Audit
//
// Manual spans, exclusions and revocations append to the desk's audit
// stream in the same script as the change itself: no change without its
// record. A span's current exclusion is stored in its record; a revocation
// removes it there while the stream keeps both entries. Audit merges the
// streams in the order they were written.
//
// # Replays
//
// The monitor replays its spool after a crash, so every write it makes is
// a no-op when applied again: transitions by their fingerprints (above);
// blind opens and closes likewise, per source (a replayed close would
// otherwise close a later interval, a replayed open reopen a closed one);
// a heartbeat older than the recorded one is ignored; a dead letter is
// appended once per kind and content. Both windows hold the last 64
// writes, far more than the monitor can leave unacknowledged.
//
// # Redis outages
//
// Every method returns a wrapped error saying what failed when Redis is
// unreachable, and none panics. The store does not retry: the caller (the
// monitor) keeps its transitions queued and retries Apply with the same
// batch until it succeeds, which idempotency makes safe. Scripts evicted
// from the server's cache (e.g. by a restart) are loaded again on NOSCRIPT.
//
// # Replication
//
// Redis acknowledges a write before any replica has it, so a master killed
// at that moment takes it along. With DurableWrites (Open does it for
// Target.WaitReplicas) every pipeline of Apply, OpenBlind and CloseBlind
// ends with WAIT on its connection, on every master it touched, and a short
// count is ErrNotReplicated: the monitor keeps the batch and retries it on
// whichever master Sentinel or the Cluster promotes. A batch holds at most
// MaxBatchPerDesk transitions of a desk, so a retry of a batch the old
// master had partly applied and replicated is recognised whole. Manual
// spans, exclusions, reports and the journal do not wait (see DESIGN.md).
//
// # Fencing
//
// With SetEpoch, every record write (Apply, OpenBlind, CloseBlind,
// Heartbeat) carries the writer's lease epoch, and its script first checks
// the fence key in the slot it writes (Apply's: the fence of every desk of
// the call): a higher stored epoch refuses the whole command with a
// *FencedError (nothing applied), a lower one is raised. A new leader calls RaiseFences on every desk and source before
// its first write, so a paused former leader is refused everywhere.
//
// PersistenceCheck reports whether the masters keep the data on disk.
package store
