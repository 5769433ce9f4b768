package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
)

const (
	batchRecords = 500 // records per append script call
	maxAttempts  = 20  // plans per call when other writers keep appending
)

// Ingest brings spans into the journal. It is idempotent: ingesting the
// same spans again appends nothing. A span it has not seen joins the entry
// of its cause anchored less than Window away, or opens one (a manual span
// always opens one); a detected span younger than Settle waits for a later
// call. For spans it has seen it records what changed: a span that ended
// (and the entry, when its last span ended) and exclusions set, replaced or
// revoked. Spans are taken in order of (start, cause, ID), so their order in
// the slice does not matter. now is the time the records carry.
//
// Spans must have an ID, a workstation, a start, an end not before the
// start (or none) and a cause (empty is taken as "manual" for manual spans);
// otherwise Ingest returns a *ValidationError and writes nothing.
func (j *Journal) Ingest(ctx context.Context, spans []health.Span, now time.Time) error {
	_, err := j.ingest(ctx, spans, now, "")
	return err
}

// IngestBy is Ingest for a change a person just made through the API (a
// revoked exclusion): the records it causes name them instead of the system.
func (j *Journal) IngestBy(ctx context.Context, spans []health.Span, by string, now time.Time) error {
	_, err := j.ingest(ctx, spans, now, by)
	return err
}

// RecordManual journals a span entered by hand (as store.AddManual returned
// it) at once, naming who entered it, and returns its entry. Recording it
// again returns the same entry. Follow would journal the span too, but as
// entered by the system.
func (j *Journal) RecordManual(ctx context.Context, sp health.Span, by string, now time.Time) (Entry, error) {
	if !sp.Manual {
		return Entry{}, &ValidationError{"span.Manual", "false: RecordManual takes spans entered by hand"}
	}
	if err := checkText("by", by, maxBy); err != nil {
		return Entry{}, err
	}
	p, err := j.ingest(ctx, []health.Span{sp}, now, strings.TrimSpace(by))
	if err != nil {
		return Entry{}, err
	}
	year, number := p.entryOf(sp.ID)
	return j.Entry(ctx, year, number)
}

func (j *Journal) ingest(ctx context.Context, spans []health.Span, now time.Time, manualBy string) (*planner, error) {
	in, err := prepare(spans)
	if err != nil {
		return nil, err
	}
	if now.IsZero() {
		return nil, &ValidationError{"now", "zero time"}
	}
	now = truncMs(now)
	j.mu.Lock()
	defer j.mu.Unlock()
	for attempt := range maxAttempts {
		p, err := j.plan(ctx, in, now, manualBy)
		if err != nil {
			return nil, fmt.Errorf("journal: ingest %d spans: %w", len(in), err)
		}
		switch err := j.commit(ctx, p.batches); {
		case errors.Is(err, errHeadMoved):
			j.log.Debug().Msg("journal: the chain moved during ingest; planning again")
			if err := conflictPause(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		case err != nil:
			return nil, fmt.Errorf("journal: ingest %d spans: %w", len(in), err)
		}
		if p.deferred > 0 {
			j.log.Debug().Int("spans", p.deferred).Dur("settle", j.settle).Msg("journal: new spans wait to settle")
		}
		return p, nil
	}
	return nil, ErrConflict
}

// prepare validates spans, keeps their times to the millisecond, drops
// duplicate IDs (keeping the most advanced copy) and sorts them by start,
// cause and ID.
func prepare(spans []health.Span) ([]health.Span, error) {
	byID := make(map[string]health.Span, len(spans))
	for i, sp := range spans {
		sp = normalize(sp)
		if err := checkSpan(sp); err != nil {
			err.Field = fmt.Sprintf("spans[%d].%s", i, err.Field)
			return nil, err
		}
		if old, ok := byID[sp.ID]; !ok || moreAdvanced(sp, old) {
			byID[sp.ID] = sp
		}
	}
	out := slices.Collect(maps.Values(byID))
	slices.SortFunc(out, compareSpans)
	return out, nil
}

// normalize keeps a span's times to the millisecond, in UTC, and gives a
// manual span without a cause the manual cause.
func normalize(sp health.Span) health.Span {
	sp.Start, sp.End = truncMs(sp.Start), truncMs(sp.End)
	if sp.Exclusion != nil {
		ex := *sp.Exclusion
		ex.At = truncMs(ex.At)
		sp.Exclusion = &ex
	}
	if sp.Cause == "" && sp.Manual {
		sp.Cause = health.CauseManual
	}
	return sp
}

func checkSpan(sp health.Span) *ValidationError {
	switch {
	case sp.ID == "" || len(sp.ID) > 512:
		return &ValidationError{"ID", fmt.Sprintf("%q: want 1-512 bytes", sp.ID)}
	case sp.Workstation == "":
		return &ValidationError{"Workstation", "empty"}
	case sp.Start.IsZero() || sp.Start.Unix() < 0:
		return &ValidationError{"Start", "zero or before 1970"}
	case !sp.End.IsZero() && sp.End.Before(sp.Start):
		return &ValidationError{"End", "before Start"}
	case sp.Cause == "":
		return &ValidationError{"Cause", "empty"}
	case sp.Exclusion != nil && sp.Exclusion.Category == "":
		return &ValidationError{"Exclusion.Category", "empty"}
	}
	return nil
}

// moreAdvanced picks between two copies of a span: closed over open, a
// later end, a later exclusion.
func moreAdvanced(a, b health.Span) bool {
	if a.Open() != b.Open() {
		return !a.Open()
	}
	if c := a.End.Compare(b.End); c != 0 {
		return c > 0
	}
	switch {
	case a.Exclusion == nil:
		return false
	case b.Exclusion == nil:
		return true
	}
	return a.Exclusion.At.After(b.Exclusion.At)
}

// spanState is what the journal has recorded of a span (the spans hash).
type spanState struct {
	Entry     string            `json:"e"`
	End       int64             `json:"end,omitempty"` // ms; 0: open
	Exclusion *exclusionPayload `json:"x,omitempty"`
}

// summary is what the journal has recorded of an entry, for grouping and
// the time index (the sum hash).
type summary struct {
	Start  int64  `json:"start"`            // earliest span start, ms
	End    int64  `json:"end,omitempty"`    // latest end of its ended spans, ms
	Open   int    `json:"open,omitempty"`   // spans still open
	Closed int64  `json:"closed,omitempty"` // the end its last entry_closed stated, 0: none since it (re)opened
	Cause  string `json:"cause"`
	Manual bool   `json:"manual,omitempty"`
}

func (s *summary) add(start, end int64) {
	s.Start = min(s.Start, start)
	if end == 0 {
		s.Open++
	} else {
		s.End = max(s.End, end)
	}
}

// planner turns spans into records and index writes, in batches.
type planner struct {
	j        *Journal
	now      time.Time
	manualBy string

	head    head
	batches []*batch
	cur     *batch
	records int // in cur

	states     map[string]*spanState
	sums       map[string]*summary
	years      map[int]int
	dirtySpans map[string]bool
	dirtySums  map[string]bool
	dirtyYears map[int]bool
	touched    []string // entries changed in the batch, in order of first change
	deferred   int      // new spans left to settle
}

func newPlanner(j *Journal, now time.Time, h head) *planner {
	return &planner{j: j, now: now, head: h, cur: newBatch(h.hash, j.headKey()),
		states: map[string]*spanState{}, sums: map[string]*summary{}, years: map[int]int{},
		dirtySpans: map[string]bool{}, dirtySums: map[string]bool{}, dirtyYears: map[int]bool{}}
}

func (j *Journal) plan(ctx context.Context, spans []health.Span, now time.Time, manualBy string) (*planner, error) {
	// The head first: whatever is appended after it makes the commit fail.
	h, err := j.readHead(ctx)
	if err != nil {
		return nil, err
	}
	p := newPlanner(j, now, h)
	p.manualBy = manualBy
	if p.states, err = j.readStates(ctx, spans); err != nil {
		return nil, err
	}

	// What the spans need: the anchors near new spans, the summaries of
	// those entries and of entries whose spans changed, the year counters.
	var fresh []health.Span
	needSums := map[string]bool{}
	yearSet := map[int]bool{}
	for _, sp := range spans {
		st := p.states[sp.ID]
		switch {
		case st == nil && !sp.Manual && now.Sub(sp.Start) < j.settle:
			p.deferred++
		case st == nil:
			fresh = append(fresh, sp)
			yearSet[sp.Start.In(j.loc).Year()] = true
		case st.End == 0 && !sp.Open() || !sameExclusion(st.Exclusion, sp.Exclusion):
			needSums[st.Entry] = true
		}
	}
	g, err := j.readAnchors(ctx, fresh)
	if err != nil {
		return nil, err
	}
	for _, list := range g.anchors {
		for _, a := range list {
			needSums[a.ref] = true
		}
	}
	if err := j.readSums(ctx, slices.Sorted(maps.Keys(needSums)), p.sums); err != nil {
		return nil, err
	}
	if err := j.readYears(ctx, slices.Sorted(maps.Keys(yearSet)), p.years); err != nil {
		return nil, err
	}

	for _, sp := range spans {
		st := p.states[sp.ID]
		switch {
		case st == nil && (sp.Manual || now.Sub(sp.Start) >= j.settle):
			p.addSpan(sp, g)
		case st != nil:
			p.updateSpan(sp, st)
		}
		if p.records >= batchRecords {
			p.flush()
		}
	}
	p.flush()
	return p, nil
}

// addSpan journals a span seen for the first time.
func (p *planner) addSpan(sp health.Span, g *grouper[string]) {
	j := p.j
	by := j.system
	if sp.Manual && p.manualBy != "" {
		by = p.manualBy
	}
	id, ok := g.find(sp)
	if !ok {
		year := sp.Start.In(j.loc).Year()
		p.years[year]++
		p.dirtyYears[year] = true
		id = entryID(year, p.years[year])
		kind := KindEntryOpened
		if sp.Manual {
			kind = KindManual
		} else {
			g.add(sp.Cause, sp.Start, id)
			p.cur.op("ZADD", j.anchorsKey(string(sp.Cause)), strconv.FormatInt(ms(sp.Start), 10), id)
		}
		p.sums[id] = &summary{Start: ms(sp.Start), Cause: string(sp.Cause), Manual: sp.Manual}
		p.append(kind, id, by, openedPayload{Year: year, Number: p.years[year], Cause: string(sp.Cause), Anchor: fmtTime(sp.Start)})
	}
	pl := spanPayload{Span: sp.ID, Desk: sp.Workstation, Hotlines: p.hotlines(sp.Workstation), Start: fmtTime(sp.Start),
		Cause: string(sp.Cause), Sources: sources(sp), Manual: sp.Manual, Note: sp.Note}
	st := &spanState{Entry: id}
	if !sp.Open() {
		pl.End = fmtTime(sp.End)
		st.End = ms(sp.End)
	}
	p.append(KindSpanAdded, id, by, pl)
	g.join(id, sp.Workstation)
	if !sp.Manual {
		p.cur.op("SADD", j.desksKey(id), sp.Workstation)
	}
	p.sums[id].add(ms(sp.Start), st.End)
	if sp.Exclusion != nil {
		st.Exclusion = exclusionOf(sp)
		p.append(KindExclusion, id, sp.Exclusion.By, st.Exclusion)
	}
	p.states[sp.ID] = st
	p.dirtySpans[sp.ID] = true
	p.touch(id)
}

// updateSpan records what changed in a span already journaled.
func (p *planner) updateSpan(sp health.Span, st *spanState) {
	j := p.j
	id := st.Entry
	changed := false
	if st.End == 0 && !sp.Open() {
		st.End = ms(sp.End)
		p.append(KindSpanClosed, id, j.system, spanClosedPayload{Span: sp.ID, End: fmtTime(sp.End), Sources: sources(sp)})
		s := p.sums[id]
		s.Open--
		s.End = max(s.End, st.End)
		changed = true
	}
	if !sameExclusion(st.Exclusion, sp.Exclusion) {
		if sp.Exclusion == nil {
			revoked := *st.Exclusion
			st.Exclusion = nil
			by := j.system // found by the follower: who revoked is in the store's audit
			if p.manualBy != "" {
				by = p.manualBy
			}
			p.append(KindExclusionRevoked, id, by, revoked)
		} else {
			st.Exclusion = exclusionOf(sp)
			p.append(KindExclusion, id, sp.Exclusion.By, st.Exclusion)
		}
		changed = true
	}
	if changed {
		p.dirtySpans[sp.ID] = true
		p.touch(id)
	}
}

func (p *planner) touch(id string) {
	if !p.dirtySums[id] {
		p.dirtySums[id] = true
		p.touched = append(p.touched, id)
	}
}

// closeEntries appends entry_closed for the entries of the batch whose
// spans have all ended since they were last stated closed, and notes
// reopened ones.
func (p *planner) closeEntries() {
	for _, id := range p.touched {
		s := p.sums[id]
		switch {
		case s.Open == 0 && s.Closed != s.End:
			p.append(KindEntryClosed, id, p.j.system, entryClosedPayload{End: fmtTime(fromMs(s.End))})
			s.Closed = s.End
		case s.Open > 0:
			s.Closed = 0
		}
	}
	p.touched = p.touched[:0]
}

// entryOf is the entry a span is in, after the plan.
func (p *planner) entryOf(spanID string) (year, number int) {
	if st := p.states[spanID]; st != nil {
		year, number, _ = parseEntryID(st.Entry)
	}
	return year, number
}

func (p *planner) hotlines(desk string) []string {
	if h := p.j.hotlines[desk]; h != nil {
		return h
	}
	return []string{}
}

// append adds a record to the current batch.
func (p *planner) append(kind Kind, entry, by string, payload any) {
	raw, err := marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("journal: encode %s payload: %v", kind, err)) // payload types always encode
	}
	r := Record{Seq: p.head.seq + 1, At: p.now, Kind: kind, Entry: entry, By: by, Payload: raw, PrevHash: p.head.prev()}
	f := r.fields()
	p.cur.rec(p.j.recordKey(r.Seq), p.j.entryKey(entry), &f)
	p.head = head{r.Seq, f[7]}
	p.records++
}

// flush closes the current batch: entries whose spans have all ended are
// closed, and the index writes bring the indexes up to its last record, so
// that the batches applied so far always leave a consistent journal.
func (p *planner) flush() {
	p.closeEntries()
	if p.records == 0 {
		return
	}
	j, b := p.j, p.cur
	var kv []string
	for _, id := range slices.Sorted(maps.Keys(p.dirtySpans)) {
		kv = append(kv, id, mustJSON(p.states[id]))
	}
	if len(kv) > 0 {
		b.op("HSET", j.spansKey(), kv...)
	}
	kv, scores := kv[:0], []string(nil)
	for _, id := range slices.Sorted(maps.Keys(p.dirtySums)) {
		s := p.sums[id]
		kv = append(kv, id, mustJSON(s))
		scores = append(scores, strconv.FormatInt(indexScore(s), 10), id)
	}
	if len(kv) > 0 {
		b.op("HSET", j.sumKey(), kv...)
		b.op("ZADD", j.indexKey(), scores...)
	}
	kv = kv[:0]
	for _, y := range slices.Sorted(maps.Keys(p.dirtyYears)) {
		kv = append(kv, strconv.Itoa(y), strconv.Itoa(p.years[y]))
	}
	if len(kv) > 0 {
		b.op("HSET", j.yearsKey(), kv...)
	}
	b.close(p.head)
	p.batches = append(p.batches, b)
	clear(p.dirtySpans)
	clear(p.dirtySums)
	clear(p.dirtyYears)
	p.cur, p.records = newBatch(p.head.hash, j.headKey()), 0
}

// Reads for the plan.

func (j *Journal) readStates(ctx context.Context, spans []health.Span) (map[string]*spanState, error) {
	states := make(map[string]*spanState, len(spans))
	cmds := make([]*redis.SliceCmd, 0, len(spans)/readChunk+1)
	_, err := j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for start := 0; start < len(spans); start += readChunk {
			ids := make([]string, 0, readChunk)
			for _, sp := range spans[start:min(start+readChunk, len(spans))] {
				ids = append(ids, sp.ID)
			}
			cmds = append(cmds, p.HMGet(ctx, j.spansKey(), ids...))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read span states: %w", err)
	}
	i := 0
	for _, c := range cmds {
		for _, v := range c.Val() {
			id := spans[i].ID
			i++
			raw, ok := v.(string)
			if !ok {
				continue
			}
			st := &spanState{}
			if err := json.Unmarshal([]byte(raw), st); err != nil || st.Entry == "" {
				return nil, fmt.Errorf("span state of %s: malformed %q", id, raw)
			}
			states[id] = st
		}
	}
	return states, nil
}

// readAnchors seeds a grouper with the anchors of existing entries within
// Window of the new spans, per cause.
func (j *Journal) readAnchors(ctx context.Context, fresh []health.Span) (*grouper[string], error) {
	g := newGrouper[string](j.window)
	type bounds struct{ lo, hi int64 }
	byCause := map[health.Cause]*bounds{}
	for _, sp := range fresh {
		if sp.Manual {
			continue
		}
		b := byCause[sp.Cause]
		if b == nil {
			b = &bounds{ms(sp.Start), ms(sp.Start)}
			byCause[sp.Cause] = b
		}
		b.lo, b.hi = min(b.lo, ms(sp.Start)), max(b.hi, ms(sp.Start))
	}
	if len(byCause) == 0 {
		return g, nil
	}
	w := j.window.Milliseconds()
	cmds := map[health.Cause]*redis.ZSliceCmd{}
	_, err := j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for cause, b := range byCause {
			cmds[cause] = p.ZRangeByScoreWithScores(ctx, j.anchorsKey(string(cause)), &redis.ZRangeBy{
				Min: strconv.FormatInt(b.lo-w, 10), Max: strconv.FormatInt(b.hi+w, 10)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read anchors: %w", err)
	}
	var ids []string
	for cause, c := range cmds {
		for _, z := range c.Val() {
			id, _ := z.Member.(string)
			g.add(cause, fromMs(int64(z.Score)), id)
			ids = append(ids, id)
		}
	}
	desks := make([]*redis.StringSliceCmd, len(ids))
	_, err = j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			desks[i] = p.SMembers(ctx, j.desksKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read desks of entries: %w", err)
	}
	for i, c := range desks {
		for _, d := range c.Val() {
			g.join(ids[i], d)
		}
	}
	return g, nil
}

func (j *Journal) readSums(ctx context.Context, ids []string, into map[string]*summary) error {
	if len(ids) == 0 {
		return nil
	}
	vals, err := j.rdb.HMGet(ctx, j.sumKey(), ids...).Result()
	if err != nil {
		return fmt.Errorf("read entry summaries: %w", err)
	}
	for i, v := range vals {
		raw, _ := v.(string)
		s := &summary{}
		if err := json.Unmarshal([]byte(raw), s); err != nil {
			return fmt.Errorf("summary of entry %s: malformed %q", ids[i], raw)
		}
		into[ids[i]] = s
	}
	return nil
}

func (j *Journal) readYears(ctx context.Context, years []int, into map[int]int) error {
	if len(years) == 0 {
		return nil
	}
	fields := make([]string, len(years))
	for i, y := range years {
		fields[i] = strconv.Itoa(y)
	}
	vals, err := j.rdb.HMGet(ctx, j.yearsKey(), fields...).Result()
	if err != nil {
		return fmt.Errorf("read year counters: %w", err)
	}
	for i, v := range vals {
		n := 0
		if s, ok := v.(string); ok {
			if n, err = strconv.Atoi(s); err != nil {
				return fmt.Errorf("year counter %d: malformed %q", years[i], s)
			}
		}
		into[years[i]] = n
	}
	return nil
}

// Helpers.

func sources(sp health.Span) []string {
	out := make([]string, 0, len(sp.Sources)+1)
	for _, s := range sp.Sources {
		out = append(out, string(s))
	}
	if sp.Manual {
		out = append(out, string(health.SourceManual))
	}
	return sortedSet(out)
}

func exclusionOf(sp health.Span) *exclusionPayload {
	return &exclusionPayload{Span: sp.ID, Category: sp.Exclusion.Category, Reason: sp.Exclusion.Reason,
		At: fmtTime(sp.Exclusion.At), By: sp.Exclusion.By}
}

// sameExclusion compares a recorded exclusion with a span's.
func sameExclusion(rec *exclusionPayload, ex *health.Exclusion) bool {
	if rec == nil || ex == nil {
		return rec == nil && ex == nil
	}
	return rec.Category == ex.Category && rec.Reason == ex.Reason && rec.By == ex.By && rec.At == fmtTime(ex.At)
}

// marshal encodes compactly without escaping <, > and &, so the stored
// payloads read as they were written.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func mustJSON(v any) string {
	raw, err := marshal(v)
	if err != nil {
		panic(fmt.Sprintf("journal: encode %T: %v", v, err)) // plain structs always encode
	}
	return string(raw)
}

// conflictPause waits a random while before planning again after another
// process appended first, so that two writers do not keep colliding (the
// wait grows with the attempt, up to about 100 ms).
func conflictPause(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 7)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
