package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/accesslog"
	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/httpapi"
	"deskwatch/report"
	"deskwatch/service"
	"deskwatch/store"
)

// newAccessLog is the access log in the configured Redis: the stream
// <prefix>access.
func newAccessLog(cfg *config.Config, rdb redis.UniversalClient, log zerolog.Logger) *accesslog.Log {
	return accesslog.New(accesslog.Options{Redis: rdb, Key: cfg.Redis.Prefix + "access", Retention: cfg.AccessLog.Retention, Logger: log})
}

// daemonAccessLog is the daemon's access log over a client of its own: a
// shared pool would count the log's retries while Redis is down among its
// dial errors, and go-redis then refuses every caller (the API's reads
// too) for up to a second after Redis is back.
func daemonAccessLog(cfg *config.Config, log zerolog.Logger) (*accesslog.Log, redis.UniversalClient, error) {
	t, err := redisTarget(cfg)
	if err != nil {
		return nil, nil, err
	}
	t.PoolSize = 2     // one writer, and the API's access-log reads
	t.WaitReplicas = 0 // access records are not the monitor's record writes
	rdb, err := store.Open(t)
	if err != nil {
		return nil, nil, err
	}
	return newAccessLog(cfg, rdb, log), rdb, nil
}

// accessAPI records the API's reads of personal data and serves the log.
func (d *Daemon) accessAPI() *httpapi.Access {
	return &httpapi.Access{Log: d.access, Reader: service.NewAccess(d.access), TrustedProxies: d.cfg.TrustedProxies()}
}

// startAccess runs the access log's writer until stopAccess, which Run
// calls once the API has stopped: the API's last requests are still
// recorded, and the writer drains its queue before Redis closes.
func (d *Daemon) startAccess(wg *sync.WaitGroup) {
	ctx, stop := context.WithCancel(context.Background())
	d.stopAccess = stop
	wg.Add(1)
	go func() { defer wg.Done(); d.access.Run(ctx) }()
}

// cmdAccessLog: deskwatch access-log -config FILE -period 2026Q3
// [-actor NAME] [-format csv|json], for the auditor. The read is recorded
// in the access log itself before anything is printed: a read that cannot
// be recorded is refused.
func cmdAccessLog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("access-log", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/deskwatch/deskwatch.yaml", "configuration file")
	period := fs.String("period", "", "quarter, e.g. 2026Q3 (default: the current one so far)")
	actor := fs.String("actor", "", "only this token's name")
	format := fs.String("format", "csv", "csv or json")
	lang := fs.String("lang", "ru", "ru or en (the CSV's header)")
	out := fs.String("out", "-", "output file (- for stdout)")
	by := fs.String("by", os.Getenv("USER"), "who reads (recorded in the access log)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	write := map[string]func(io.Writer, accessExport) error{"csv": writeAccessCSV, "json": writeAccessJSON}[*format]
	if write == nil {
		return usageError{fmt.Errorf("-format %q: want csv or json", *format)}
	}
	if *lang != report.LangRU && *lang != report.LangEN {
		return usageError{fmt.Errorf("-lang %q: want ru or en", *lang)}
	}
	cfg, rdb, err := openRedis(*path)
	if err != nil {
		return err
	}
	defer rdb.Close()
	loc, now := cfg.Location(), time.Now()
	iv := health.Interval{Start: health.QuarterOf(now, loc).Range(loc).Start, End: now.Add(time.Second)}
	if *period != "" {
		q, err := health.ParseQuarter(*period)
		if err != nil {
			return usageError{err}
		}
		iv = q.Range(loc)
	}
	l := newAccessLog(cfg, rdb, zerolog.Nop())
	recs, err := l.All(ctx, accesslog.Query{From: iv.Start, To: iv.End, Actor: *actor})
	if err != nil {
		return &service.Error{Kind: service.ErrUnavailable, Code: "store_unavailable", RU: "хранилище (Redis) недоступно", EN: "the store (Redis) is unavailable", Err: err}
	}
	var buf bytes.Buffer
	if err := write(&buf, accessExport{From: iv.Start, To: iv.End, Location: loc, Lang: *lang, Records: recs}); err != nil {
		return err
	}
	host, _ := os.Hostname()
	self := accesslog.Record{Time: now, Actor: *by, Role: "cli", Client: host, Remote: "local", Method: "CLI", Route: "deskwatch access-log",
		Path: "deskwatch access-log", Params: map[string]string{"period": *period, "actor": *actor, "format": *format}, Bytes: int64(buf.Len())}
	for k, v := range self.Params {
		if v == "" {
			delete(self.Params, k)
		}
	}
	if err := l.Write(ctx, self); err != nil {
		return &service.Error{Kind: service.ErrUnavailable, Code: "access_log_unavailable", RU: "чтение журнала доступа не удалось записать в него: ничего не выведено",
			EN: "this read could not be recorded in the access log: nothing printed", Err: err}
	}
	if *out == "-" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d записей / %d records\n", *out, len(recs), len(recs))
	return nil
}
