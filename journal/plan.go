package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"deskwatch/health"
)

// spanState is what the journal has recorded of a span (the spans hash).
// Sources and Fixed are nil and "" in states written before format 2.
type spanState struct {
	Entry     string         `json:"e"`
	End       int64          `json:"end,omitempty"` // ms; 0: open
	Sources   []string       `json:"s"`
	Fixed     string         `json:"f,omitempty"` // fixedDigest of what never changes
	Exclusion *exclusionBody `json:"x,omitempty"`
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
	j   *Journal
	now time.Time
	// by and actor name the person whose change this is (manual entries,
	// exclusions and revocations); empty: the system, for what it found.
	by, actor string

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

	// The maintenance windows, read at the first span record (planned).
	ctx     context.Context
	windows *windowIndex // nil: not read yet
	err     error        // reading them failed: nothing of the plan may be committed
}

func newPlanner(j *Journal, now time.Time, h head) *planner {
	return &planner{j: j, now: now, head: h, cur: newBatch(h.hash, j.headKey(), j.fenceKey()),
		states: map[string]*spanState{}, sums: map[string]*summary{}, years: map[int]int{},
		dirtySpans: map[string]bool{}, dirtySums: map[string]bool{}, dirtyYears: map[int]bool{}}
}

func (j *Journal) plan(ctx context.Context, spans []health.Span, now time.Time, by, actor string) (*planner, error) {
	// The head first: whatever is appended after it makes the commit fail.
	h, err := j.readHead(ctx)
	if err != nil {
		return nil, err
	}
	p := newPlanner(j, now, h)
	p.by, p.actor, p.ctx = by, actor, ctx
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
	if p.err != nil {
		return nil, p.err
	}
	return p, nil
}

// addSpan journals a span seen for the first time.
func (p *planner) addSpan(sp health.Span, g *grouper[string]) {
	j := p.j
	by, actor := j.system, j.system
	if sp.Manual && p.by != "" {
		by, actor = p.by, p.actor
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
		p.append(kind, id, by, actor, openedPayload{Year: year, Number: p.years[year], Cause: string(sp.Cause), Anchor: fmtTime(sp.Start)})
	}
	st := &spanState{Entry: id, Sources: sources(sp), Fixed: fixedDigest(sp)}
	if !sp.Open() {
		st.End = ms(sp.End)
	}
	p.append(KindSpanAdded, id, by, actor, spanPayload{Span: sp.ID, spanBody: p.body(sp, st)})
	g.join(id, sp.Workstation)
	if !sp.Manual {
		p.cur.op("SADD", j.desksKey(id), sp.Workstation)
	}
	p.sums[id].add(ms(sp.Start), st.End)
	if sp.Exclusion != nil {
		st.Exclusion = exclusionOf(sp)
		p.appendExclusion(KindExclusion, sp, st, st.Exclusion, sp.Exclusion.By)
	}
	p.states[sp.ID] = st
	p.dirtySpans[sp.ID] = true
	p.touch(id)
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
			p.append(KindEntryClosed, id, p.j.system, p.j.system, entryClosedPayload{End: fmtTime(fromMs(s.End))})
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
	if h := (*p.j.hotlines.Load())[desk]; h != nil {
		return h
	}
	return []string{}
}

// append adds a record to the current batch.
func (p *planner) append(kind Kind, entry, by, actor string, payload any) {
	raw, err := marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("journal: encode %s payload: %v", kind, err)) // payload types always encode
	}
	r := Record{Seq: p.head.seq + 1, At: p.now, Kind: kind, Entry: entry, By: by, Actor: actor, Payload: raw, PrevHash: p.head.prev()}
	f := p.j.seal(r)
	p.cur.rec(p.j.recordKey(r.Seq), p.j.entryKey(entry), &f)
	p.head = head{r.Seq, f[9]}
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
	p.cur, p.records = newBatch(p.head.hash, j.headKey(), j.fenceKey()), 0
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
