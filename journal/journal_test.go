package journal_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
)

// TestConcurrentWriters appends from two Journals (two processes) sharing
// the keys: the chain head check makes the loser plan again.
func TestConcurrentWriters(t *testing.T) {
	rdb := newClient(t, redistest.Start(t))
	j1, j2 := newJournal(t, rdb, prefix), newJournal(t, rdb, prefix)
	ingest(t, j1, later, sp("op122-01", 0, health.CauseUnregistered))
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for w, j := range []*journal.Journal{j1, j2} {
		wg.Go(func() {
			for i := range 20 {
				_, err := j.AddNote(ctx, 2026, 1, journal.Note{Actions: ptr(fmt.Sprintf("writer %d note %d", w, i)), By: "Иванов"})
				errs <- err
			}
		})
	}
	wg.Go(func() {
		for i := range 20 {
			errs <- j2.Ingest(ctx, []health.Span{sp("op117-01", time.Duration(i)*time.Minute, health.CauseUnreachable)}, later)
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(entry(t, j1, 2026, 1).History); n != 3+40 {
		t.Errorf("history of 1/2026: %d records, want 43", n)
	}
	if n := len(allEntries(t, j1)); n != 21 {
		t.Errorf("%d entries, want 21", n)
	}
	res, err := j1.Verify(ctx)
	if err != nil || !res.OK {
		t.Fatalf("verify %+v %v", res, err)
	}
}

func TestRedisDown(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := newClient(t, srv.Addr())
	j := newJournal(t, rdb, prefix)
	ingest(t, j, later, sp("op122-01", 0, health.CauseUnregistered))
	srv.Stop()

	checks := map[string]func() error{
		"Ingest": func() error { return j.Ingest(ctx, mixed(), later) },
		"RecordManual": func() error {
			_, err := j.RecordManual(ctx, manual("op122-05", 0), "Петрова", "", later)
			return err
		},
		"AddNote": func() error {
			_, err := j.AddNote(ctx, 2026, 1, journal.Note{Cause: ptr("x"), By: "Иванов"})
			return err
		},
		"Entry":   func() error { _, err := j.Entry(ctx, 2026, 1); return err },
		"Entries": func() error { _, err := j.Entries(ctx, time.Time{}, time.Time{}); return err },
		"Missing": func() error { _, err := j.Missing(ctx, t0, later); return err },
		"Verify":  func() error { _, err := j.Verify(ctx); return err },
		"VerifyCommand": func() error {
			var sb strings.Builder
			return journal.VerifyCommand(ctx, j, &sb, journal.VerifyOptions{})
		},
	}
	for name, f := range checks {
		err := f()
		if err == nil || errors.Is(err, journal.ErrNotFound) || errors.Is(err, journal.ErrTampered) {
			t.Errorf("%s with Redis down: err = %v, want a Redis error", name, err)
		}
	}

	srv.Restart() // empty: nothing is persisted in tests
	ingest(t, j, later, sp("op122-01", 0, health.CauseUnregistered))
	if res, err := j.Verify(ctx); err != nil || !res.OK || res.Count != 3 {
		t.Fatalf("after restart: %+v %v", res, err)
	}
}

func TestNewOptions(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	var ve *journal.ValidationError
	if _, err := journal.New(rdb, journal.Options{}, zerolog.Nop()); !errors.As(err, &ve) {
		t.Errorf("no location: %v", err)
	}
	if _, err := journal.New(nil, journal.Options{Location: irkutsk}, zerolog.Nop()); err == nil {
		t.Error("nil client accepted")
	}
}
