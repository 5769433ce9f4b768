package journal_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
	"deskwatch/internal/journaltest"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

// auditorHash is the record hash as doc.go describes it, written apart from
// the package.
func auditorHash(r map[string]string, key ...byte) string { return journaltest.Hash(r, key...) }

// build makes the same journal under pfx every time: the mixed day and
// three notes on entry 1/2026.
func build(t *testing.T, rdb *redis.Client, pfx string) *journal.Journal {
	t.Helper()
	j := newJournal(t, rdb, pfx)
	ingest(t, j, later, mixed()...)
	for i, by := range []string{"Иванов", "Петрова", "Сидоров"} {
		if _, err := j.AddNote(ctx, 2026, 1, journal.Note{Cause: ptr(fmt.Sprintf("причина %d", i)), By: by, At: later}); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

func TestChainAsDocumented(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	build(t, rdb, prefix)
	recs := chain(t, rdb, prefix)
	prev := strings.Repeat("0", 64)
	for i, r := range recs {
		if r["seq"] != strconv.Itoa(i+1) || r["prev"] != prev || auditorHash(r) != r["hash"] {
			t.Fatalf("record %d does not verify as documented: %v", i+1, r)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", r["at"]); err != nil {
			t.Errorf("record %d: at %q", i+1, r["at"])
		}
		prev = r["hash"]
	}
	head := rdb.HGetAll(ctx, prefix+":{journal}:head").Val()
	if head["seq"] != strconv.Itoa(len(recs)) || head["hash"] != prev {
		t.Fatalf("head %v", head)
	}
	if got := rdb.LRange(ctx, prefix+":{journal}:e:2026-0001", 0, -1).Val(); len(got) != 5+1+1+3 {
		t.Errorf("index of 1/2026: %v", got)
	}
	first := recs[0]
	if first["kind"] != "entry_opened" || first["entry"] != "2026-0001" || first["by"] != "deskwatch" ||
		first["payload"] != `{"year":2026,"number":1,"cause":"pbx","anchor":"2026-11-27T16:05:00.300Z"}` {
		t.Errorf("first record %v", first)
	}
	if r := recs[1]; r["payload"] != `{"span":"op122-01-20261127T160500.300Z","desk":"op122-01","hotlines":["122"],`+
		`"start":"2026-11-27T16:05:00.300Z","end":"2026-11-27T16:06:00.300Z","cause":"pbx","sources":["ari"]}` {
		t.Errorf("span_added payload %s", r["payload"])
	}
}

func TestVerify(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := build(t, rdb, prefix)
	n := int64(len(chain(t, rdb, prefix)))
	res, err := j.Verify(ctx)
	if err != nil || !res.OK || res.Count != n || res.HeadSeq != n || res.HeadHash != chain(t, rdb, prefix)[n-1]["hash"] {
		t.Fatalf("intact journal: %+v, %v", res, err)
	}

	empty, err := newJournal(t, rdb, "empty").Verify(ctx)
	if err != nil || !empty.OK || empty.Count != 0 {
		t.Fatalf("empty journal: %+v, %v", empty, err)
	}

	// Records 1-32 of 1/2026..8/2026; 1/2026 is records 1-7 and the three notes.
	notes := rdb.LRange(ctx, prefix+":{journal}:e:2026-0001", 0, -1).Val()
	noteSeq, _ := strconv.ParseInt(notes[len(notes)-2], 10, 64)

	tests := []struct {
		name    string
		tamper  func(pfx string)
		seq     int64
		problem journal.Problem
	}{
		{"payload changed", func(p string) {
			rdb.HSet(ctx, recKey(p, 5), "payload", `{"span":"op122-04-20261127T160501.200Z","desk":"op122-99"}`)
		}, 5, journal.ProblemHash},
		{"by changed", func(p string) { rdb.HSet(ctx, recKey(p, noteSeq), "by", "Никто") }, noteSeq, journal.ProblemHash},
		{"time changed", func(p string) { rdb.HSet(ctx, recKey(p, 3), "at", "2026-11-28T17:05:00.000Z") }, 3, journal.ProblemHash},
		{"payload changed and its hash recomputed", func(p string) {
			r := rdb.HGetAll(ctx, recKey(p, 5)).Val()
			r["payload"] = strings.Replace(r["payload"], "op122-04", "op122-99", 1)
			rdb.HSet(ctx, recKey(p, 5), "payload", r["payload"], "hash", auditorHash(r))
		}, 6, journal.ProblemPrev},
		{"record deleted", func(p string) { rdb.Del(ctx, recKey(p, 5)) }, 5, journal.ProblemMissing},
		{"field deleted", func(p string) { rdb.HDel(ctx, recKey(p, 4), "by") }, 4, journal.ProblemMalformed},
		{"records swapped", func(p string) {
			rdb.Rename(ctx, recKey(p, 5), p+"tmp")
			rdb.Rename(ctx, recKey(p, 6), recKey(p, 5))
			rdb.Rename(ctx, p+"tmp", recKey(p, 6))
		}, 5, journal.ProblemSeq},
		{"records swapped, seq fields too", func(p string) {
			rdb.Rename(ctx, recKey(p, 5), p+"tmp")
			rdb.Rename(ctx, recKey(p, 6), recKey(p, 5))
			rdb.Rename(ctx, p+"tmp", recKey(p, 6))
			rdb.HSet(ctx, recKey(p, 5), "seq", "5")
			rdb.HSet(ctx, recKey(p, 6), "seq", "6")
		}, 5, journal.ProblemHash},
		{"last record deleted", func(p string) { rdb.Del(ctx, recKey(p, n)) }, n, journal.ProblemMissing},
		{"chain cut at the head", func(p string) {
			rdb.HSet(ctx, p+":{journal}:head", "seq", n-1, "hash", rdb.HGet(ctx, recKey(p, n-1), "hash").Val())
		}, n, journal.ProblemBeyond},
		{"head forged", func(p string) { rdb.HSet(ctx, p+":{journal}:head", "hash", strings.Repeat("a", 64)) }, n, journal.ProblemHead},
		{"a note hidden from its entry", func(p string) {
			rdb.LRem(ctx, p+":{journal}:e:2026-0001", 1, strconv.FormatInt(noteSeq, 10))
		}, noteSeq, journal.ProblemIndex},
		{"a record listed under another entry", func(p string) {
			rdb.RPush(ctx, p+":{journal}:e:2026-0002", strconv.FormatInt(noteSeq, 10))
		}, noteSeq, journal.ProblemIndex},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pfx := fmt.Sprintf("t%d", i)
			j := build(t, rdb, pfx)
			tt.tamper(pfx)
			res, err := j.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK || res.Seq != tt.seq || res.Problem != tt.problem || res.Count != tt.seq-1 {
				t.Fatalf("Verify = %+v, want record %d: %s", res, tt.seq, tt.problem)
			}
			if !strings.Contains(res.Russian(), fmt.Sprintf("запись № %d", tt.seq)) || !strings.Contains(res.English(), fmt.Sprintf("record #%d", tt.seq)) {
				t.Errorf("messages:\n%s\n%s", res.Russian(), res.English())
			}
		})
	}
}

func TestReadsRefuseTamperedRecords(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := build(t, rdb, prefix)
	rdb.HSet(ctx, recKey(prefix, 2), "payload", `{"span":"x","desk":"op122-99","hotlines":[],"start":"2026-11-27T16:05:00.300Z","cause":"pbx","sources":[]}`)
	if _, err := j.Entry(ctx, 2026, 1); !errors.Is(err, journal.ErrTampered) {
		t.Errorf("Entry: err = %v, want ErrTampered", err)
	}
	if _, err := j.Entries(ctx, time.Time{}, time.Time{}); !errors.Is(err, journal.ErrTampered) {
		t.Errorf("Entries: err = %v, want ErrTampered", err)
	}
	if _, err := j.Entry(ctx, 2026, 2); err != nil {
		t.Errorf("an untouched entry: %v", err)
	}
}

func TestVerifyCommand(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := build(t, rdb, prefix)
	var out strings.Builder
	if err := journal.VerifyCommand(ctx, j, &out, journal.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	head := rdb.HGetAll(ctx, prefix+":{journal}:head").Val()
	want := fmt.Sprintf("Журнал учета работы АРМ цел: записей %[1]s, последняя № %[1]s, SHA-256 %[2]s.\n"+
		"The workstation journal is intact: %[1]s records, the last #%[1]s, SHA-256 %[2]s.\n", head["seq"], head["hash"])
	if out.String() != want {
		t.Errorf("output\n%s\nwant\n%s", out.String(), want)
	}

	rdb.HSet(ctx, recKey(prefix, 7), "payload", "{}")
	out.Reset()
	err := journal.VerifyCommand(ctx, j, &out, journal.VerifyOptions{})
	if !errors.Is(err, journal.ErrTampered) {
		t.Fatalf("err = %v, want ErrTampered", err)
	}
	want = "ЖУРНАЛ УЧЕТА РАБОТЫ АРМ НАРУШЕН: запись № 7 — хеш не совпадает с содержимым: запись изменена; исправных записей до неё: 6.\n" +
		"THE WORKSTATION JOURNAL IS BROKEN: record #7: its hash does not match its content: the record was changed; 6 intact records before it.\n"
	if out.String() != want {
		t.Errorf("output\n%s\nwant\n%s", out.String(), want)
	}
}

func TestScriptCacheFlushed(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j := newJournal(t, rdb, prefix)
	ingest(t, j, later, sp("op122-01", 0, health.CauseOffline))
	rdb.ScriptFlush(ctx)
	ingest(t, j, later, sp("op122-02", time.Hour, health.CauseOffline))
	if res, err := j.Verify(ctx); err != nil || !res.OK {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestCluster runs the journal through a ClusterClient against a Cluster
// node, which rejects scripts whose keys are not in one slot.
func TestCluster(t *testing.T) {
	t.Parallel() // the node takes seconds to start
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{redistest.StartCluster(t)}})
	t.Cleanup(func() { _ = rdb.Close() })
	j := newJournal(t, rdb, prefix)
	ingest(t, j, later, mixed()...)
	if _, err := j.AddNote(ctx, 2026, 1, journal.Note{Cause: ptr("Авария АТС"), By: "Иванов"}); err != nil {
		t.Fatal(err)
	}
	_ = rdb.ForEachShard(ctx, func(c2 context.Context, c *redis.Client) error { return c.ScriptFlush(c2).Err() })
	ingest(t, j, later, sp("op122-01", 10*time.Hour, health.CauseOffline))
	if es := allEntries(t, j); len(es) != 9 {
		t.Fatalf("%d entries", len(es))
	}
	if res, err := j.Verify(ctx); err != nil || !res.OK {
		t.Fatalf("%+v %v", res, err)
	}
}
