package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// Run is the flusher: after each Write it fsyncs the last segment, at most
// once per SyncEvery (group commit), until ctx ends. Close makes the final
// sync.
func (s *Spool) Run(ctx context.Context) {
	var last time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.dirty:
		}
		if wait := s.opt.SyncEvery - time.Since(last); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		last = time.Now()
		s.sync()
	}
}

// sync fsyncs the last segment without holding mu during the fsync, so
// the loop goes on appending meanwhile.
func (s *Spool) sync() {
	s.mu.Lock()
	if len(s.segs) == 0 {
		s.mu.Unlock()
		return
	}
	f, written, ack := s.cur().f, s.written, s.ackWritten
	s.mu.Unlock()
	err := f.Sync()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil:
		s.markSynced(written, ack)
	case errors.Is(err, os.ErrClosed):
		// Rotated and deleted meanwhile: rotation synced it.
	default:
		s.syncErrors++
		s.lastSyncErr = err.Error()
		s.log.Error().Err(err).Msg("spool: fsync failed: the last writes may not survive a power loss")
	}
}

// WaitSynced waits until entry seq is covered by an fsync.
func (s *Spool) WaitSynced(ctx context.Context, seq uint64) error {
	for {
		s.mu.Lock()
		done, ch := s.synced >= seq, s.syncedCh
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close writes and syncs what is buffered and closes the files. Run must
// have returned.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.segs) == 0 {
		return nil
	}
	err := s.write()
	if err == nil {
		c := s.cur()
		if err = c.f.Sync(); err == nil {
			s.markSynced(s.written, s.ackWritten)
		} else {
			err = fmt.Errorf("spool: sync %s: %w", c.path, err)
		}
	}
	return errors.Join(err, s.closeFiles())
}
