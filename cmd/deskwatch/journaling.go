package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/httpapi"
	"deskwatch/journal"
	"deskwatch/report"
	"deskwatch/store"
)

func newJournal(cfg *config.Config, rdb redis.UniversalClient, log zerolog.Logger) (*journal.Journal, error) {
	return journal.New(rdb, journal.Options{Prefix: cfg.Redis.Prefix, Location: cfg.Location(), Workstations: cfg.HealthWorkstations()}, log)
}

// spanSource lets the journal follow the store.
func spanSource(st *store.Store) journal.SpanSource {
	return journal.SpanSourceFunc(func(ctx context.Context, from, to time.Time) ([]health.Span, error) {
		return st.Spans(ctx, store.SpanQuery{From: from, To: to})
	})
}

// journalAPI adapts the journal to the API's view of it.
type journalAPI struct{ j *journal.Journal }

// apiErr maps the journal's errors onto the API's: not found → 404,
// validation → 400.
func apiErr(err error) error {
	var ve *journal.ValidationError
	switch {
	case errors.Is(err, journal.ErrNotFound):
		return fmt.Errorf("%w: %w", httpapi.ErrNotFound, err)
	case errors.As(err, &ve):
		return validation{err}
	}
	return err
}

type validation struct{ error }

func (validation) Validation() bool { return true }

func toEntry(e journal.Entry) httpapi.JournalEntry {
	out := httpapi.JournalEntry{ID: e.ID(), Label: e.Label(), Year: e.Year, Number: e.Number, Start: e.Start, Desks: e.Desks, Hotlines: e.Hotlines,
		SpanIDs: e.SpanIDs, Cause: e.Cause, CauseNoted: e.CauseNoted, DetectedCause: string(e.DetectedCause), Manual: e.Manual, Detection: e.Detection,
		Fault: e.Fault, ExclusionCategory: e.ExclusionCategory, ExclusionReason: e.ExclusionReason, Actions: e.Actions, RecordedBy: e.RecordedBy}
	if !e.End.IsZero() {
		end := e.End
		out.End = &end
	}
	for _, r := range e.History {
		out.History = append(out.History, httpapi.JournalRecord{Seq: r.Seq, At: r.At, Kind: string(r.Kind), By: r.By, Payload: r.Payload, Hash: r.Hash})
	}
	return out
}

func (a journalAPI) Entries(ctx context.Context, from, to time.Time) ([]httpapi.JournalEntry, error) {
	es, err := a.j.Entries(ctx, from, to)
	if err != nil {
		return nil, apiErr(err)
	}
	out := make([]httpapi.JournalEntry, 0, len(es))
	for _, e := range es {
		out = append(out, toEntry(e))
	}
	return out, nil
}

func (a journalAPI) Entry(ctx context.Context, year, number int) (httpapi.JournalEntry, error) {
	e, err := a.j.Entry(ctx, year, number)
	if err != nil {
		return httpapi.JournalEntry{}, apiErr(err)
	}
	return toEntry(e), nil
}

func (a journalAPI) AddNote(ctx context.Context, year, number int, n httpapi.JournalNote, at time.Time) (httpapi.JournalEntry, error) {
	e, err := a.j.AddNote(ctx, year, number, journal.Note{Cause: n.Cause, Actions: n.Actions, Fault: n.Fault, By: n.By, At: at})
	if err != nil {
		return httpapi.JournalEntry{}, apiErr(err)
	}
	return toEntry(e), nil
}

func (a journalAPI) RecordManual(ctx context.Context, sp health.Span, by string, at time.Time) error {
	_, err := a.j.RecordManual(ctx, sp, by, at)
	return err
}

func (a journalAPI) Ingest(ctx context.Context, spans []health.Span, by string, at time.Time) error {
	return a.j.IngestBy(ctx, spans, by, at)
}

// journalRows gives the report the journal of a period.
func journalRows(j *journal.Journal) report.JournalSource {
	return func(ctx context.Context, from, to time.Time) ([]report.JournalRow, error) {
		es, err := j.Entries(ctx, from, to)
		if err != nil {
			return nil, err
		}
		rows := make([]report.JournalRow, 0, len(es))
		for i := len(es) - 1; i >= 0; i-- { // the report lists them oldest first
			e := es[i]
			rows = append(rows, report.JournalRow{Number: e.Number, Start: e.Start, End: e.End, Desks: e.Desks, Hotlines: e.Hotlines,
				Cause: e.Cause, Detection: e.Detection, Fault: e.Fault, ExclusionCategory: e.ExclusionCategory, Reason: e.ExclusionReason,
				Actions: e.Actions, RecordedBy: e.RecordedBy})
		}
		return rows, nil
	}
}

// journalMissing counts the entries still lacking a cause or a fault.
func journalMissing(j *journal.Journal) func(ctx context.Context, from, to time.Time) (int, error) {
	return func(ctx context.Context, from, to time.Time) (int, error) {
		es, err := j.Missing(ctx, from, to)
		return len(es), err
	}
}

// cmdJournal: deskwatch journal verify -config FILE.
func cmdJournal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{errors.New("usage: deskwatch journal verify -config FILE")}
	}
	fs := flag.NewFlagSet("journal verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/deskwatch/deskwatch.yaml", "configuration file")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	cfg, rdb, err := openRedis(*path)
	if err != nil {
		return err
	}
	defer rdb.Close()
	j, err := newJournal(cfg, rdb, zerolog.Nop())
	if err != nil {
		return err
	}
	return journal.VerifyCommand(ctx, j, stdout)
}
