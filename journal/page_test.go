package journal_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

// Paging through any range with any limit gives exactly Entries' answer,
// in its order, ties of starts included.
func TestEntriesPageWalksEntriesOrder(t *testing.T) {
	j := newJournal(t, newClient(t, redistest.Start(t)), prefix)
	spans := mixed()
	for i := range 12 { // two desks each hour, of different causes: entries with one start
		at := time.Duration(i) * time.Hour
		spans = append(spans, sp(fmt.Sprintf("op122-%02d", 1+i%10), 48*time.Hour+at, health.CauseUnreachable),
			sp(fmt.Sprintf("op117-%02d", 1+i%10), 48*time.Hour+at, health.CauseUnregistered))
	}
	ingest(t, j, later.Add(72*time.Hour), spans...)
	for _, r := range [][2]time.Time{{}, {t0.Add(time.Hour), t0.Add(52 * time.Hour)}, {t0.Add(50 * time.Hour), time.Time{}}} {
		want, err := j.Entries(ctx, r[0], r[1])
		if err != nil || len(want) == 0 {
			t.Fatalf("%v: %d entries, %v", r, len(want), err)
		}
		for _, limit := range []int{1, 3, len(want), len(want) + 1} {
			var got []journal.Entry
			var after *journal.EntryCursor
			for pages := 0; ; pages++ {
				page, more, err := j.EntriesPage(ctx, r[0], r[1], after, limit)
				if err != nil || len(page) > limit || pages > len(want) {
					t.Fatalf("%v limit %d: page of %d, %v", r, limit, len(page), err)
				}
				got = append(got, page...)
				if !more {
					break
				}
				last := page[len(page)-1]
				after = &journal.EntryCursor{Start: last.Start, Year: last.Year, Number: last.Number}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%v limit %d: paged %v, Entries %v", r, limit, labels(got), labels(want))
			}
		}
	}
}
