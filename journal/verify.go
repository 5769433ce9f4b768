package journal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Problem says why Verify rejected a record.
type Problem string

// Problems Verify finds.
const (
	ProblemMissing    Problem = "missing"         // the record is not there
	ProblemMalformed  Problem = "malformed"       // a field is absent or unreadable
	ProblemSeq        Problem = "seq"             // its seq field differs from its place in the chain
	ProblemPrev       Problem = "prev_hash"       // its prev-hash is not the hash of the record before
	ProblemHash       Problem = "hash"            // its hash does not match its content
	ProblemHead       Problem = "head"            // the chain head does not name the last record
	ProblemBeyond     Problem = "beyond_head"     // a record exists after the head: the chain was cut
	ProblemIndex      Problem = "index"           // an entry's index lists other records than the chain
	ProblemKey        Problem = "key"             // the record is keyed and the journal has no key, or another
	ProblemDowngrade  Problem = "unkeyed"         // an unkeyed record follows keyed ones
	ProblemUnkeyed    Problem = "unkeyed_head"    // a key is configured and the chain does not end keyed
	ProblemAnchor     Problem = "anchor"          // the record's hash is not the one a report printed
	ProblemTransition Problem = "span_transition" // the record changes a span as deskwatch never does
	ProblemSpans      Problem = "spans"           // the store's spans differ from the chain's
)

// Result is the outcome of Verify.
type Result struct {
	OK    bool
	Count int64 // records verified; when not OK, the intact records before Seq

	// When not OK: the first record that does not fit, and why.
	Seq     int64
	Problem Problem
	Detail  string // in English, e.g. the missing field or the entry whose index differs

	// The chain head as found: print it on the signed report, so that a
	// chain rewritten from some record on is detected later.
	HeadSeq   int64
	HeadHash  string
	HeadKeyed bool // its hash is an HMAC with the journal's key

	Anchors int // VerifyOptions.Anchors found in the chain

	// With VerifyOptions.Spans: the spans compared, those equal to what
	// the chain last recorded of them, the differences that are findings
	// (ProblemSpans) and those the follower has yet to record (pending:
	// the verdict stays OK). The lists stop at maxDiffs, the counts do not.
	Spans, Matched            int
	Differ, Pending           []SpanDiff
	DifferCount, PendingCount int
	// Older counts the spans in Redis that ended before the journal began
	// (its first record, less Lookback): it never had them; not compared.
	Older int
}

// VerifyOptions add checks to Verify.
type VerifyOptions struct {
	// Anchors are chain heads printed on earlier reports: the record at
	// each Seq must still have that Hash.
	Anchors []Head
	// Spans, if set, gives the store's spans (asked for all the time the
	// store's index holds, 1970 to 2109): each must be what the chain last
	// recorded of it, but for changes the follower has yet to record
	// (doc.go, "Verify").
	Spans SpanSource
}

// Verify checks the chain alone: VerifyWith without options.
func (j *Journal) Verify(ctx context.Context) (Result, error) {
	return j.VerifyWith(ctx, VerifyOptions{})
}

// VerifyWith walks the chain from the first record: each must be there,
// with its seq, a hash equal to the SHA-256 (keyed: the HMAC-SHA256) of
// its canonical encoding (doc.go) and a prev-hash equal to the hash of the
// record before (64 zeros for the first); no unkeyed record may follow a
// keyed one, and with a key the chain must end keyed. Then the head must
// name the last record, no record may follow it, each entry's index must
// list exactly the entry's records, and each anchor must be in the chain.
// With opts.Spans, every span record must make a change deskwatch makes,
// and the store's spans must be what the chain last recorded. It returns
// the first problem, or OK with the count. The error is for Redis and the
// span source failing only.
func (j *Journal) VerifyWith(ctx context.Context, opts VerifyOptions) (Result, error) {
	h, err := j.readHead(ctx)
	switch {
	case errors.Is(err, errMalformedHead): // a finding, not a failure to verify
		return Result{Seq: 1, Problem: ProblemHead, Detail: err.Error()}, nil
	case err != nil:
		return Result{}, fmt.Errorf("journal: verify: %w", err)
	}
	res := Result{HeadSeq: h.seq, HeadHash: h.hash}
	fail := func(seq int64, p Problem, detail string) (Result, error) {
		res.Seq, res.Problem, res.Detail, res.Count = seq, p, detail, seq-1
		return res, nil
	}
	anchors := map[int64]string{}
	for _, a := range opts.Anchors {
		anchors[a.Seq] = a.Hash
	}
	var spans *spanCheck
	if opts.Spans != nil {
		spans = newSpanCheck()
	}

	index := map[string][]int64{} // entry -> its records, from the chain
	prev := genesis
	var keyedFrom int64 // the first keyed record
	for start := int64(1); start <= h.seq; start += readChunk {
		end := min(start+readChunk-1, h.seq)
		cmds := make([]*redis.MapStringStringCmd, 0, end-start+1)
		_, err := j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for seq := start; seq <= end; seq++ {
				cmds = append(cmds, p.HGetAll(ctx, j.recordKey(seq)))
			}
			return nil
		})
		if err != nil {
			return Result{}, fmt.Errorf("journal: verify: read records %d-%d: %w", start, end, err)
		}
		for i, c := range cmds {
			seq := start + int64(i)
			s := storedRecord(c.Val())
			if len(s) == 0 {
				return fail(seq, ProblemMissing, "")
			}
			for _, f := range s.fieldNames() {
				if _, ok := s[f]; !ok {
					return fail(seq, ProblemMalformed, "field "+f+" is absent")
				}
			}
			if s[fSeq] != strconv.FormatInt(seq, 10) {
				return fail(seq, ProblemSeq, "its seq field is "+strconv.Quote(s[fSeq]))
			}
			sum, err := j.hashOf(s)
			keyed := strings.HasPrefix(s[fAlg], algHMAC)
			switch {
			case errors.Is(err, ErrKey):
				return fail(seq, ProblemKey, strings.TrimSuffix(err.Error(), ": "+ErrKey.Error()))
			case err != nil:
				return fail(seq, ProblemMalformed, err.Error())
			case sum != s[fHash]:
				return fail(seq, ProblemHash, "")
			case s[fPrev] != prev:
				return fail(seq, ProblemPrev, "")
			case !keyed && keyedFrom > 0:
				return fail(seq, ProblemDowngrade, fmt.Sprintf("records from #%d on are keyed", keyedFrom))
			}
			if keyed && keyedFrom == 0 {
				keyedFrom = seq
			}
			if want, ok := anchors[seq]; ok {
				if want != s[fHash] {
					return fail(seq, ProblemAnchor, fmt.Sprintf("the report has %s, the chain %s", want, s[fHash]))
				}
				res.Anchors++
			}
			if spans != nil {
				if seq == 1 {
					spans.began, _ = parseTime(s[fAt])
				}
				if detail := spans.record(seq, Kind(s[fKind]), s[fPayload]); detail != "" {
					return fail(seq, ProblemTransition, detail)
				}
			}
			prev = s[fHash]
			index[s[fEntry]] = append(index[s[fEntry]], seq)
		}
	}
	if h.seq > 0 && h.hash != prev {
		return fail(h.seq, ProblemHead, "the head's hash is not the last record's")
	}
	switch n, err := j.rdb.Exists(ctx, j.recordKey(h.seq+1)).Result(); {
	case err != nil:
		return Result{}, fmt.Errorf("journal: verify: %w", err)
	case n > 0:
		return fail(h.seq+1, ProblemBeyond, "")
	}
	for _, a := range slices.SortedFunc(slices.Values(opts.Anchors), func(a, b Head) int { return int(a.Seq - b.Seq) }) {
		if a.Seq > h.seq {
			return fail(a.Seq, ProblemAnchor, fmt.Sprintf("the chain ends at record %d", h.seq))
		}
	}
	seq, detail, err := j.checkIndex(ctx, index)
	if err != nil {
		return Result{}, fmt.Errorf("journal: verify: %w", err)
	}
	if seq > 0 {
		return fail(seq, ProblemIndex, detail)
	}
	if j.hmacKey != nil && h.seq > 0 && keyedFrom == 0 {
		return fail(h.seq, ProblemUnkeyed, "")
	}
	res.OK, res.Count, res.HeadKeyed = true, h.seq, keyedFrom > 0
	if spans != nil {
		if err := j.compareSpans(ctx, opts.Spans, spans, &res); err != nil {
			return Result{}, fmt.Errorf("journal: verify: %w", err)
		}
	}
	return res, nil
}

// checkIndex compares each entry's index with its records in the chain and
// returns the lowest seq where one differs.
func (j *Journal) checkIndex(ctx context.Context, want map[string][]int64) (int64, string, error) {
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var (
		first               int64
		detail, firstDetail string
	)
	for start := 0; start < len(ids); start += readChunk {
		part := ids[start:min(start+readChunk, len(ids))]
		cmds := make([]*redis.StringSliceCmd, len(part))
		_, err := j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range part {
				cmds[i] = p.LRange(ctx, j.entryKey(id), 0, -1)
			}
			return nil
		})
		if err != nil {
			return 0, "", fmt.Errorf("read entry indexes: %w", err)
		}
		for i, c := range cmds {
			w, got := want[part[i]], c.Val()
			for k := range max(len(w), len(got)) {
				var seq int64
				switch {
				case k >= len(w): // an extra one
					if seq, _ = strconv.ParseInt(got[k], 10, 64); seq <= 0 {
						seq = w[k-1] + 1 // unreadable: just after the last good one
					}
					detail = fmt.Sprintf("the index of entry %s lists record %q too", label(part[i]), got[k])
				case k >= len(got) || got[k] != strconv.FormatInt(w[k], 10):
					seq = w[k]
					detail = fmt.Sprintf("the index of entry %s lacks record %d", label(part[i]), seq)
				default:
					continue
				}
				if first == 0 || seq < first {
					first, firstDetail = seq, detail
				}
				break
			}
		}
	}
	return first, firstDetail, nil
}

// label turns "2026-0017" into "17/2026".
func label(id string) string {
	if y, n, ok := parseEntryID(id); ok {
		return fmt.Sprintf("%d/%d", n, y)
	}
	if id == "" {
		return "(the chain's own records)"
	}
	return id
}
