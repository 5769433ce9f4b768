package journal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Problem says why Verify rejected a record.
type Problem string

// Problems Verify finds.
const (
	ProblemMissing   Problem = "missing"     // the record is not there
	ProblemMalformed Problem = "malformed"   // a field is absent or unreadable
	ProblemSeq       Problem = "seq"         // its seq field differs from its place in the chain
	ProblemPrev      Problem = "prev_hash"   // its prev-hash is not the hash of the record before
	ProblemHash      Problem = "hash"        // its hash does not match its content
	ProblemHead      Problem = "head"        // the chain head does not name the last record
	ProblemBeyond    Problem = "beyond_head" // a record exists after the head: the chain was cut
	ProblemIndex     Problem = "index"       // an entry's index lists other records than the chain
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
	HeadSeq  int64
	HeadHash string
}

// Verify walks the chain from the first record: each must be there, with
// its seq, a hash equal to the SHA-256 of its canonical encoding (doc.go)
// and a prev-hash equal to the hash of the record before (64 zeros for the
// first). Then the head must name the last record, no record may follow
// it, and each entry's index must list exactly the entry's records. It
// returns the first record that does not fit, or OK with the count. The
// error is for Redis failures only.
func (j *Journal) Verify(ctx context.Context) (Result, error) {
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

	index := map[string][]int64{} // entry -> its records, from the chain
	prev := genesis
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
			for _, f := range recordFields {
				if _, ok := s[f]; !ok {
					return fail(seq, ProblemMalformed, "field "+f+" is absent")
				}
			}
			switch {
			case s[fSeq] != strconv.FormatInt(seq, 10):
				return fail(seq, ProblemSeq, "its seq field is "+strconv.Quote(s[fSeq]))
			case s.computeHash() != s[fHash]:
				return fail(seq, ProblemHash, "")
			case s[fPrev] != prev:
				return fail(seq, ProblemPrev, "")
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
	seq, detail, err := j.checkIndex(ctx, index)
	if err != nil {
		return Result{}, fmt.Errorf("journal: verify: %w", err)
	}
	if seq > 0 {
		return fail(seq, ProblemIndex, detail)
	}
	res.OK, res.Count = true, h.seq
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
	return id
}

// Messages of Result in Russian and English.

var problemText = map[Problem][2]string{
	ProblemMissing:   {"запись отсутствует", "the record is missing"},
	ProblemMalformed: {"запись повреждена", "the record is malformed"},
	ProblemSeq:       {"номер в записи не совпадает с её местом в цепочке", "its number does not match its place in the chain"},
	ProblemPrev:      {"ссылка на предыдущую запись (prev-hash) не совпадает с хешем предыдущей записи", "its prev-hash does not match the hash of the record before it"},
	ProblemHash:      {"хеш не совпадает с содержимым: запись изменена", "its hash does not match its content: the record was changed"},
	ProblemHead:      {"заголовок цепочки не указывает на последнюю запись", "the chain head does not point to the last record"},
	ProblemBeyond:    {"после последней записи цепочки есть ещё запись: цепочка укорочена", "a record follows the chain head: the chain was cut"},
	ProblemIndex:     {"указатель записей инцидента не совпадает с цепочкой", "an incident's record index does not match the chain"},
}

// Russian is a one-line verdict in Russian.
func (r Result) Russian() string {
	if r.OK {
		if r.Count == 0 {
			return "Журнал учета работы АРМ пуст: записей нет."
		}
		return fmt.Sprintf("Журнал учета работы АРМ цел: записей %d, последняя № %d, SHA-256 %s.", r.Count, r.HeadSeq, r.HeadHash)
	}
	return fmt.Sprintf("ЖУРНАЛ УЧЕТА РАБОТЫ АРМ НАРУШЕН: запись № %d — %s%s; исправных записей до неё: %d.",
		r.Seq, problemText[r.Problem][0], r.detail(), r.Count)
}

// English is a one-line verdict in English.
func (r Result) English() string {
	if r.OK {
		if r.Count == 0 {
			return "The workstation journal is empty: no records."
		}
		return fmt.Sprintf("The workstation journal is intact: %d records, the last #%d, SHA-256 %s.", r.Count, r.HeadSeq, r.HeadHash)
	}
	return fmt.Sprintf("THE WORKSTATION JOURNAL IS BROKEN: record #%d: %s%s; %d intact records before it.",
		r.Seq, problemText[r.Problem][1], r.detail(), r.Count)
}

func (r Result) detail() string {
	if r.Detail == "" {
		return ""
	}
	return " (" + r.Detail + ")"
}

// VerifyCommand runs Verify and prints the verdict in Russian and English,
// one line each: the `deskwatch journal verify` command. A broken chain is
// an error wrapping ErrTampered, so the command exits non-zero.
func VerifyCommand(ctx context.Context, j *Journal, w io.Writer) error {
	res, err := j.Verify(ctx)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "%s\n%s\n", res.Russian(), res.English()); err != nil {
		return err
	}
	if !res.OK {
		return fmt.Errorf("journal: record %d: %s: %w", res.Seq, res.Problem, ErrTampered)
	}
	return nil
}
