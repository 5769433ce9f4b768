package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"deskwatch/health"
	"deskwatch/internal/journaltest"
)

// chainHarness runs the daemon over two closed outages of 2026Q3, waits
// until the journal has them and returns a CLI on the same configuration.
func chainHarness(t *testing.T, extraYAML string) (*harness, func(args ...string) (int, string), *redis.Client) {
	h := newHarness(t, "op122-01", "op122-02")
	h.extraYAML = extraYAML
	for _, d := range h.phones {
		h.pbx.Register(d, "sip:"+d+"@127.0.0.1:5060")
	}
	loc, _ := time.LoadLocation("Asia/Irkutsk")
	at := func(s string) time.Time { t, _ := time.ParseInLocation("2006-01-02 15:04", s, loc); return t.UTC() }
	var trs []health.Transition
	for i, d := range h.phones {
		from := at("2026-09-10 10:00").Add(time.Duration(i) * 24 * time.Hour)
		trs = append(trs,
			health.Transition{Workstation: d, At: from, From: health.StateUp, To: health.StateDown, Cause: health.CauseUnreachable, Source: health.SourceSIP},
			health.Transition{Workstation: d, At: from.Add(time.Hour), From: health.StateDown, To: health.StateUp, Source: health.SourceSIP})
	}
	if err := h.seedStore().Apply(context.Background(), trs); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.waitFor("the journal of the quarter", func() bool {
		var jr struct{ Journal []any }
		h.get("/api/v1/journal?period=2026Q3", &jr)
		return len(jr.Journal) == 2
	})
	cfg := filepath.Join(t.TempDir(), "deskwatch.yaml")
	if err := os.WriteFile(cfg, []byte(h.configText()), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		rc := run(append(args, "-config", cfg), &out, &errb)
		return rc, out.String() + errb.String()
	}
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr()})
	t.Cleanup(func() { rdb.Close() })
	return h, cli, rdb
}

// The attack of issue 13 against a real daemon's journal: a chain rewritten
// from record 5 verifies alone, not against the head a report printed; a
// span's end changed in Redis is named.
func TestJournalVerifyAnchorAndSpans(t *testing.T) {
	h, cli, rdb := chainHarness(t, "")
	out := filepath.Join(t.TempDir(), "q3.json")
	rc, o := cli("report", "-period", "2026Q3", "-format", "json", "-out", out)
	var rep struct {
		Head struct {
			Seq  int64
			Hash string
		} `json:"journal_head"`
	}
	b, _ := os.ReadFile(out)
	json.Unmarshal(b, &rep)
	anchor := strconv.FormatInt(rep.Head.Seq, 10) + ":" + rep.Head.Hash
	if rc != 0 || rep.Head.Seq < 5 || !strings.Contains(o, "journal head "+anchor) {
		t.Fatalf("report: rc %d %s, head %+v", rc, o, rep.Head)
	}
	// The journal goes on after the report.
	if code, b, _ := h.raw("POST", "/api/v1/journal/2026-0001/notes", `{"cause":"обрыв кабеля","by":"Иванов"}`); code != 200 || !strings.Contains(string(b), `"actor":"duty"`) {
		t.Fatalf("note: %d %s", code, b)
	}
	h.stop()
	if rc, o := cli("journal", "verify", "-anchor", anchor); rc != 0 || !strings.Contains(o, "Заголовки из отчётов совпадают: 1") ||
		!strings.Contains(o, "The spans in Redis match the journal: 2.") {
		t.Fatalf("verify with the anchor: rc %d\n%s", rc, o)
	}

	if err := journaltest.Forge(context.Background(), rdb, "dwtest", 5, "", func(r map[string]string) { r["by"] = "Злоумышленник" }); err != nil {
		t.Fatal(err)
	}
	if rc, o := cli("journal", "verify"); rc != 0 || !strings.Contains(o, "is intact") {
		t.Fatalf("a recomputed chain without an anchor: rc %d\n%s", rc, o)
	}
	rc, o = cli("journal", "verify", "-anchor", anchor)
	if rc != 1 || !strings.Contains(o, "запись № "+strconv.FormatInt(rep.Head.Seq, 10)) || !strings.Contains(o, "rewritten at or before") {
		t.Fatalf("with the anchor: rc %d\n%s", rc, o)
	}
	if rc, o := cli("journal", "verify", "-anchor", "5:nothex"); rc != 2 || !strings.Contains(o, "SEQ:HASH") {
		t.Fatalf("a bad anchor: rc %d\n%s", rc, o)
	}

	// A span's end moved in Redis.
	key := "dwtest:{ws:op122-01}:spans"
	ids := rdb.HKeys(context.Background(), key).Val()
	raw := rdb.HGet(context.Background(), key, ids[0]).Val()
	var rec struct{ End int64 }
	json.Unmarshal([]byte(raw), &rec)
	forged := strings.Replace(raw, strconv.FormatInt(rec.End, 10), strconv.FormatInt(rec.End+3600_000, 10), 1)
	rdb.HSet(context.Background(), key, ids[0], forged)
	if rc, o := cli("journal", "verify"); rc != 1 || !strings.Contains(o, "span "+ids[0]+": end in Redis") || !strings.Contains(o, "окончание в Redis") {
		t.Fatalf("a span changed in Redis: rc %d\n%s", rc, o)
	}
}

// With journal.key_file the daemon keys the chain: a rewrite without the
// key fails at once, and a check without the key says what it lacks.
func TestJournalKeyedChain(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "journal.key")
	if err := os.WriteFile(keyFile, []byte("c2VjcmV0LWtleS1mb3ItdGhlLWpvdXJuYWwtY2hhaW4=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h, cli, rdb := chainHarness(t, "journal:\n  key_file: "+keyFile+"\n")
	spans, _ := h.seedStore().Spans(context.Background(), storeQuery(time.Time{}, time.Time{}, "op122-02"))
	code, b, _ := h.raw("POST", "/api/v1/outages/"+spans[0].ID+"/exclusion", `{"category":"power","reason":"авария сети","by":"Иванов"}`)
	if code != 200 || !strings.Contains(string(b), `"by":"Иванов","actor":"duty"`) {
		t.Fatalf("exclusion: %d %s", code, b)
	}
	h.stop()
	if rc, o := cli("journal", "verify"); rc != 0 || !strings.Contains(o, "HMAC-SHA256") {
		t.Fatalf("keyed chain: rc %d\n%s", rc, o)
	}
	h.extraYAML = "" // the same configuration without the key
	noKey := filepath.Join(t.TempDir(), "deskwatch.yaml")
	if err := os.WriteFile(noKey, []byte(h.configText()), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if rc := run([]string{"journal", "verify", "-config", noKey}, &out, &out); rc != 1 || !strings.Contains(out.String(), "journal.key_file") {
		t.Fatalf("without the key: rc %d\n%s", rc, out.String())
	}
	if err := journaltest.Forge(context.Background(), rdb, "dwtest", 5, "", func(r map[string]string) { r["by"] = "Злоумышленник" }); err != nil {
		t.Fatal(err)
	}
	if rc, o := cli("journal", "verify"); rc != 1 || !strings.Contains(o, "запись № 5") || !strings.Contains(o, "record #5") {
		t.Fatalf("a rewrite without the key: rc %d\n%s", rc, o)
	}
}
