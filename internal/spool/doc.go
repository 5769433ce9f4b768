// Package spool is the monitor's durable queue: every write Redis has not
// acknowledged is appended to a local file first, so that a crash (kill -9,
// power loss) between a decision and its write to Redis loses nothing; the
// next start replays what is left.
//
// # Files
//
// The spool is a directory of segments, NNNNNNNNNNNNNNNNNNNN.seg, named by
// the sequence number of the first entry they may hold (20 digits), and a
// file "lock" held with flock(2) by the one process using the directory.
// A segment starts with the 8 bytes "DWSPOOL1" and continues with records:
//
//	offset  size  field
//	0       4     n: length of the body, little endian
//	4       4     CRC-32C (Castagnoli) of the body, little endian
//	8       1     kind: 1 entry, 2 ack
//	9       8     seq, little endian: the entry's sequence number, or for an
//	              ack the last entry Redis has (every entry up to it)
//	17      n-9   payload (entries only): the monitor's write, as JSON
//
// Entries are numbered 1, 2, 3, ... without gaps, across segments and
// restarts. A segment is written in order and never rewritten; the next
// one is created (named by the next sequence number) once it passes the
// segment size, after the last one was synced.
//
// # Writing
//
// Append encodes a record into a buffer; Write hands the buffer to the
// kernel (one pwrite), after which a crash of the process cannot lose it.
// A flusher goroutine (Run) fsyncs at most once per SyncEvery (100 ms by
// default): group commit. An entry is durable against power loss once the
// flusher's sync covers it (Stats.Synced, WaitSynced).
//
// # Acknowledging and reclaiming
//
// Ack appends an ack record. Segments whose entries are all acknowledged by
// an ack that is itself synced are deleted, oldest first; the last segment
// is never deleted. On open, entries up to the last ack found are skipped,
// so a replay applies only what Redis may not have: the unsynced acks of at
// most the last SyncEvery (after a power loss), which the store's
// idempotent writes absorb.
//
// # Bound
//
// The segments' total size is bounded (MaxBytes): Append returns ErrFull
// rather than grow past it. Ack records are appended even then (a few
// bytes each): they are what lets segments go.
//
// # Damage
//
// Open reads every record and checks its length and CRC. A bad record at
// the end of the last segment, after which nothing valid follows, is a
// torn write (the process died mid-write): it is truncated, and a warning
// names the file, offset and bytes cut. A bad record anywhere else is
// corruption: Open fails with a *CorruptError naming the file and offset
// and changes nothing, so that an operator can look at the file.
package spool
