package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/httpapi"
	"deskwatch/metrics"
	"deskwatch/report"
	"deskwatch/store"
)

// redisClient connects to the configured Redis (a URL, Sentinel or Cluster).
func redisClient(cfg *config.Config) (redis.UniversalClient, error) {
	t, err := redisTarget(cfg)
	if err != nil {
		return nil, err
	}
	return store.Open(t)
}

// openRedis loads the config and connects to its Redis, for one-shot commands.
func openRedis(path string) (*config.Config, redis.UniversalClient, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	rdb, err := redisClient(cfg)
	return cfg, rdb, err
}

// cmdReport: deskwatch report --period 2026Q3 --format pdf [--out FILE]
// and deskwatch report submit --period 2026Q3.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	submit := len(args) > 0 && args[0] == "submit"
	if submit {
		args = args[1:]
	}
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/deskwatch/deskwatch.yaml", "configuration file")
	period := fs.String("period", "", "quarter, e.g. 2026Q3 (default: the last ended quarter)")
	format := fs.String("format", "pdf", "pdf, xlsx, csv or json")
	out := fs.String("out", "", "output file (default: deskwatch-PERIOD.FORMAT; - for stdout)")
	lang := fs.String("lang", "ru", "ru or en")
	by := fs.String("by", os.Getenv("USER"), "who submits (recorded with the frozen version)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	cfg, rdb, err := openRedis(*path)
	if err != nil {
		return err
	}
	defer rdb.Close()
	st := store.New(rdb, cfg.Redis.Prefix, zerolog.Nop())
	jr, err := newJournal(cfg, rdb, st, zerolog.Nop())
	if err != nil {
		return err
	}
	q := health.QuarterOf(time.Now(), cfg.Location()).Prev()
	if *period != "" {
		if q, err = health.ParseQuarter(*period); err != nil {
			return usageError{err}
		}
	}
	svc := newService(cfg, st, jr, zerolog.Nop())
	if submit {
		sub, err := svc.Submit(ctx, q, *by, cliActor())
		if err != nil {
			return err
		}
		v, head := sub.Version, orNone(sub.JournalHead.String())
		if sub.Created {
			fmt.Fprintf(stdout, "Отчёт за %s представлен: версия %d, заголовок журнала %s / Report %s submitted: version %d, journal head %s\n", q, v, head, q, v, head)
		} else {
			fmt.Fprintf(stdout, "Отчёт за %s не изменился с версии %d, заголовок журнала %s / Report %s unchanged since version %d, journal head %s\n", q, v, head, q, v, head)
		}
		return nil
	}
	write := map[string]func(io.Writer, *report.Report) error{"pdf": report.WritePDF, "xlsx": report.WriteXLSX, "csv": report.WriteCSV, "json": report.WriteJSON}[*format]
	if write == nil {
		return usageError{fmt.Errorf("-format %q: want pdf, xlsx, csv or json", *format)}
	}
	live, err := svc.LiveReport(ctx, q)
	if err != nil {
		return err
	}
	r := live.Report
	if *lang == "en" {
		r.Lang = report.LangEN
	}
	name := *out
	if name == "" {
		name = fmt.Sprintf("deskwatch-%s.%s", q, *format)
	}
	if name == "-" {
		return write(stdout, r)
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := errors.Join(write(f, r), f.Close()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: N=%d D=%.4f%% (%s), journal head %s\n", name, r.N, r.D, r.Status, orNone(r.JournalHead.String()))
	return nil
}

// probeCovered: with sip.enabled every desk is watched by our own probes
// (contacts come from ARI events and from each AOR at every connect), so
// ARI's blindness alone is not unmonitored time; nil otherwise.
func probeCovered(cfg *config.Config) func(string) bool {
	if !cfg.SIP.Enabled {
		return nil
	}
	return func(string) bool { return true }
}

// renderMetrics are the report files rendered and taken from the cache.
func renderMetrics(r *httpapi.Renders) []metrics.Metric {
	const help = "Report files rendered (live figures, submitted versions) or served from the cache of submitted ones."
	m := func(kind string, v int64) metrics.Metric {
		return metrics.Metric{Name: "deskwatch_report_renders_total", Help: help, Type: "counter", Labels: map[string]string{"kind": kind}, Value: float64(v)}
	}
	return []metrics.Metric{m("live", r.Live.Load()), m("submitted", r.Submitted.Load()), m("cached", r.Cached.Load())}
}
