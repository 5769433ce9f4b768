// Package journal keeps the журнал учета работы автоматизированных рабочих
// мест (п.29, п.30 of the standard): every incident that disrupted
// workstations, built from the failure spans deskwatch detects and from the
// ones supervisors enter by hand, completed by supervisors' notes (cause,
// actions, fault), for the head of the center to review and sign.
//
// The journal is evidence for the ministry's auditor, so it is an
// append-only hash chain in Redis: nothing is edited or deleted in place, a
// correction is a new record, and the latest state of an entry is a fold of
// its records. Changing, deleting or reordering a stored record makes Verify
// name it. The spans the figures come from are under the chain too: every
// change of a span is a record with the span's whole content, and Verify
// compares the store's spans with them.
//
// # Entries
//
// An entry (incident) is numbered within the calendar year of its first
// span's start in the configured zone (Asia/Irkutsk): its ID is
// "2026-0017", shown as "17/2026". Spans that begin together for one cause
// form one entry (see Group): a span joins the entry of its cause whose
// first span started less than Window (5 s) away and that has no span of
// the same desk yet; otherwise it opens a new entry. A manual span always
// opens its own. An entry ends when all its spans have ended (End = the
// latest end). Ingest waits until a new detected span is Settle (10 s) old
// before grouping it, so spans reported a few seconds out of order still
// group exactly as Group groups the whole set; a span arriving later than
// that joins the nearest entry in reach on either side of it, or opens one.
//
// Derived fields: Cause is the latest noted cause (for a manual entry, the
// note entered with its span) or else the detected cause; Fault is the
// latest noted fault, or else external when every span is excluded,
// institution for a manual entry, unknown otherwise; the exclusion shown is
// the latest one when every span is excluded; RecordedBy is the By of the
// latest note, or else of the opening record. Missing lists entries without
// a noted cause or with Fault unknown.
//
// # Key schema
//
// Every key starts with the prefix given in Options (P below, with ":"
// added) and carries the hash tag {journal}, so the append script touches a
// single Cluster slot:
//
//	P:{journal}:head            hash    seq, hash: the last record (absent: empty chain)
//	P:{journal}:r:SEQ           hash    record SEQ (1, 2, ...): seq, at, kind, entry, by, actor, alg, payload, prev, hash
//	P:{journal}:e:ENTRY         list    seqs of the records of entry ENTRY ("2026-0017"), in chain order;
//	                                    P:{journal}:e: (ENTRY "") those of the chain's own records
//
// The keys above are the journal; the ones below are indexes derived from
// it, written by the same script call as the records they follow:
//
//	P:{journal}:entries         zset    entry IDs by level and start (like the store's span index)
//	P:{journal}:anchors:CAUSE   zset    entry IDs of detected entries of CAUSE, by their first span's start (ms)
//	P:{journal}:d:ENTRY         set     desks of a detected entry
//	P:{journal}:spans           hash    span ID -> {"e": entry, "end": ms (absent: open), "s": sources,
//	                                    "f": digest of what never changes, "x": exclusion}
//	P:{journal}:sum             hash    entry -> {"start", "end", "open", "closed", "cause", "manual"} (ms)
//	P:{journal}:years           hash    year -> last number given
//	P:{journal}:follow          hash    checkpoint, rescan: Follow's last pass and last rescan (ms)
//	P:{journal}:fence           string  the highest epoch that appended (fence.go); absent: never fenced
//
// P:{journal}:entries is a span index of package spanindex, as the store's.
// An entry of length L is on level k of P:{journal}:entries, the smallest k
// with L <= 1 min * 4^k but at most 14 (which queries read whole), scored
// k*2^42 + start (ms); ongoing entries are on level 15. Entries reads, per level, the starts in [from - 1 min * 4^k,
// to), so its cost follows the entries in the range, not the history.
//
// # Records
//
// Fields, all strings as stored:
//
//	seq      decimal, from 1, no gaps
//	at       when it was recorded: UTC, to the millisecond, "2026-11-27T16:05:00.212Z"
//	kind     see below
//	entry    the entry's ID, "2026-0017"; "" for chain_keyed
//	by       who made the change, as they wrote it: a person, or "deskwatch" for what the monitor detected
//	actor    who made the change, authenticated: the API token's name, "cli:" and the OS user, or
//	         "deskwatch"; "" when the caller knew none
//	alg      "sha256", or "hmac-sha256:KEYID" for a keyed record (see "Hash")
//	payload  compact JSON, as below (times as in at)
//	prev     hash of record seq-1; 64 zeros for record 1
//	hash     see "Hash"
//
// Records written before format 2 lack actor and alg (format 1); they are
// read and verified as they were written.
//
// Kinds and payloads:
//
//	entry_opened       {"year", "number", "cause", "anchor"}: an entry for a detected span;
//	                   anchor is the start of the span that opened it
//	manual             the same, for a span entered by hand (by: who entered it, when known)
//	span_added         {"span", "desk", "hotlines", "start", "end" (absent: open), "cause",
//	                   "sources", "manual", "note", "planned"}: a span joined the entry;
//	                   planned lists the maintenance windows (mw-N) that applied to its
//	                   desk somewhere in the span by the record's time (an open span: up
//	                   to it), absent when none and in records written before it was kept
//	span_closed        the same, and "exclusion" when it has one: one of its spans ended
//	                   (format 1: {"span", "end", "sources"} only)
//	span_changed       the same as span_closed: an open span's sources grew
//	entry_closed       {"end"}: all its spans have ended; end is the latest
//	note               {"cause", "actions", "fault"}, each optional: a supervisor's note
//	exclusion          {"span", "category", "reason", "by", "actor", "at"}, then the span's
//	                   "desk" ... "note" as in span_added: a span left out of the formula
//	                   (footnote * of п.28); by, actor and at: who set it and when
//	                   (format 1: without actor and the span's fields)
//	exclusion_revoked  the same fields: the exclusion withdrawn
//	maintenance        {"action", "window"}: a planned maintenance window declared, ended
//	                   or cancelled (action declare | end | cancel), the window as it then
//	                   stood, whether it counts and, if not, its category and reason; its
//	                   entry field is the window's id (mw-N), which is no incident
//	chain_keyed        {"alg"}: the records from here on are keyed (entry "")
//
// So the last record of a span states all of it: desk, start, end, cause,
// sources, manual, note and exclusion (category, reason, by, actor, at),
// what the figures depend on, and the planned maintenance it fell in (which
// Verify does not compare with the store: the windows are not the span's). Only changes deskwatch makes are journaled:
// a span joins, an open span ends or gains a source, an exclusion is set,
// replaced or revoked. A span that changes otherwise in the store (an end
// that moves, a cause, a lost source: someone wrote to Redis) is logged as
// an error and not journaled; Verify reports it.
//
// Records of one Ingest call follow the order of the spans' (start, cause,
// ID); entry_closed records come at the end of each script call's batch
// (500 records), after the spans of the batch.
//
// # Hash
//
// hash is the lower-case hex SHA-256 of the line "deskwatch-journal/2\n"
// followed by the fields seq, at, kind, entry, by, actor, alg, payload and
// prev, in this order, each as a netstring: its length in bytes in decimal,
// ":", the bytes as stored, ",". When alg is "hmac-sha256:KEYID" it is the
// HMAC-SHA256 of the same bytes with the journal's key (Options.Key, the
// file journal.key_file), KEYID being the first 16 hex digits of
// HMAC-SHA256(key, "deskwatch-journal key id"). A format 1 record (no alg)
// is hashed with SHA-256 over "deskwatch-journal/1\n" and seq, at, kind,
// entry, by, payload and prev. For example, a format 1 record with seq "1",
// at "2026-11-27T16:05:00.300Z", kind "note", entry "2026-0001", by
// "Иванов", payload {"cause":"x"} and prev of 64 zeros is hashed over
//
//	deskwatch-journal/1
//	1:1,24:2026-11-27T16:05:00.300Z,4:note,9:2026-0001,12:Иванов,13:{"cause":"x"},64:000…000,
//
// (one line after the first, no final newline; "Иванов" is 12 bytes in
// UTF-8). An auditor can check the chain with redis-cli and a few lines of
// Python (keyed records need the key file):
//
//	import hashlib, hmac, redis
//	r, p, key = redis.Redis(decode_responses=True), "dw:{journal}:", open("journal.key", "rb").read().rstrip(b"\r\n")
//	n, prev = int(r.hget(p + "head", "seq") or 0), "0" * 64
//	for seq in range(1, n + 1):
//	    f = r.hgetall(p + "r:%d" % seq)
//	    v2 = "alg" in f
//	    names = ("seq", "at", "kind", "entry", "by") + (("actor", "alg") if v2 else ()) + ("payload", "prev")
//	    msg = ("deskwatch-journal/%d\n" % (2 if v2 else 1) + "".join(
//	        "%d:%s," % (len(f[k].encode()), f[k]) for k in names)).encode()
//	    keyed = f.get("alg", "").startswith("hmac-sha256:")
//	    h = hmac.new(key, msg, hashlib.sha256).hexdigest() if keyed else hashlib.sha256(msg).hexdigest()
//	    assert f["seq"] == str(seq) and f["hash"] == h and f["prev"] == prev, seq
//	    prev = h
//	assert r.hget(p + "head", "hash") in (None, prev) and not r.exists(p + "r:%d" % (n + 1))
//
// # Anchors and keys
//
// A chain can be recomputed by anyone who can write to Redis, from a changed
// record on: unkeyed, the hash proves integrity only relative to a head
// known from elsewhere. Every report and submitted version prints the head
// as of its build ("SEQ:HASH", Head.String); `deskwatch journal verify
// -anchor SEQ:HASH` (VerifyOptions.Anchors) then requires the record SEQ to
// have that hash, so a rewrite at or before it shows.
//
// With a key kept out of Redis, nobody with Redis access alone can compute
// a keyed hash, so a rewrite cannot be made consistent: a record recomputed
// with the wrong digest fails its hash; one turned unkeyed after keyed ones
// fails as a downgrade (no unkeyed record may follow a keyed one); a chain
// rewritten unkeyed from record 1 fails because, with a key configured, the
// chain must end with a record keyed with it. Follow appends a chain_keyed
// record when it starts with a key and the last record is not keyed, so a
// key introduced on a running journal takes effect at once; records before
// it stay unkeyed and verify as they are. One key serves a chain for life: a
// record keyed with another key (another KEYID) cannot be checked.

// # Appending
//
// Records are hashed in Go. One Lua script appends a batch: it checks that
// the head still has the hash the batch was computed on, refuses record keys
// that exist, writes the records, their entry indexes and the derived
// indexes, and moves the head, atomically. If another writer appended first
// it does nothing and the caller plans again from the new head; within a
// process appends are serialized. A large Ingest is several script calls in
// one pipeline; each leaves the journal consistent, so a failure midway
// loses nothing that a retry does not redo: Ingest is idempotent.
//
// # Verify
//
// Verify walks records 1..head: each must exist, with all fields of its
// format, its seq, a hash that fits its content (keyed records need the
// key) and a prev that is the hash of the record before; no unkeyed record
// may follow a keyed one; the head must name the last record and no record
// may follow it; each entry's index must list exactly the records that name
// the entry; each anchor must match; with a key the chain must end keyed.
// It reports the first record that fails and why. Reads (Entry, Entries)
// check each record they fold against its own hash and fail with
// ErrTampered (ErrKey for a keyed record without the key) rather than show
// a changed record.
//
// With VerifyOptions.Spans (the CLI gives the store) it also folds the span
// records into each span's last recorded content, checking that each record
// makes a change deskwatch makes (ProblemTransition: e.g. a span closed
// twice, which a forged P:{journal}:spans makes the follower write), then
// compares every span in the store with that content, field by field. The
// follower journals with a delay: a new detected span once it is Settle
// old, other changes at its next pass or, far back, its next rescan. So a
// difference is pending, reported apart and not a finding, when the
// follower is still to record it: it is a change deskwatch makes (a span
// not journaled yet, an end for a span journaled open, sources added while
// open, an exclusion set, replaced or revoked) and the span is in the
// follower's reach, open or ended within Lookback. Every other difference
// is a finding (ProblemSpans) naming the span, the field, both values and
// the record: an end, start, cause, desk, manual flag or note that moved, a
// source lost, a span gone from the store, a span the follower will never
// reach. Spans that ended before the journal began (its first record, less
// Lookback, as far back as the follower's first pass read) were never
// journaled: they are counted apart, not compared. The chain is read before
// the spans, so a change made meanwhile only looks pending.

// # Redis outages
//
// Every method returns a wrapped error when Redis is unreachable; none
// panics. Follow logs the failure (at most once a minute while it lasts)
// and tries again at its next tick.
package journal
