package store

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
	"deskwatch/spanindex"
)

// spanIDs are span IDs grouped by workstation.
type spanIDs struct {
	desks []string   // in the order first seen
	ids   [][]string // ids[i]: those of desks[i]
	count int        // of IDs
}

// idGrouper groups span IDs by workstation: it notes each ID's desk, then
// sorts them by desk at once (into one array, rather than a growing slice
// per desk).
type idGrouper struct {
	at    map[string]int32
	desks []string
	desk  []int32 // desk[i]: index in desks of ids[i]
	ids   []string
}

func (b *idGrouper) grow(n int) {
	b.desk = slices.Grow(b.desk, n)
	b.ids = slices.Grow(b.ids, n)
}

func (b *idGrouper) add(ws, id string) {
	d, ok := b.at[ws]
	if !ok {
		if b.at == nil {
			b.at = make(map[string]int32)
		}
		// A copy, so that the map's keys lie together rather than
		// scattered over the replies: lookups stay in the cache.
		ws = strings.Clone(ws)
		d = int32(len(b.desks))
		b.at[ws] = d
		b.desks = append(b.desks, ws)
	}
	b.desk = append(b.desk, d)
	b.ids = append(b.ids, id)
}

func (b *idGrouper) group() *spanIDs {
	g := &spanIDs{desks: b.desks, ids: make([][]string, len(b.desks)), count: len(b.ids)}
	end := make([]int, len(b.desks)) // of each desk's IDs in flat
	for _, d := range b.desk {
		end[d]++
	}
	sum := 0
	for d, n := range end {
		sum += n
		end[d] = sum
	}
	flat := make([]string, len(b.ids))
	for i := len(b.ids) - 1; i >= 0; i-- { // backwards: each desk's IDs keep their order
		d := b.desk[i]
		end[d]--
		flat[end[d]] = b.ids[i]
	}
	for d := range b.desks {
		to := len(flat)
		if d+1 < len(b.desks) {
			to = end[d+1]
		}
		g.ids[d] = flat[end[d]:to:to]
	}
	return g
}

// candidates returns the IDs, per workstation, of the spans that may
// overlap [lo, hi): from the global index, or from the workstations' own.
// It sends the range script's ZRANGEBYSCOREs (one per index level) directly,
// pipelined: they only read, and plain commands spare Redis the Lua tables.
// The replies are read raw, the IDs substrings of them.
func (s *Store) candidates(ctx context.Context, desks []string, lo, hi int64) (*spanIDs, error) {
	levels := spanindex.Ranges(lo, hi)
	if len(desks) == 0 {
		var replies []*rawReply
		err := s.pipelined(ctx, func(p redis.Pipeliner) {
			replies = queueRanges(ctx, p, s.key("spans"), levels[:], replies[:0])
		})
		if err != nil {
			return nil, fmt.Errorf("range global index: %w", err)
		}
		var b idGrouper
		b.grow(replyLens(replies))
		for _, r := range replies {
			err := eachString(r, func(id string) {
				if ws, ok := indexedWorkstation(id); ok {
					b.add(ws, id)
				}
			})
			if err != nil {
				return nil, fmt.Errorf("range global index: %w", err)
			}
		}
		return b.group(), nil
	}
	desks = slices.Compact(slices.Sorted(slices.Values(desks)))
	var replies []*rawReply
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		replies = replies[:0]
		for _, ws := range desks {
			replies = queueRanges(ctx, p, s.wsKey(ws, "index"), levels[:], replies)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("range workstation index: %w", err)
	}
	var b idGrouper
	b.grow(replyLens(replies))
	for i, r := range replies {
		ws := desks[i/len(levels)]
		if err := eachString(r, func(id string) { b.add(ws, id) }); err != nil {
			return nil, fmt.Errorf("range workstation index: %w", err)
		}
	}
	return b.group(), nil
}

// queueRanges queues the ZRANGEBYSCORE of each level of index and appends
// their replies to out.
func queueRanges(ctx context.Context, p redis.Pipeliner, index string, levels []spanindex.Range, out []*rawReply) []*rawReply {
	for _, r := range levels {
		out = append(out, queueRaw(ctx, p, 0, "zrangebyscore", index, r.Min, "("+strconv.FormatInt(r.Max, 10)))
	}
	return out
}

// replyLens returns the sum of the lengths of raw array replies, ignoring
// errors (eachString reports them).
func replyLens(replies []*rawReply) int {
	n := 0
	for _, r := range replies {
		if rd, err := r.reader(); err == nil {
			if k, err := rd.array(); err == nil {
				n += k
			}
		}
	}
	return n
}

// eachString calls f with each string of a raw array reply.
func eachString(reply *rawReply, f func(string)) error {
	r, err := reply.reader()
	if err != nil {
		return err
	}
	n, err := r.array()
	if err != nil {
		return err
	}
	for range n {
		v, ok, err := r.bulk()
		if err != nil {
			return err
		}
		if ok {
			f(v)
		}
	}
	return nil
}

// indexedWorkstation is workstationOf for IDs read from an index, which the
// store wrote: it checks their shape rather than parsing the time.
func indexedWorkstation(id string) (string, bool) {
	const stamp = len(idTime) // 20060102T150405.000Z
	i := len(id) - stamp
	if i < 2 {
		return "", false
	}
	for j := range stamp {
		c, want := id[i+j], idTime[j]
		if want >= '0' && want <= '9' {
			if c < '0' || c > '9' {
				return "", false
			}
		} else if c != want {
			return "", false
		}
	}
	ws := ""
	switch {
	case id[i-1] == '-':
		ws = id[:i-1]
	case id[i-1] == 'm' && i >= 3 && id[i-2] == '-':
		ws = id[:i-2]
	default:
		return "", false
	}
	return ws, validToken(ws)
}

// recordSizeHint is about the size of a record in an HMGET reply.
const recordSizeHint = 160

// fetchBatch is about how many records one pipeline fetches. Records are
// fetched batch by batch, the next one while the caller works through the
// last, so that Redis, reading the replies and decoding them overlap.
var fetchBatch = 16_384

// fetchRecords fetches the records of g's IDs, one HMGET per workstation,
// and calls f with each, in the order of g; IDs without a record are
// skipped. The record's strings share the reply's memory; the record
// itself is reused, f must copy what it keeps. f runs on the caller's
// goroutine; an error from it stops the fetch and is returned.
func (s *Store) fetchRecords(ctx context.Context, g *spanIDs, f func(*record) error) error {
	type batch struct {
		replies []*rawReply
		err     error
	}
	// fetch pipelines the HMGETs of g.desks[from:to].
	fetch := func(ctx context.Context, from, to int) batch {
		var replies []*rawReply
		err := s.pipelined(ctx, func(p redis.Pipeliner) {
			replies = replies[:0]
			for i := from; i < to; i++ {
				list := g.ids[i]
				args := make([]any, 2+len(list))
				args[0], args[1] = "hmget", s.wsKey(g.desks[i], "spans")
				for j := range list {
					args[2+j] = &list[j] // a pointer fits an interface without allocating
				}
				replies = append(replies, queueRaw(ctx, p, recordSizeHint*len(list), args...))
			}
		})
		return batch{replies, err}
	}
	decode := func(b batch) error {
		if b.err != nil {
			return fmt.Errorf("read spans: %w", b.err)
		}
		var r record // one for all: f must not keep it
		for _, reply := range b.replies {
			var ferr error
			err := eachString(reply, func(raw string) {
				if ferr != nil {
					return
				}
				var err error
				if r, err = decodeRecord(raw); err == nil {
					err = f(&r)
				}
				ferr = err
			})
			if err != nil {
				return fmt.Errorf("read spans: %w", err)
			}
			if ferr != nil {
				return ferr
			}
		}
		return nil
	}
	// Batches: runs of desks with about fetchBatch IDs.
	var cuts []int
	n := 0
	for i, list := range g.ids {
		n += len(list)
		if n >= fetchBatch || i == len(g.ids)-1 {
			cuts = append(cuts, i+1)
			n = 0
		}
	}
	if len(cuts) <= 1 {
		return decode(fetch(ctx, 0, len(g.desks)))
	}
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan batch, 1)
	go func() {
		defer close(batches)
		from := 0
		for _, to := range cuts {
			b := fetch(ctx, from, to)
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
			if b.err != nil {
				return
			}
			from = to
		}
	}()
	defer func() {
		cancel()
		for range batches { // let the fetcher finish
		}
	}()
	done := 0
	for b := range batches {
		if err := decode(b); err != nil {
			return err
		}
		done++
	}
	if done < len(cuts) { // the fetcher stopped: ctx is done
		return fmt.Errorf("read spans: %w", ctx.Err())
	}
	return nil
}

// sortSpans sorts spans newest start first, then by ID, descending. It
// sorts small keys (by radix when there are many) and then moves each span
// once.
func sortSpans(spans []health.Span) {
	type key struct {
		start int64
		i     int32
	}
	keys := make([]key, len(spans))
	radix := len(spans) >= 1024
	var lo, hi int64 = math.MaxInt64, math.MinInt64
	for i := range spans {
		ms := spans[i].Start.UnixMilli()
		keys[i] = key{ms, int32(i)}
		lo, hi = min(lo, ms), max(hi, ms)
	}
	byID := func(a, b key) int { return strings.Compare(spans[b.i].ID, spans[a.i].ID) }
	if !radix {
		slices.SortFunc(keys, func(a, b key) int {
			if a.start != b.start {
				return cmp.Compare(b.start, a.start)
			}
			return byID(a, b)
		})
	} else {
		// LSD radix sort on hi - start (ascending: newest first), 11 bits
		// a pass, as many passes as the spread of starts needs; then the
		// runs of equal starts by ID.
		tmp := make([]key, len(keys))
		spread := uint64(hi - lo)
		for shift := 0; shift == 0 || spread>>shift != 0; shift += 11 {
			var count [1 << 11]int
			for _, k := range keys {
				count[(uint64(hi-k.start)>>shift)&(1<<11-1)]++
			}
			sum := 0
			for d, c := range count {
				count[d], sum = sum, sum+c
			}
			for _, k := range keys {
				d := (uint64(hi-k.start) >> shift) & (1<<11 - 1)
				tmp[count[d]] = k
				count[d]++
			}
			keys, tmp = tmp, keys
		}
		for i := 0; i < len(keys); {
			j := i + 1
			for j < len(keys) && keys[j].start == keys[i].start {
				j++
			}
			if j-i > 1 {
				slices.SortFunc(keys[i:j], byID)
			}
			i = j
		}
	}
	// Move the spans into place, following the permutation's cycles:
	// position j takes the span at keys[j].i.
	for j := range keys {
		if int(keys[j].i) == j || keys[j].i < 0 {
			continue
		}
		held := spans[j]
		cur := j
		for {
			from := int(keys[cur].i)
			keys[cur].i = -1
			if from == j {
				spans[cur] = held
				break
			}
			spans[cur] = spans[from]
			cur = from
		}
	}
}
