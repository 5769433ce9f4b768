package store

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
)

// recordCorpus holds records as the store writes them and near misses.
var recordCorpus = []string{
	`{"ws":"op00001","sources":"ari","start":1782864000212,"cause":"unreachable","end":1782867600212,"id":"op00001-20260701T000000.212Z"}`,
	`{"id":"d1-m20261127T180500.212Z","ws":"d1","start":1795802700212,"end":1795806300212,"cause":"manual","sources":"manual","manual":true,"note":"headset dead"}`,
	`{"exclusion":{"at":"2026-11-27T22:05:00.212Z","by":"head2","category":"carrier","reason":"трасса оборвана"},"sources":"ari","ws":"d1","end":1795791900212,"id":"d1-20261127T160500.212Z","cause":"unregistered","start":1795788300212}`,
	`{"exclusion":{"at":"2026-11-27T22:05:00.212Z","by":"a\/b","category":"power","reason":"x"},"id":"x"}`,
	`{"sources":"ari,sip","ws":"w","start":0,"id":"w-19700101T000000.000Z"}`,
	`{"note":"x\"\\ \u007f \u0001 é","id":"a\/b"}`,
	`{"note":"привет, мир","ws":"w"}`,
	`{"note":"\u003cb\u003e","ws":"w"}`,
	`{"note":"a\nb"}`,
	`{"manual":false,"start":-5}`,
	`{}`,
	`{"start":1.5}`,
	`{"start":1e3}`,
	`{"start":1E3}`,
	`{"start":0123}`,
	`{"start":-0}`,
	`{"start":123456789012345678}`,
	`{"start":1234567890123456789}`,
	`{"start":12345678901234567890}`,
	`{"start":"1"}`,
	`{"start":null}`,
	`{"exclusion":null}`,
	`{"exclusion":{"at":"not a time"}}`,
	`{"exclusion":{"category":"power"},"exclusion":{"by":"x"}}`,
	`{"id":"a","id":"b"}`,
	`{"ID":"a"}`,
	`{"Ws":"a"}`,
	`{"other":1,"id":"a"}`,
	`{ "id":"a"}`,
	`{"id" :"a"}`,
	`{"id":"a" }`,
	`{"id":"a"} `,
	`{"id":"a"}x`,
	`{"id":"a",}`,
	`{"id":"a"`,
	`{"id":"a`,
	`{"id":`,
	`{"manual":tru}`,
	`{"manual":truex}`,
	`{"manual":1}`,
	`{"id":"\xff"}`,
	`{"id":"a` + "\t" + `b"}`,
	`{"sources":""}`,
	`{"sources":",ari,,sip,"}`,
	`[]`,
	`null`,
	``,
	`{`,
	`{"end":1782867600212,"start":1782864000212}`,
	`{"start":99999999,"end":12345678}`,
	`{"start":1234567a}`,
	`{"start":12345678a}`,
	`{"start":-}`,
}

// checkDecode checks that decodeRecord means what encoding/json does.
func checkDecode(t *testing.T, raw string) {
	t.Helper()
	got, gotErr := decodeRecord(raw)
	want, wantErr := decodeRecordJSON(raw)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("%q: err %v, encoding/json: %v", raw, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got %+v\nwant %+v", raw, got, want)
	}
}

func TestDecodeRecordMatchesJSON(t *testing.T) {
	for _, raw := range recordCorpus {
		checkDecode(t, raw)
	}
	// The fast path takes what the store writes.
	for _, raw := range recordCorpus[:2] {
		if _, ok := parseRecord(raw); !ok {
			t.Errorf("%s: not on the fast path", raw)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, raw := range recordCorpus {
		f.Add(raw)
	}
	f.Fuzz(checkDecode)
}

// TestDecodeStoredRecords runs decodeRecord over records the Lua scripts
// and AddManual wrote, with tricky notes and exclusions.
func TestDecodeStoredRecords(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	s := New(rdb, "dw", zerolog.Nop())
	at := time.Date(2026, 11, 27, 16, 5, 0, 212_000_000, time.UTC)
	tr := func(ws string, d time.Duration, to health.State, src health.Source) health.Transition {
		from := health.StateUp
		if to != health.StateDown {
			from = health.StateDown
		}
		return health.Transition{Workstation: ws, At: at.Add(d), From: from, To: to, Cause: health.CauseUnreachable, Source: src}
	}
	if err := s.Apply(ctx, []health.Transition{
		tr("d1", 0, health.StateDown, health.SourceARI), tr("d1", time.Second, health.StateDown, health.SourceSIP), tr("d1", time.Minute, health.StateUp, health.SourceARI),
		tr("d2", 0, health.StateDown, health.SourceARI),
	}); err != nil {
		t.Fatal(err)
	}
	for i, note := range []string{"plain", "кириллица", "<b>&</b>", "a/b\\c\"d", "line\nbreak\ttab", "\u2028\x7f"} {
		sp := health.Span{Workstation: "d1", Start: at.Add(time.Duration(i+1) * time.Hour), End: at.Add(time.Duration(i+2) * time.Hour), Note: note}
		m, err := s.AddManual(ctx, sp, "sv", at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetExclusion(ctx, m.ID, health.Exclusion{Category: "other", Reason: note + " / reason", By: "by/" + note, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	raws, err := rdb.HVals(ctx, "dw:{ws:d1}:spans").Result()
	if err != nil {
		t.Fatal(err)
	}
	raws2, _ := rdb.HVals(ctx, "dw:{ws:d2}:spans").Result()
	fast := 0
	for _, raw := range append(raws, raws2...) {
		checkDecode(t, raw)
		if _, ok := parseRecord(raw); ok {
			fast++
		}
	}
	if len(raws) != 7 || fast < 2 {
		t.Fatalf("%d records, %d on the fast path", len(raws), fast)
	}
}

func TestSourcesNotShared(t *testing.T) {
	var pool sourcePool
	var a, b, c health.Span
	(&record{Sources: "ari,sip"}).fill(&a, &pool)
	(&record{Sources: "ari"}).fill(&b, &pool)
	a.Sources = append(a.Sources, "x")
	if len(b.Sources) != 1 || b.Sources[0] != "ari" || strings.Join([]string{string(a.Sources[0]), string(a.Sources[2])}, "") != "arix" {
		t.Fatalf("a %v, b %v", a.Sources, b.Sources)
	}
	if (&record{Sources: ","}).fill(&c, &pool); c.Sources != nil {
		t.Fatalf("sources of \",\": %#v", c.Sources)
	}
}

func BenchmarkDecodeRecord(b *testing.B) {
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeRecord(recordCorpus[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var r record
			if err := json.Unmarshal([]byte(recordCorpus[0]), &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
