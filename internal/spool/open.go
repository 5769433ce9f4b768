package spool

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// Open opens (or creates) the spool in opt.Dir: it takes the directory's
// lock, checks every record, truncates a torn last write, deletes what is
// acknowledged and places Read at the first entry not acknowledged. The
// flusher (Run) is the caller's to start.
func Open(opt Options) (*Spool, error) {
	opt.defaults()
	if opt.Dir == "" {
		return nil, errors.New("spool: no directory")
	}
	if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := lockDir(opt.Dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{opt: opt, log: opt.Logger, lock: lock, dirty: make(chan struct{}, 1), syncedCh: make(chan struct{})}
	if err := s.load(); err != nil {
		s.closeFiles()
		return nil, err
	}
	return s, nil
}

// lockDir makes sure one process at a time uses the spool: two writers
// would interleave their records. The kernel drops the lock when the
// process dies, however it dies.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("spool: %s is in use by another process (is another deskwatch running with the same state_dir?)", dir)
		}
		return nil, fmt.Errorf("spool: lock %s: %w", path, err)
	}
	return f, nil
}

func (s *Spool) load() error {
	names, err := filepath.Glob(filepath.Join(s.opt.Dir, "*"+segSuffix))
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	type named struct {
		path  string
		first uint64
	}
	var files []named
	for _, p := range names {
		if first, ok := parseSegName(p); ok && first > 0 {
			files = append(files, named{p, first})
		}
	}
	slices.SortFunc(files, func(a, b named) int { return cmp.Compare(a.first, b.first) })
	var maxAck uint64
	for i, n := range files {
		seg, ack, err := s.loadSegment(n.path, n.first, i == len(files)-1)
		if err != nil {
			return err
		}
		if len(s.segs) > 0 {
			if prev := s.segs[len(s.segs)-1]; seg.first != prev.last+1 {
				s.log.Warn().Str("file", seg.path).Uint64("missing_from", prev.last+1).Uint64("missing_to", seg.first-1).
					Msg("spool: entries are missing between segments (was a segment removed?)")
			}
		}
		s.segs = append(s.segs, seg)
		maxAck = max(maxAck, ack)
	}
	if len(s.segs) == 0 {
		seg, err := createSegment(s.opt.Dir, 1)
		if err != nil {
			return err
		}
		s.segs = append(s.segs, seg)
	}
	for _, seg := range s.segs {
		s.bytes += seg.size
		// What is read now is what a replay relies on: make it durable.
		if err := seg.f.Sync(); err != nil {
			return fmt.Errorf("spool: sync %s: %w", seg.path, err)
		}
	}
	s.next = s.cur().last + 1
	s.acked = min(max(maxAck, s.segs[0].first-1), s.next-1)
	s.written, s.synced, s.ackWritten, s.ackSynced = s.next-1, s.next-1, s.acked, s.acked
	s.rd = cursor{seg: s.segs[0], off: headerSize, next: s.segs[0].first}
	if err := s.seek(s.acked + 1); err != nil {
		return err
	}
	s.reclaim()
	return nil
}

// loadSegment opens and checks one segment; it returns the last ack in it.
func (s *Spool) loadSegment(path string, first uint64, last bool) (*segment, uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	seg := &segment{first: first, path: path, f: f, last: first - 1}
	fail := func(off int64, reason string) (*segment, uint64, error) {
		f.Close()
		return nil, 0, &CorruptError{File: path, Offset: off, Reason: reason}
	}
	if int64(len(b)) < headerSize || string(b[:headerSize]) != magic {
		if !last || validRecordIn(b) {
			return fail(0, "no segment header")
		}
		// Created and never written before the process died.
		if err := s.truncate(seg, 0, int64(len(b)), "no segment header"); err != nil {
			return nil, 0, err
		}
		if _, err := f.WriteAt([]byte(magic), 0); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("spool: write %s: %w", path, err)
		}
		seg.size = headerSize
		return seg, 0, nil
	}
	var ack uint64
	off := headerSize
	for off < int64(len(b)) {
		r, size, need, problem := parseRecord(b[off:])
		if size == 0 {
			if problem == "" {
				problem = fmt.Sprintf("incomplete record: %d of %d bytes", int64(len(b))-off, need)
			}
			if last && !validRecordIn(b[off+1:]) {
				if err := s.truncate(seg, off, int64(len(b))-off, problem); err != nil {
					return nil, 0, err
				}
				break
			}
			return fail(off, problem)
		}
		switch r.kind {
		case kindEntry:
			if r.seq != seg.last+1 {
				return fail(off, fmt.Sprintf("entry %d where %d was expected", r.seq, seg.last+1))
			}
			seg.last = r.seq
		case kindAck:
			ack = max(ack, r.seq)
		}
		off += int64(size)
	}
	seg.size = off
	return seg, ack, nil
}

// truncate cuts a torn last write off the last segment.
func (s *Spool) truncate(seg *segment, off, cut int64, problem string) error {
	if err := seg.f.Truncate(off); err != nil {
		seg.f.Close()
		return fmt.Errorf("spool: truncate the torn end of %s: %w", seg.path, err)
	}
	s.log.Warn().Str("file", seg.path).Int64("offset", off).Int64("bytes", cut).Str("problem", problem).
		Msg("spool: torn last record (the process died while writing it): truncated")
	return nil
}

// seek places the read cursor at entry seq (or at the end, if beyond).
func (s *Spool) seek(seq uint64) error {
	for _, seg := range s.segs {
		if seg.last >= seq || seg == s.cur() {
			s.rd = cursor{seg: seg, off: headerSize, next: seg.first}
			break
		}
	}
	if s.rd.next >= seq {
		return nil
	}
	return s.walk(&s.rd, func(e Entry) bool { return e.Seq+1 < seq })
}

// closeFiles closes every segment and releases the lock.
func (s *Spool) closeFiles() error {
	var errs []error
	for _, seg := range s.segs {
		errs = append(errs, seg.f.Close())
	}
	s.segs = nil
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
		s.lock = nil
	}
	return errors.Join(errs...)
}
