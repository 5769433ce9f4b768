package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/alerts"
	"deskwatch/ari"
	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/httpapi"
	"deskwatch/internal/monitor"
	"deskwatch/internal/qualify"
	"deskwatch/store"
	"deskwatch/web"
)

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/deskwatch/deskwatch.yaml", "configuration file")
	mkLog := logFlags(fs, stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	log, err := mkLog()
	if err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log, nil)
}

// serve runs the daemon until ctx ends. ready, if set, receives the API's
// address once it listens.
func serve(ctx context.Context, cfg *config.Config, log zerolog.Logger, ready func(apiAddr string)) error {
	log.Info().Object("config", cfg).Msg("starting deskwatch")
	ariPass, err := cfg.ARIPassword()
	if err != nil {
		return err
	}
	rdb, err := redisClient(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	st := store.New(rdb, cfg.Redis.Prefix, log.With().Str("component", "store").Logger())

	wss := cfg.HealthWorkstations()
	var endpoints []string
	for _, w := range wss {
		endpoints = append(endpoints, w.Endpoints...)
	}
	ac, err := ari.New(ari.Options{
		URL: cfg.ARI.URL, Username: cfg.ARI.Username, Password: ariPass, App: cfg.ARI.App,
		Technology: cfg.ARI.Technology, Endpoints: endpoints,
		ReconnectMin: cfg.ARI.ReconnectMin, ReconnectMax: cfg.ARI.ReconnectMax,
		Logger: log.With().Str("component", "ari").Logger(),
	})
	if err != nil {
		return fmt.Errorf("ari: %w", err)
	}
	hub := httpapi.NewHub()
	var probe *probing
	if cfg.SIP.Enabled {
		if probe, err = newProbing(cfg, log); err != nil {
			return fmt.Errorf("sip: %w", err)
		}
	}
	mon := monitor.New(monitor.Options{Workstations: wss, Store: st, Logger: log.With().Str("component", "monitor").Logger(), OnTransitions: hub.Publish, OnBlindChange: hub.PublishAll, OnContact: probe.contact,
		SpoolDir: cfg.SpoolDir(), SpoolMaxBytes: int64(cfg.Spool.MaxBytes), MaxSkew: cfg.ARI.MaxSkew})

	epDesk := map[string]string{}
	for _, w := range wss {
		for _, e := range w.Endpoints {
			epDesk[e] = w.ID
		}
	}
	qual := qualify.New(qualify.Options{Reader: ac, Endpoints: epDesk, Probed: probe.probed,
		Ready:  func() bool { ok, _ := ac.Connected(); return ok },
		Logger: log.With().Str("component", "qualify").Logger()})

	jr, err := newJournal(cfg, rdb, log.With().Str("component", "journal").Logger())
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	rs := newReports(cfg, st, journalRows(jr), journalMissing(jr))
	chans, err := cfg.AlertChannels()
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	notifier, err := alerts.NewNotifier(chans, log.With().Str("component", "alerts").Logger(), alerts.NotifierOptions{Location: cfg.Location()})
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	runner := alerts.NewRunner(alerts.NewEvaluator(cfg.AlertRules(), cfg.Location()), notifier, newAlertInput(cfg, mon, rs).input, time.Second, log.With().Str("component", "alerts").Logger())

	names := map[string]string{}
	for _, w := range cfg.Workstations {
		names[w.ID] = w.Name
	}
	var tokens []httpapi.Token
	for _, t := range cfg.HTTP.Tokens {
		tokens = append(tokens, httpapi.Token{Name: t.Name, Role: t.Role, SHA256: t.SHA256})
	}
	api := httpapi.New(httpapi.Options{
		Workstations: wss, Names: names, Location: cfg.Location(), Tokens: tokens,
		Store: storeAdapter{st}, Live: mon, ARI: ac, Hub: hub, Warnings: qual.Warnings,
		Reports: rs, Journal: journalAPI{jr}, Probe: probe.result, ProbeCovered: probeCovered(cfg), NotFound: store.ErrNotFound, Conflict: store.ErrConflict,
		Logger:  log.With().Str("component", "http").Logger(),
		Metrics: func() []httpapi.Metric { return append(metrics(ac, mon, notifier), probe.metrics()...) },
		Status: func() map[string]any {
			s := mon.Stats()
			m := map[string]any{"monitor": map[string]any{"writes_ok": s.StoreOK, "queued_writes": s.Queued}}
			if !s.StoreOK {
				m["status"] = "degraded"
			}
			probe.healthz(m)
			return m
		},
	})
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	// net/http's own complaints (TLS handshakes, recovered handler panics)
	// go into zerolog with the rest.
	httpLog := log.With().Str("component", "net/http").Logger()
	srv := &http.Server{Handler: routes(api, web.Handler(), streams), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: stdlog.New(httpLog, "", 0)}
	// Shutdown waits for requests to finish, and an event stream never does:
	// end the streams first so browsers reconnect (to the next process).
	srv.RegisterOnShutdown(endStreams)
	log.Info().Str("addr", ln.Addr().String()).Msg("API listening")
	if ready != nil {
		ready(ln.Addr().String())
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 9) // room for every goroutine: none may block on exit
	wg.Add(6)
	go func() { defer wg.Done(); qual.Run(ctx) }()
	go func() {
		defer wg.Done()
		if err := jr.Follow(ctx, spanSource(st), 5*time.Second); err != nil && ctx.Err() == nil {
			errc <- fmt.Errorf("journal: %w", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := runner.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error().Err(err).Msg("alerts stopped")
		}
	}()
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	go func() { defer wg.Done(); errc <- mon.Run(ctx) }()
	go func() { defer wg.Done(); errc <- ac.Run(ctx, mon.Input()) }()
	if probe != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := probe.p.Run(ctx, mon.Input()); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("sip probes: %w", err)
			}
		}()
		if probe.canary != nil {
			wg.Add(1)
			go func() { // un-registers (≤ 2 s) when ctx ends
				defer wg.Done()
				if err := probe.canary.Run(ctx); err != nil && ctx.Err() == nil {
					errc <- fmt.Errorf("sip canary: %w", err)
				}
			}()
		}
	}

	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
	}
	log.Info().Msg("shutting down")
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	wg.Wait()
	return first
}

// routes puts the supervisors' board at "/" beside the API. Requests to the
// event stream also end when streams is done (at shutdown).
func routes(api, board http.Handler, streams context.Context) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.Handle("/healthz", api)
	mux.Handle("/metrics", api)
	mux.Handle("/", board)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/events" {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			stop := context.AfterFunc(streams, cancel)
			defer stop()
			r = r.WithContext(ctx)
		}
		mux.ServeHTTP(w, r)
	})
}

// storeAdapter maps the API's query onto the store's.
type storeAdapter struct{ *store.Store }

func (a storeAdapter) Spans(ctx context.Context, q httpapi.SpanQuery) ([]health.Span, error) {
	return a.Store.Spans(ctx, store.SpanQuery{From: q.From, To: q.To, Workstations: q.Workstations, Open: q.Open})
}

func metrics(ac *ari.Client, mon *monitor.Monitor, n *alerts.Notifier) []httpapi.Metric {
	as, ms := ac.Stats(), mon.Stats()
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	c := func(name, help string, v float64) httpapi.Metric {
		return httpapi.Metric{Name: name, Help: help, Type: "counter", Value: v}
	}
	g := func(name, help string, v float64) httpapi.Metric {
		return httpapi.Metric{Name: name, Help: help, Type: "gauge", Value: v}
	}
	out := []httpapi.Metric{
		g("deskwatch_ari_connected", "1 while the ARI WebSocket is subscribed and snapshotted.", b(as.Connected)),
		c("deskwatch_ari_messages_total", "ARI WebSocket messages read.", float64(as.Messages)),
		c("deskwatch_ari_malformed_total", "ARI messages skipped as malformed.", float64(as.Malformed)),
		c("deskwatch_ari_unknown_types_total", "ARI messages skipped for an unknown event type.", float64(as.UnknownTypes)),
		c("deskwatch_ari_reconnects_total", "ARI connection attempts after the first.", float64(as.Reconnects)),
		c("deskwatch_observations_total", "Observations processed by the monitor.", float64(ms.Observations)),
		c("deskwatch_transitions_total", "Workstation state transitions decided.", float64(ms.Transitions)),
		c("deskwatch_observations_ignored_total", "Observations for endpoints of no configured workstation.", float64(ms.Ignored)),
		c("deskwatch_store_write_errors_total", "Failed writes to Redis (retried).", float64(ms.WriteErrors)),
		g("deskwatch_store_queued_writes", "Writes waiting for Redis.", float64(ms.Queued)),
		g("deskwatch_store_ok", "1 while writes to Redis succeed.", b(ms.StoreOK)),
	}
	for _, cs := range n.Stats() {
		l := map[string]string{"channel": cs.Name, "kind": cs.Kind}
		out = append(out,
			httpapi.Metric{Name: "deskwatch_alerts_delivered_total", Help: "Alert notifications delivered.", Type: "counter", Labels: l, Value: float64(cs.Delivered)},
			httpapi.Metric{Name: "deskwatch_alerts_failed_total", Help: "Alert notifications given up after retries.", Type: "counter", Labels: l, Value: float64(cs.Failed)},
			httpapi.Metric{Name: "deskwatch_alerts_dropped_total", Help: "Alert notifications dropped on a full queue.", Type: "counter", Labels: l, Value: float64(cs.Dropped)})
	}
	return out
}
