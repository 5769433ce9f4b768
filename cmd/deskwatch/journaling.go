package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/journal"
	"deskwatch/store"
)

// newJournal opens the journal; its span records name the planned
// maintenance windows that applied to them, read from st.
func newJournal(cfg *config.Config, rdb redis.UniversalClient, st *store.Store, log zerolog.Logger) (*journal.Journal, error) {
	key, err := cfg.JournalKey()
	if err != nil {
		return nil, err
	}
	return journal.New(rdb, journal.Options{Prefix: cfg.Redis.Prefix, Location: cfg.Location(), Workstations: cfg.HealthWorkstations(), Key: key,
		Maintenance: st}, log)
}

// spanSource lets the journal follow the store.
func spanSource(st *store.Store) journal.SpanSource {
	return journal.SpanSourceFunc(func(ctx context.Context, from, to time.Time) ([]health.Span, error) {
		return st.Spans(ctx, store.SpanQuery{From: from, To: to})
	})
}

// followSource is what the journal follower reads: the store's spans.
// followHold, a test hook, may hold a pass after its read, as a process
// frozen between reading the spans and appending would be.
func (d *Daemon) followSource(st *store.Store) journal.SpanSource {
	src := spanSource(st)
	return journal.SpanSourceFunc(func(ctx context.Context, from, to time.Time) ([]health.Span, error) {
		spans, err := src.Spans(ctx, from, to)
		if hold := d.followHold.Load(); hold != nil && err == nil {
			(*hold)(ctx, to, spans)
		}
		return spans, err
	})
}

// cmdJournal: deskwatch journal verify -config FILE [-anchor SEQ:HASH]...
// It checks the chain, the anchors taken from reports, and that the spans
// in Redis are what the chain recorded.
func cmdJournal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{errors.New("usage: deskwatch journal verify -config FILE [-anchor SEQ:HASH]")}
	}
	fs := flag.NewFlagSet("journal verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/deskwatch/deskwatch.yaml", "configuration file")
	var anchors []journal.Head
	fs.Func("anchor", "the journal chain head SEQ:HASH a report printed; the record SEQ must still have HASH (repeatable)", func(s string) error {
		h, err := journal.ParseHead(s)
		if err == nil {
			anchors = append(anchors, h)
		}
		return err
	})
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	cfg, rdb, err := openRedis(*path)
	if err != nil {
		return err
	}
	defer rdb.Close()
	st := store.New(rdb, cfg.Redis.Prefix, zerolog.Nop())
	j, err := newJournal(cfg, rdb, st, zerolog.Nop())
	if err != nil {
		return err
	}
	return journal.VerifyCommand(ctx, j, stdout, journal.VerifyOptions{Anchors: anchors, Spans: spanSource(st)})
}
