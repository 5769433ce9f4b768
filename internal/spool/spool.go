package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// ErrFull is returned by Append when the spool holds MaxBytes.
var ErrFull = errors.New("spool: full")

// Options configure a Spool.
type Options struct {
	Dir string
	// MaxBytes bounds the segments' total size (default 1 GiB).
	MaxBytes int64
	// SegmentBytes: a segment past this size is closed and the next one
	// started (default MaxBytes/16 within 64 KiB..64 MiB, and at most
	// MaxBytes/4: the last segment is never deleted, so others must be).
	SegmentBytes int64
	// SyncEvery: the flusher fsyncs at most this often (default 100 ms).
	SyncEvery time.Duration
	Logger    zerolog.Logger
}

// Entry is one appended payload and its sequence number.
type Entry struct {
	Seq     uint64
	Payload []byte
}

// segment is one file of the spool.
type segment struct {
	first uint64 // sequence number of the first entry it may hold (its name)
	path  string
	f     *os.File
	size  int64  // bytes handed to the kernel
	last  uint64 // its last entry; first-1 if none
}

// cursor is where Read goes on.
type cursor struct {
	seg  *segment
	off  int64
	next uint64 // the entry expected there
}

// Spool is a directory of segments (see the package doc). Append, Write,
// Read, Scan and Ack belong to one goroutine (the monitor's loop); Run is
// the flusher's; Stats and WaitSynced are safe from any goroutine.
type Spool struct {
	opt   Options
	log   zerolog.Logger
	lock  *os.File
	dirty chan struct{} // written since the last sync

	mu       sync.Mutex // guards everything below; the flusher takes it only around fsync
	segs     []*segment // oldest first; the last is being written
	buf      []byte     // records not yet handed to the kernel
	bufFirst uint64     // first entry in buf (0: none)
	bufAck   uint64     // last ack in buf (0: none)
	next     uint64     // sequence number of the next entry
	acked    uint64     // entries up to this one are acknowledged
	bytes    int64      // the segments' size, buf included
	rd       cursor

	written, ackWritten uint64 // handed to the kernel
	synced, ackSynced   uint64 // covered by an fsync
	syncedCh            chan struct{}
	syncs, syncErrors   uint64
	lastSyncErr         string
}

// defaults fills in what was left zero.
func (o *Options) defaults() {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 30
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = min(max(o.MaxBytes/16, 64<<10), 64<<20, max(o.MaxBytes/4, 1))
	}
	if o.SyncEvery <= 0 {
		o.SyncEvery = 100 * time.Millisecond
	}
}

func (s *Spool) cur() *segment { return s.segs[len(s.segs)-1] }

// Append adds one entry to the buffer and returns its sequence number. It
// returns ErrFull, and adds nothing, when the entry would take the spool
// past MaxBytes.
func (s *Spool) Append(payload []byte) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	size := recordSize(len(payload))
	if size-recHeader > maxBody {
		return 0, fmt.Errorf("spool: entry of %d bytes is longer than %d", len(payload), maxBody-bodyFixed)
	}
	if s.bytes+size > s.opt.MaxBytes {
		s.reclaim()
		if s.bytes+size > s.opt.MaxBytes {
			return 0, ErrFull
		}
	}
	seq := s.next
	s.next++
	if s.bufFirst == 0 {
		s.bufFirst = seq
	}
	s.buf = appendRecord(s.buf, kindEntry, seq, payload)
	s.bytes += size
	return seq, nil
}

// Write hands the buffered records to the kernel: from then on only a
// power loss (before the flusher's next fsync) can lose them. On error
// nothing of the buffer is in the spool, the entries' numbers are given
// out again, and the caller keeps those entries itself. Only Write can
// lose entries so: Append only buffers.
func (s *Spool) Write() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write()
}

func (s *Spool) write() error {
	if len(s.buf) == 0 {
		return nil
	}
	c := s.cur()
	if _, err := c.f.WriteAt(s.buf, c.size); err != nil {
		// A torn record must not stay in the middle of the file.
		if terr := c.f.Truncate(c.size); terr != nil {
			err = errors.Join(err, fmt.Errorf("undo: %w", terr))
		}
		if s.bufFirst != 0 {
			s.next = s.bufFirst
		}
		s.bytes -= int64(len(s.buf))
		s.buf, s.bufFirst, s.bufAck = s.buf[:0], 0, 0
		return fmt.Errorf("spool: write %s: %w", c.path, err)
	}
	c.size += int64(len(s.buf))
	if s.bufFirst != 0 {
		c.last = s.next - 1
		s.written = s.next - 1
	}
	if s.bufAck != 0 {
		s.ackWritten = s.bufAck
	}
	s.buf, s.bufFirst, s.bufAck = s.buf[:0], 0, 0
	select {
	case s.dirty <- struct{}{}:
	default:
	}
	if c.size >= s.opt.SegmentBytes {
		if err := s.rotate(); err != nil {
			// What was written stays in this segment; try again next time.
			s.log.Error().Err(err).Msg("spool: cannot start the next segment")
		}
	}
	return nil
}

// Ack records that every entry up to seq is in Redis. The record goes to
// the buffer (past MaxBytes if need be: it is what frees space); segments
// whose entries a synced ack covers are deleted.
func (s *Spool) Ack(seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq <= s.acked || seq >= s.next {
		return
	}
	s.acked = seq
	s.bufAck = seq
	s.buf = appendRecord(s.buf, kindAck, seq, nil)
	s.bytes += recordSize(0)
	s.reclaim()
}

// reclaim deletes the oldest segments while a synced ack covers all their
// entries; never the last one, nor one the read cursor is in.
func (s *Spool) reclaim() {
	if r := &s.rd; len(s.segs) > 1 && r.seg == s.segs[0] && r.off == r.seg.size {
		r.seg, r.off = s.segs[1], headerSize // read to its end
	}
	for len(s.segs) > 1 && s.segs[0].last <= s.ackSynced && s.segs[0] != s.rd.seg {
		old := s.segs[0]
		if err := os.Remove(old.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Error().Err(err).Str("file", old.path).Msg("spool: cannot delete an acknowledged segment")
			return
		}
		_ = old.f.Close()
		s.bytes -= old.size
		s.segs = s.segs[1:]
	}
}

// rotate syncs the last segment, written to its end, and starts the next.
func (s *Spool) rotate() error {
	c := s.cur()
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("spool: sync %s: %w", c.path, err)
	}
	s.markSynced(s.written, s.ackWritten)
	seg, err := createSegment(s.opt.Dir, s.next)
	if err != nil {
		return err
	}
	s.segs = append(s.segs, seg)
	s.bytes += seg.size
	return nil
}

// createSegment makes an empty segment (its header only) and makes its
// name durable.
func createSegment(dir string, first uint64) (*segment, error) {
	path := filepath.Join(dir, segName(first))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: create segment: %w", err)
	}
	if _, err := f.WriteAt([]byte(magic), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: write %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return &segment{first: first, path: path, f: f, size: headerSize, last: first - 1}, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("spool: sync directory %s: %w", dir, err)
	}
	return nil
}

// markSynced records what an fsync covered. The caller holds mu.
func (s *Spool) markSynced(written, ack uint64) {
	s.synced = max(s.synced, written)
	s.ackSynced = max(s.ackSynced, ack)
	s.syncs++
	close(s.syncedCh)
	s.syncedCh = make(chan struct{})
}

// Stats are the spool's figures.
type Stats struct {
	Bytes, MaxBytes int64
	Segments        int
	Pending         uint64 // entries not acknowledged
	Written, Synced uint64 // last entry handed to the kernel, covered by an fsync
	Syncs           uint64
	SyncErrors      uint64
	LastSyncError   string
}

// Stats returns the spool's figures; safe from any goroutine.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Bytes: s.bytes, MaxBytes: s.opt.MaxBytes, Segments: len(s.segs), Pending: s.next - 1 - s.acked,
		Written: s.written, Synced: s.synced, Syncs: s.syncs, SyncErrors: s.syncErrors, LastSyncError: s.lastSyncErr}
}
