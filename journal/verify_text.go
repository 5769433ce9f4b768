package journal

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

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
	ProblemKey: {"запись подписана ключом (HMAC-SHA256), которого у проверки нет: укажите journal.key_file",
		"the record is keyed (HMAC-SHA256) with a key this check lacks: give journal.key_file"},
	ProblemDowngrade: {"запись без ключа после записей с ключом: цепочка переписана", "an unkeyed record follows keyed ones: the chain was rewritten"},
	ProblemUnkeyed: {"ключ журнала задан, но последняя запись им не подписана: цепочка переписана без ключа, или служба ещё не запускалась с ключом",
		"a key is configured but the last record is not keyed with it: the chain was rewritten without the key, or the daemon has not run with the key yet"},
	ProblemAnchor: {"хеш не совпадает с заголовком цепочки из отчёта: цепочка переписана на этой записи или раньше",
		"its hash is not the chain head a report printed: the chain was rewritten at or before this record"},
	ProblemTransition: {"запись меняет интервал так, как deskwatch не меняет", "the record changes a span in a way deskwatch never does"},
}

// verdicts are the texts of a verdict: [0] Russian, [1] English.
var verdicts = [2]struct {
	spans, broken, counted, empty, intact, anchors, matched, pending, older, more string
	diff                                                                          func(SpanDiff) string
}{{
	spans:   "ИНТЕРВАЛЫ В REDIS РАСХОДЯТСЯ С ЖУРНАЛОМ УЧЕТА РАБОТЫ АРМ: цепочка цела (записей %d, последняя № %d, %s %s), расхождений: %d — %s.",
	broken:  "ЖУРНАЛ УЧЕТА РАБОТЫ АРМ НАРУШЕН: запись № %d — %s%s",
	counted: "; исправных записей до неё: %d",
	empty:   "Журнал учета работы АРМ пуст: записей нет.",
	intact:  "Журнал учета работы АРМ цел: записей %d, последняя № %d, %s %s.",
	anchors: " Заголовки из отчётов совпадают: %d.",
	matched: " Интервалы в Redis совпадают с журналом: %d",
	pending: "; ещё не внесены в журнал (внесёт следящий процесс): %s",
	older:   " Интервалов, закончившихся до начала журнала (не сверяются): %d.",
	more:    "ещё", diff: SpanDiff.Russian,
}, {
	spans:   "THE SPANS IN REDIS DIFFER FROM THE WORKSTATION JOURNAL: the chain is intact (%d records, the last #%d, %s %s); %d differences: %s.",
	broken:  "THE WORKSTATION JOURNAL IS BROKEN: record #%d: %s%s",
	counted: "; %d intact records before it",
	empty:   "The workstation journal is empty: no records.",
	intact:  "The workstation journal is intact: %d records, the last #%d, %s %s.",
	anchors: " The chain heads from reports match: %d.",
	matched: " The spans in Redis match the journal: %d",
	pending: "; not journaled yet (the follower will): %s",
	older:   " Spans that ended before the journal began (not compared): %d.",
	more:    "more", diff: SpanDiff.English,
}}

// Russian is a one-line verdict in Russian.
func (r Result) Russian() string { return r.verdict(0) }

// English is a one-line verdict in English.
func (r Result) English() string { return r.verdict(1) }

func (r Result) verdict(lang int) string {
	v := verdicts[lang]
	switch {
	case r.Problem == ProblemSpans:
		return fmt.Sprintf(v.spans, r.Count, r.HeadSeq, r.alg(), r.HeadHash, r.DifferCount, diffList(r.Differ, r.DifferCount, v.diff, v.more))
	case !r.OK:
		s := fmt.Sprintf(v.broken, r.Seq, problemText[r.Problem][lang], r.detail())
		if r.Problem != ProblemAnchor { // the rewrite may be anywhere before it
			s += fmt.Sprintf(v.counted, r.Count)
		}
		return s + "."
	}
	s := v.empty
	if r.Count > 0 {
		s = fmt.Sprintf(v.intact, r.Count, r.HeadSeq, r.alg(), r.HeadHash)
	}
	if r.Anchors > 0 {
		s += fmt.Sprintf(v.anchors, r.Anchors)
	}
	if r.Spans > 0 || r.PendingCount > 0 {
		s += fmt.Sprintf(v.matched, r.Matched)
		if r.PendingCount > 0 {
			s += fmt.Sprintf(v.pending, diffList(r.Pending, r.PendingCount, v.diff, v.more))
		}
		s += "."
	}
	if r.Older > 0 {
		s += fmt.Sprintf(v.older, r.Older)
	}
	return s
}

func (r Result) alg() string {
	if r.HeadKeyed {
		return "HMAC-SHA256"
	}
	return "SHA-256"
}

func (r Result) detail() string {
	if r.Detail == "" {
		return ""
	}
	return " (" + r.Detail + ")"
}

// diffList joins the first ten differences and says how many more there are.
func diffList(ds []SpanDiff, total int, text func(SpanDiff) string, more string) string {
	var parts []string
	for _, d := range ds[:min(len(ds), 10)] {
		parts = append(parts, text(d))
	}
	s := strings.Join(parts, "; ")
	if n := total - len(parts); n > 0 {
		s += fmt.Sprintf("; … %s %d", more, n)
	}
	return s
}

var fieldRU = map[string]string{"desk": "АРМ", "start": "начало", "end": "окончание", "cause": "причина", "sources": "источники",
	"manual": "внесён вручную", "note": "примечание", "exclusion": "исключение"}

// Russian says the difference in Russian, e.g. "интервал X: окончание в
// Redis 2026-08-01T10:00:00Z, в журнале (запись № 123) 2026-08-01T11:00:00Z".
func (d SpanDiff) Russian() string {
	switch {
	case d.Field == "span" && d.Seq == 0:
		return fmt.Sprintf("интервал %s: есть в Redis, нет в журнале", d.Span)
	case d.Field == "span":
		return fmt.Sprintf("интервал %s: нет в Redis, есть в журнале (запись № %d)", d.Span, d.Seq)
	}
	return fmt.Sprintf("интервал %s: %s в Redis %s, в журнале (запись № %d) %s", d.Span, fieldRU[d.Field],
		shown(d.Field, d.Store, "нет"), d.Seq, shown(d.Field, d.Journal, "нет"))
}

// English says the difference in English, e.g. "span X: end in Redis
// 2026-08-01T10:00:00Z, in the journal (record 123) 2026-08-01T11:00:00Z".
func (d SpanDiff) English() string {
	switch {
	case d.Field == "span" && d.Seq == 0:
		return fmt.Sprintf("span %s: in Redis, not in the journal", d.Span)
	case d.Field == "span":
		return fmt.Sprintf("span %s: not in Redis, in the journal (record %d)", d.Span, d.Seq)
	}
	return fmt.Sprintf("span %s: %s in Redis %s, in the journal (record %d) %s", d.Span, d.Field,
		shown(d.Field, d.Store, "none"), d.Seq, shown(d.Field, d.Journal, "none"))
}

// shown is a value for people: times without zero milliseconds, none for "".
func shown(field, v, none string) string {
	if v == "" {
		return none
	}
	if field == "start" || field == "end" {
		if t, err := parseTime(v); err == nil {
			return t.Format(time.RFC3339Nano)
		}
	}
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(v)
}

// String is the head as reports print it and -anchor takes it: "SEQ:HASH".
func (h Head) String() string { return strconv.FormatInt(h.Seq, 10) + ":" + h.Hash }

var headForm = regexp.MustCompile(`^([1-9][0-9]*):([0-9a-f]{64})$`)

// ParseHead reads "SEQ:HASH" as a report prints the chain head.
func ParseHead(s string) (Head, error) {
	m := headForm.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return Head{}, fmt.Errorf("journal: chain head %q: want SEQ:HASH, e.g. 123:9f86d08…, as a report prints it", s)
	}
	seq, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return Head{}, fmt.Errorf("journal: chain head %q: %w", s, err)
	}
	return Head{Seq: seq, Hash: m[2]}, nil
}

// VerifyCommand runs VerifyWith and prints the verdict in Russian and
// English, one line each: the `deskwatch journal verify` command. A broken
// chain, or spans that differ from it, is an error wrapping ErrTampered (a
// chain it lacks the key for: ErrKey), so the command exits non-zero.
func VerifyCommand(ctx context.Context, j *Journal, w io.Writer, opts VerifyOptions) error {
	res, err := j.VerifyWith(ctx, opts)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "%s\n%s\n", res.Russian(), res.English()); err != nil {
		return err
	}
	switch {
	case res.OK:
		return nil
	case res.Problem == ProblemKey:
		return fmt.Errorf("journal: record %d: %w", res.Seq, ErrKey)
	}
	return fmt.Errorf("journal: record %d: %s: %w", res.Seq, res.Problem, ErrTampered)
}

// Head reads the chain's head: the record a report built now is anchored to.
func (j *Journal) Head(ctx context.Context) (Head, error) {
	h, err := j.readHead(ctx)
	if err != nil {
		return Head{}, fmt.Errorf("journal: %w", err)
	}
	return Head{Seq: h.seq, Hash: h.hash}, nil
}
