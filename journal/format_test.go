package journal_test

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/journaltest"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

// loadFixture writes testdata/chain-v1.json into Redis: a journal (prefix
// "fx") written by deskwatch before record format 2, and the spans it
// followed.
func loadFixture(t *testing.T, rdb *redis.Client) []health.Span {
	t.Helper()
	raw, err := os.ReadFile("testdata/chain-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Keys []struct {
			Key, Type string
			Value     json.RawMessage
		}
		Spans []health.Span
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	for _, k := range fx.Keys {
		var err error
		switch k.Type {
		case "hash":
			var m map[string]string
			json.Unmarshal(k.Value, &m)
			err = rdb.HSet(ctx, k.Key, m).Err()
		case "list", "set":
			var l []string
			json.Unmarshal(k.Value, &l)
			if k.Type == "list" {
				err = rdb.RPush(ctx, k.Key, l).Err()
			} else {
				err = rdb.SAdd(ctx, k.Key, l).Err()
			}
		case "zset":
			var pairs [][2]json.RawMessage
			json.Unmarshal(k.Value, &pairs)
			for _, p := range pairs {
				var m string
				var s float64
				json.Unmarshal(p[0], &m)
				json.Unmarshal(p[1], &s)
				if err = rdb.ZAdd(ctx, k.Key, redis.Z{Score: s, Member: m}).Err(); err != nil {
					break
				}
			}
		case "string":
			var v string
			json.Unmarshal(k.Value, &v)
			err = rdb.Set(ctx, k.Key, v, 0).Err()
		}
		if err != nil {
			t.Fatalf("%s: %v", k.Key, err)
		}
	}
	return fx.Spans
}

// A chain written before record format 2 still verifies, its spans match
// the store's, and new records (format 2, then keyed) continue it.
func TestFormat1ChainStillVerifies(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	spans := loadFixture(t, rdb)
	j := newJournal(t, rdb, "fx")
	recs := chain(t, rdb, "fx")
	if len(recs) == 0 || recs[0]["alg"] != "" {
		t.Fatalf("the fixture is not a format 1 chain: %v", recs[:1])
	}
	res, err := j.VerifyWith(ctx, journal.VerifyOptions{Spans: newSource(spans...)})
	if err != nil || !res.OK || res.Count != int64(len(recs)) || res.Matched != len(spans) || res.PendingCount != 0 {
		t.Fatalf("format 1 chain: %+v %v", res, err)
	}
	e := entry(t, j, 2026, 6) // the excluded span's, with its revocation and new exclusion
	if e.ExclusionCategory != "carrier" || e.History[len(e.History)-1].Actor != "" {
		t.Fatalf("entry 6/2026 %+v", state(e))
	}

	// The open span ends; a new one comes: format 2 records after format 1.
	for i, s := range spans {
		if s.Open() {
			spans[i].End = s.Start.Add(time.Hour)
		}
	}
	spans = append(spans, sp("op122-10", 6*time.Hour, health.CauseOffline))
	ingest(t, j, later.Add(3*time.Hour), spans...)
	recs2 := chain(t, rdb, "fx")
	if len(recs2) <= len(recs) {
		t.Fatal("nothing appended")
	}
	for _, r := range recs2[len(recs):] {
		if r["alg"] != "sha256" || r["actor"] != journal.DefaultSystem || auditorHash(r) != r["hash"] {
			t.Fatalf("new record %v", r)
		}
	}
	if closed := recs2[len(recs)]; closed["kind"] != "span_closed" || !strings.Contains(closed["payload"], `"desk":"op122-09"`) {
		t.Errorf("the close of the span open in format 1: %v", closed)
	}
	res, err = j.VerifyWith(ctx, journal.VerifyOptions{Spans: newSource(spans...)})
	if err != nil || !res.OK || res.Matched != len(spans) {
		t.Fatalf("mixed chain: %+v %v", res, err)
	}

	// A key is introduced: the chain goes on keyed, and verifies with it.
	key := []byte(strings.Repeat("k", 32))
	jk := newJournal(t, rdb, "fx", func(o *journal.Options) { o.Key = key })
	if res, _ := jk.Verify(ctx); res.OK || res.Problem != journal.ProblemUnkeyed || res.Seq != int64(len(recs2)) {
		t.Fatalf("a key and no keyed record yet: %+v", res)
	}
	if _, err := jk.AddNote(ctx, 2026, 1, journal.Note{Actions: ptr("замена блока питания"), By: "Иванов", Actor: "duty"}); err != nil {
		t.Fatal(err)
	}
	last := chain(t, rdb, "fx")[len(recs2)]
	if !strings.HasPrefix(last["alg"], "hmac-sha256:") || last["actor"] != "duty" || auditorHash(last, key...) != last["hash"] {
		t.Fatalf("keyed record %v", last)
	}
	if res, err := jk.VerifyWith(ctx, journal.VerifyOptions{Spans: newSource(spans...)}); err != nil || !res.OK || !res.HeadKeyed {
		t.Fatalf("keyed after unkeyed: %+v %v", res, err)
	}
	if !strings.Contains(mustVerify(t, jk).Russian(), "HMAC-SHA256") {
		t.Error("the verdict does not say the chain is keyed")
	}
	// Without the key the keyed record cannot be checked, nor read.
	res, _ = j.Verify(ctx)
	if res.OK || res.Problem != journal.ProblemKey || res.Seq != int64(len(recs2))+1 {
		t.Fatalf("keyed chain checked without the key: %+v", res)
	}
	if _, err := j.Entry(ctx, 2026, 1); !errors.Is(err, journal.ErrKey) {
		t.Fatalf("reading a keyed record without the key: %v", err)
	}
	other := newJournal(t, rdb, "fx", func(o *journal.Options) { o.Key = []byte(strings.Repeat("o", 32)) })
	if res, _ := other.Verify(ctx); res.OK || res.Problem != journal.ProblemKey || !strings.Contains(res.Detail, "configured key") {
		t.Fatalf("with another key: %+v", res)
	}
}

func mustVerify(t *testing.T, j *journal.Journal) journal.Result {
	t.Helper()
	res, err := j.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestKeyTooShort(t *testing.T) {
	var ve *journal.ValidationError
	_, err := journal.New(newClient(t, "127.0.0.1:1"), journal.Options{Location: irkutsk, Key: []byte("short")}, zerolog.Nop())
	if !errors.As(err, &ve) || ve.Field != "Key" {
		t.Fatalf("err = %v", err)
	}
}

// Follow marks a chain keyed at once, without waiting for an incident.
func TestFollowMarksTheChainKeyed(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	ingest(t, newJournal(t, rdb, prefix), later, sp("op122-01", 0, health.CauseOffline))
	key := []byte(strings.Repeat("k", 40))
	j := newJournal(t, rdb, prefix, func(o *journal.Options) { o.Key = key })
	follow(t, j, newSource())
	eventually(t, "the chain_keyed record", func() bool { return mustVerify(t, j).OK })
	recs := chain(t, rdb, prefix)
	last := recs[len(recs)-1]
	if last["kind"] != "chain_keyed" || last["entry"] != "" || !strings.HasPrefix(last["alg"], "hmac-sha256:") ||
		!strings.Contains(last["payload"], last["alg"]) {
		t.Fatalf("last record %v", last)
	}
	time.Sleep(50 * time.Millisecond) // more passes append nothing
	if n := len(chain(t, rdb, prefix)); n != len(recs) {
		t.Errorf("%d records, want %d", n, len(recs))
	}
}

// forge is the attack of issue 13: record from rewritten, every hash after
// it and the head recomputed, without the key.
func forge(t *testing.T, rdb *redis.Client, pfx string, from int64, alg string, change func(r map[string]string)) {
	t.Helper()
	if err := journaltest.Forge(ctx, rdb, pfx, from, alg, change); err != nil {
		t.Fatal(err)
	}
}

func TestRewriteFromRecord5(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	rewrite := func(r map[string]string) { r["payload"] = strings.Replace(r["payload"], "op122-04", "op122-99", 1) }
	anchored := func(t *testing.T, j *journal.Journal) journal.Head {
		// The head as a report printed it, then more records.
		h, err := j.Head(ctx)
		if err != nil || h.Seq < 6 {
			t.Fatalf("head %v %v", h, err)
		}
		ingest(t, j, later, sp("op117-09", 10*time.Hour, health.CauseOffline))
		return h
	}

	t.Run("unkeyed", func(t *testing.T) {
		j := build(t, rdb, "plain")
		anchor := anchored(t, j)
		forge(t, rdb, "plain", 5, "", rewrite)
		if res := mustVerify(t, j); !res.OK {
			t.Fatalf("without an anchor a recomputed chain looks intact: %+v", res)
		}
		res, err := j.VerifyWith(ctx, journal.VerifyOptions{Anchors: []journal.Head{anchor}})
		if err != nil || res.OK || res.Problem != journal.ProblemAnchor || res.Seq != anchor.Seq {
			t.Fatalf("with the anchor from the report: %+v %v", res, err)
		}
		if !strings.Contains(res.Russian(), "запись № "+strconv.FormatInt(anchor.Seq, 10)) || !strings.Contains(res.English(), "rewritten at or before") {
			t.Errorf("verdict:\n%s\n%s", res.Russian(), res.English())
		}
		if res, _ := j.VerifyWith(ctx, journal.VerifyOptions{Anchors: []journal.Head{{Seq: 999, Hash: anchor.Hash}}}); res.OK || res.Problem != journal.ProblemAnchor {
			t.Errorf("an anchor beyond the head: %+v", res)
		}
	})

	key := []byte(strings.Repeat("s", 32))
	keyed := func(o *journal.Options) { o.Key = key }
	for _, tt := range []struct {
		name    string
		from    int64
		alg     string
		seq     int64
		problem journal.Problem
	}{
		{"keyed, recomputed as if plain", 5, "", 5, journal.ProblemHash},
		{"keyed, rewritten unkeyed from record 5", 5, "sha256", 5, journal.ProblemDowngrade},
		{"keyed, rewritten unkeyed from record 1", 1, "sha256", 0, journal.ProblemUnkeyed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pfx := "k" + strconv.FormatInt(tt.from, 10) + tt.alg
			j := newJournal(t, rdb, pfx, keyed)
			ingest(t, j, later, mixed()...)
			if res := mustVerify(t, j); !res.OK || !res.HeadKeyed {
				t.Fatalf("keyed chain %+v", res)
			}
			n := int64(len(chain(t, rdb, pfx)))
			change := func(r map[string]string) {}
			if tt.from == 5 {
				change = rewrite
			}
			forge(t, rdb, pfx, tt.from, tt.alg, change)
			res := mustVerify(t, j)
			if want := cmpOr(tt.seq, n); res.OK || res.Problem != tt.problem || res.Seq != want {
				t.Fatalf("Verify = %+v, want record %d: %s", res, want, tt.problem)
			}
			var out strings.Builder
			if err := journal.VerifyCommand(ctx, j, &out, journal.VerifyOptions{}); !errors.Is(err, journal.ErrTampered) {
				t.Errorf("VerifyCommand: %v\n%s", err, out.String())
			}
		})
	}
}

func cmpOr(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

func TestParseHead(t *testing.T) {
	h := journal.Head{Seq: 123, Hash: strings.Repeat("ab", 32)}
	got, err := journal.ParseHead(" " + strings.ToUpper(h.String()) + "\n")
	if err != nil || got != h {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "123", "0:" + h.Hash, "12:" + h.Hash[1:], "x:" + h.Hash, "-1:" + h.Hash} {
		if _, err := journal.ParseHead(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if h.String() != "123:"+h.Hash {
		t.Errorf("String() = %q", h.String())
	}
}
