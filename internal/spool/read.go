package spool

import (
	"bytes"
	"fmt"
)

// readChunk is how much Read takes from a file at a time.
const readChunk = 1 << 20

// Read returns up to max entries after the last one read (after Open: the
// first not acknowledged), from what Write has handed to the kernel.
func (s *Spool) Read(max int) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	if max <= 0 {
		return nil, nil
	}
	err := s.walk(&s.rd, func(e Entry) bool { out = append(out, e); return len(out) < max })
	return out, err
}

// Scan calls fn with every entry Read has still to return, in order,
// without reading them; it stops at fn's first error and returns it.
func (s *Spool) Scan(fn func(Entry) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.rd
	var ferr error
	err := s.walk(&c, func(e Entry) bool { ferr = fn(e); return ferr == nil })
	if ferr != nil {
		return ferr
	}
	return err
}

// walk decodes the entries after c, moving c past each one it gives fn,
// until fn returns false or the written end. The caller holds mu.
func (s *Spool) walk(c *cursor, fn func(Entry) bool) error {
	var buf []byte
	for {
		seg := c.seg
		if c.off >= seg.size {
			i := s.index(seg)
			if i < 0 || i == len(s.segs)-1 {
				return nil
			}
			*c = cursor{seg: s.segs[i+1], off: headerSize, next: s.segs[i+1].first}
			continue
		}
		n := min(seg.size-c.off, readChunk)
		for {
			buf = grow(buf, int(n))
			if _, err := seg.f.ReadAt(buf, c.off); err != nil {
				return fmt.Errorf("spool: read %s at %d: %w", seg.path, c.off, err)
			}
			_, size, need, _ := parseRecord(buf)
			if size > 0 || need == 0 || int64(need) <= n || c.off+int64(need) > seg.size {
				break
			}
			n = int64(need) // one record longer than a chunk
		}
		for p := 0; p < len(buf); {
			r, size, need, problem := parseRecord(buf[p:])
			if size == 0 {
				if problem == "" && c.off+int64(need) <= seg.size {
					break // the rest comes with the next chunk
				}
				if problem == "" {
					problem = "incomplete record"
				}
				return &CorruptError{File: seg.path, Offset: c.off, Reason: problem}
			}
			if r.kind == kindEntry && r.seq != c.next {
				return &CorruptError{File: seg.path, Offset: c.off, Reason: fmt.Sprintf("entry %d where %d was expected", r.seq, c.next)}
			}
			p += size
			c.off += int64(size)
			if r.kind != kindEntry {
				continue
			}
			c.next++
			if !fn(Entry{Seq: r.seq, Payload: bytes.Clone(r.payload)}) {
				return nil
			}
		}
	}
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// index is seg's place in s.segs, or -1.
func (s *Spool) index(seg *segment) int {
	for i, x := range s.segs {
		if x == seg {
			return i
		}
	}
	return -1
}
