package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/internal/logtest"
)

// stops holds each open spool's shutdown: stop the flusher, then Close.
var stops sync.Map // *Spool -> func() error

// open opens dir with small segments and starts its flusher; the spool is
// shut at the end of the test unless shut before.
func open(t *testing.T, dir string, tune ...func(*Options)) (*Spool, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	opt := Options{Dir: dir, MaxBytes: 1 << 20, SegmentBytes: 4 << 10, SyncEvery: 10 * time.Millisecond, Logger: zerolog.New(logs)}
	for _, f := range tune {
		f(&opt)
	}
	s, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	stopFlusher := runFlusher(s)
	stops.Store(s, sync.OnceValue(func() error { stopFlusher(); return s.Close() }))
	t.Cleanup(func() { shut(t, s) })
	return s, logs
}

// shut stops the flusher and closes s, as the monitor does on its way out.
func shut(t *testing.T, s *Spool) {
	t.Helper()
	stop, _ := stops.Load(s)
	if err := stop.(func() error)(); err != nil {
		t.Fatal(err)
	}
}

func payload(i int) []byte {
	return fmt.Appendf(nil, `{"op":"transition","ws":"op122-%02d","at":"2026-11-27T16:05:00.%03dZ","to":"down"}`, i%100, i%1000)
}

func appendN(t *testing.T, s *Spool, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		seq, err := s.Append(payload(i))
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i) {
			t.Fatalf("entry %d numbered %d", i, seq)
		}
		if i%8 == 0 { // in batches, as the monitor's loop writes
			if err := s.Write(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Write(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads every entry left and checks they are from..to-1.
func readAll(t *testing.T, s *Spool, from, to int) {
	t.Helper()
	want := from
	for {
		es, err := s.Read(7)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			if e.Seq != uint64(want) || string(e.Payload) != string(payload(want)) {
				t.Fatalf("read %d %q, want %d %q", e.Seq, e.Payload, want, payload(want))
			}
			want++
		}
	}
	if want != to {
		t.Fatalf("read up to %d, want %d", want, to)
	}
}

// Entries come back in order across segments and restarts; what was
// acknowledged is not replayed, and numbering goes on.
func TestAppendReadAckReopen(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir)
	appendN(t, s, 1, 300) // about 25 KiB: several segments
	readAll(t, s, 1, 301)
	s.Ack(120)
	shut(t, s)

	s, _ = open(t, dir)
	if _, err := os.Stat(filepath.Join(dir, segName(1))); !os.IsNotExist(err) {
		t.Fatalf("the first segment, all acknowledged, is still there: %v", err)
	}
	var scanned []uint64
	if err := s.Scan(func(e Entry) error { scanned = append(scanned, e.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(scanned) != 180 || scanned[0] != 121 || scanned[179] != 300 {
		t.Fatalf("scanned %d entries %v..", len(scanned), scanned[:min(3, len(scanned))])
	}
	readAll(t, s, 121, 301)
	appendN(t, s, 301, 5)
	readAll(t, s, 301, 306)
	if st := s.Stats(); st.Pending != 185 {
		t.Fatalf("pending %d", st.Pending)
	}
}

// Acknowledged segments are deleted once the ack is synced; a full spool
// refuses entries until then, and takes them again after.
func TestFullAndReclaim(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir, func(o *Options) { o.MaxBytes = 16 << 10 })
	n := 0
	for {
		_, err := s.Append(payload(n + 1))
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Write(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := s.Write(); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Bytes > 16<<10 || st.Bytes < 15<<10 || st.Segments < 4 {
		t.Fatalf("full at %d entries: %+v", n, st)
	}
	readAll(t, s, 1, n+1)
	s.Ack(uint64(n))
	if err := s.Write(); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitSynced(context.Background(), uint64(n)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for { // the ack's own sync follows the entries'
		if _, err := s.Append(payload(n + 1)); err == nil {
			break
		} else if !errors.Is(err, ErrFull) {
			t.Fatal(err)
		}
		if err := s.Write(); err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		ch := s.syncedCh
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("never reclaimed: %+v", s.Stats())
		}
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) > 2 {
		t.Fatalf("acknowledged segments kept: %v", segs)
	}
}

// The flusher syncs at most once per SyncEvery however often entries come,
// and every entry is synced soon after it is written.
func TestGroupCommit(t *testing.T) {
	s, _ := open(t, t.TempDir(), func(o *Options) { o.SyncEvery = 50 * time.Millisecond; o.MaxBytes = 1 << 30; o.SegmentBytes = 64 << 20 })
	start := time.Now()
	var last uint64
	for i := 1; time.Since(start) < 300*time.Millisecond; i++ {
		seq, err := s.Append(payload(i))
		if err != nil {
			t.Fatal(err)
		}
		last = seq
		if err := s.Write(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WaitSynced(context.Background(), last); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if syncs := s.Stats().Syncs; syncs > uint64(elapsed/(50*time.Millisecond))+2 {
		t.Fatalf("%d fsyncs for %d writes in %v: want at most one per 50ms", syncs, last, elapsed)
	}
}

// Two processes never share a spool.
func TestLocked(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	if _, err := Open(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second Open: %v", err)
	}
}

// A torn last record (the process died mid-write) is cut off with a
// warning naming the file and offset; the entries before it survive and
// numbering goes on after them.
func TestTornTailTruncated(t *testing.T) {
	for name, tear := range map[string]func(b []byte) []byte{
		"partial header":  func(b []byte) []byte { return b[:len(b)-len(payload(10))-recHeader-bodyFixed+3] },
		"partial payload": func(b []byte) []byte { return b[:len(b)-5] },
		"bad CRC":         func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b },
		"zeros after":     func(b []byte) []byte { return append(b, make([]byte, 300)...) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := open(t, dir, func(o *Options) { o.SegmentBytes = 1 << 20 })
			appendN(t, s, 1, 10)
			shut(t, s)
			path := filepath.Join(dir, segName(1))
			b, _ := os.ReadFile(path)
			good := int64(len(b))
			if name != "zeros after" {
				good -= recordSize(len(payload(10)))
			}
			if err := os.WriteFile(path, tear(b), 0o600); err != nil {
				t.Fatal(err)
			}
			s, logs := open(t, dir)
			if got := logs.String(); !strings.Contains(got, "torn last record") || !strings.Contains(got, path) ||
				!strings.Contains(got, fmt.Sprintf(`"offset":%d`, good)) {
				t.Fatalf("log: %s", got)
			}
			if st, _ := os.Stat(path); st.Size() != good {
				t.Fatalf("size %d after truncation, want %d", st.Size(), good)
			}
			last := 10
			if name == "zeros after" {
				last = 11
			}
			readAll(t, s, 1, last)
			appendN(t, s, last, 3)
			shut(t, s)
			s, logs = open(t, dir)
			readAll(t, s, 1, last+3)
			if strings.Contains(logs.String(), "torn") {
				t.Fatalf("torn again: %s", logs)
			}
		})
	}
}

// A bad record followed by good ones, or in an older segment, is
// corruption: Open names the file and offset and leaves the file alone.
func TestCorruptMiddleIsError(t *testing.T) {
	for name, at := range map[string]struct {
		seg    uint64 // segment to damage
		record int    // record to damage in it (0: first)
	}{
		"middle of the last segment": {seg: 0, record: 3},
		"end of an older segment":    {seg: 1, record: -1},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := open(t, dir, func(o *Options) { o.SegmentBytes = 2 << 10 })
			appendN(t, s, 1, 60)
			shut(t, s)
			segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
			path := segs[len(segs)-1]
			if at.seg == 1 {
				path = segs[0]
			}
			b, _ := os.ReadFile(path)
			size := int(recordSize(len(payload(1))))
			off := int(headerSize) + at.record*size
			if at.record < 0 {
				off = len(b) - size
			}
			if off < int(headerSize) || off+size > len(b) {
				t.Fatalf("%s has %d bytes: too short for this test", path, len(b))
			}
			b[off+recHeader+3] ^= 0x55 // inside the sequence number
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(Options{Dir: dir})
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.File != path || ce.Offset != int64(off) {
				t.Fatalf("Open: %v, want corruption of %s at %d", err, path, off)
			}
			if after, _ := os.ReadFile(path); string(after) != string(b) {
				t.Fatal("the corrupt file was changed")
			}
		})
	}
}

// runFlusher starts s's flusher and returns what stops it.
func runFlusher(s *Spool) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	return func() { cancel(); <-done }
}
