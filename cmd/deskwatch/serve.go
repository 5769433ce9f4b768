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

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/alerts"
	"deskwatch/ari"
	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/hostprobe"
	"deskwatch/httpapi"
	"deskwatch/internal/monitor"
	"deskwatch/internal/qualify"
	"deskwatch/journal"
	"deskwatch/service"
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
	d, err := newDaemon(cfg, log)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(d.ln.Addr().String())
	}
	return d.Run(ctx)
}

// Daemon is deskwatch serve: newDaemon builds every part from the
// configuration, Run runs them until its context ends.
type Daemon struct {
	cfg *config.Config
	log zerolog.Logger

	rdb       *redis.Client
	st        *store.Store
	ari       *ari.Client
	hub       *httpapi.Hub
	mon       *monitor.Monitor
	sip       *probing  // nil without sip.enabled
	probes    sipProbes // sip, or noProbes
	qualify   *qualify.Checker
	journal   *journal.Journal
	notifier  *alerts.Notifier
	alerts    *alerts.Runner
	shifts    *shiftWatch
	computers *hostprobe.Prober // nil when no desk names a computer

	srv        *http.Server
	ln         net.Listener
	endStreams context.CancelFunc
	closed     sync.Once
}

// newDaemon builds the daemon and binds the API's address, so that a
// taken port fails here; nothing runs until Run. On an error it releases
// what it built.
func newDaemon(cfg *config.Config, log zerolog.Logger) (*Daemon, error) {
	log.Info().Object("config", cfg).Msg("starting deskwatch")
	d := &Daemon{cfg: cfg, log: log, probes: noProbes{}}
	if err := d.build(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Daemon) build() error {
	cfg, log := d.cfg, d.log
	ariPass, err := cfg.ARIPassword()
	if err != nil {
		return err
	}
	if d.rdb, err = redisClient(cfg); err != nil {
		return err
	}
	d.st = store.New(d.rdb, cfg.Redis.Prefix, d.logger("store"))
	wss := cfg.HealthWorkstations()
	if d.ari, err = newARI(cfg, ariPass, wss, d.logger("ari")); err != nil {
		return fmt.Errorf("ari: %w", err)
	}
	d.hub = httpapi.NewHub()
	if cfg.SIP.Enabled {
		if d.sip, err = newProbing(cfg, log); err != nil {
			return fmt.Errorf("sip: %w", err)
		}
		d.probes = d.sip
	}
	if d.computers, err = newComputers(cfg, d.logger("hostprobe")); err != nil {
		return fmt.Errorf("computers: %w", err)
	}
	// Contacts Asterisk binds reach the probes through the monitor's loop.
	d.mon = monitor.New(monitor.Options{Workstations: wss, Store: d.st, Logger: d.logger("monitor"), OnTransitions: d.hub.Publish, OnBlindChange: d.hub.PublishAll, OnContact: d.probes.contact})
	ac := d.ari
	d.qualify = qualify.New(qualify.Options{Reader: ac, Endpoints: endpointDesks(wss), Probed: d.probes.probed,
		Ready:  func() bool { ok, _ := ac.Connected(); return ok },
		Logger: d.logger("qualify")})
	if d.journal, err = newJournal(cfg, d.rdb, d.logger("journal")); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	svc := newService(cfg, d.st, d.journal, d.logger("service"))
	chans, err := cfg.AlertChannels()
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	if d.notifier, err = alerts.NewNotifier(chans, d.logger("alerts"), alerts.NotifierOptions{Location: cfg.Location()}); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	d.shifts = &shiftWatch{desks: wss, scheds: cfg.CompiledSchedules(), onShift: svc.OnShift, publish: d.hub.PublishDesks, now: time.Now}
	d.alerts = alerts.NewRunner(alerts.NewEvaluator(cfg.AlertRules(), cfg.Location()), d.notifier, newAlertInput(cfg, d.mon, svc).input, time.Second, log.With().Str("component", "alerts").Logger())
	return d.listen(svc, wss)
}

func (d *Daemon) logger(component string) zerolog.Logger {
	return d.log.With().Str("component", component).Logger()
}

func newARI(cfg *config.Config, password string, wss []health.Workstation, log zerolog.Logger) (*ari.Client, error) {
	var endpoints []string
	for _, w := range wss {
		endpoints = append(endpoints, w.Endpoints...)
	}
	return ari.New(ari.Options{
		URL: cfg.ARI.URL, Username: cfg.ARI.Username, Password: password, App: cfg.ARI.App,
		Technology: cfg.ARI.Technology, Endpoints: endpoints,
		ReconnectMin: cfg.ARI.ReconnectMin, ReconnectMax: cfg.ARI.ReconnectMax,
		Logger: log,
	})
}

// endpointDesks maps each endpoint to its desk, for the qualify check.
func endpointDesks(wss []health.Workstation) map[string]string {
	m := map[string]string{}
	for _, w := range wss {
		for _, e := range w.Endpoints {
			m[e] = w.ID
		}
	}
	return m
}

// newService builds the use cases (shared by the daemon and the CLI).
func newService(cfg *config.Config, st *store.Store, jr *journal.Journal, log zerolog.Logger) *service.Service {
	return service.New(service.Options{Workstations: cfg.HealthWorkstations(), Location: cfg.Location(), Store: st, Journal: jr,
		ProbeCovered: probeCovered(cfg), Schedules: cfg.CompiledSchedules(), Logger: log})
}

// listen builds the API over the service, with the board beside it, and
// binds its address.
func (d *Daemon) listen(svc *service.Service, wss []health.Workstation) error {
	var tokens []httpapi.Token
	for _, t := range d.cfg.HTTP.Tokens {
		tokens = append(tokens, httpapi.Token{Name: t.Name, Role: t.Role, SHA256: t.SHA256})
	}
	api := httpapi.New(httpapi.Options{
		Workstations: wss, Location: d.cfg.Location(), Tokens: tokens,
		Service: svc, Journal: svc, Reports: svc, Live: d.mon, ARI: d.ari, Hub: d.hub, Warnings: d.qualify.Warnings,
		Probe: d.probes.result, Metrics: d.metrics, Status: d.status, OnShift: svc.OnShift,
		Computer: computerResult(d.computers), Maintenance: svc, Logger: d.logger("http"),
	})
	streams, endStreams := context.WithCancel(context.Background())
	d.endStreams = endStreams
	// net/http's own complaints (TLS handshakes, recovered handler panics)
	// go into zerolog with the rest.
	d.srv = &http.Server{Handler: routes(api, web.Handler(), streams), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: stdlog.New(d.logger("net/http"), "", 0)}
	// Shutdown waits for requests to finish, and an event stream never does:
	// end the streams first so browsers reconnect (to the next process).
	d.srv.RegisterOnShutdown(endStreams)
	ln, err := net.Listen("tcp", d.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	d.ln = ln
	d.log.Info().Str("addr", ln.Addr().String()).Msg("API listening")
	return nil
}

// Run runs every part until ctx ends or one fails, then stops them: the
// API first, then the rest (the monitor writes its last decisions and a
// heartbeat), and releases Redis and the sockets. It returns the first
// failure. A Daemon runs once.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 9) // room for every goroutine: none may block on exit
	d.start(ctx, &wg, errc)

	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
	}
	d.log.Info().Msg("shutting down")
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = d.srv.Shutdown(sctx)
	wg.Wait()
	return first
}

// start runs each part in a goroutine that wg owns until ctx ends; a part
// that fails sends its error to errc.
func (d *Daemon) start(ctx context.Context, wg *sync.WaitGroup, errc chan<- error) {
	ac, mon, probe, jr, st, srv, ln := d.ari, d.mon, d.sip, d.journal, d.st, d.srv, d.ln
	wg.Add(6)
	go func() { defer wg.Done(); d.qualify.Run(ctx) }()
	go func() { defer wg.Done(); d.shifts.run(ctx) }()
	go func() {
		defer wg.Done()
		if err := jr.Follow(ctx, spanSource(st), 5*time.Second); err != nil && ctx.Err() == nil {
			errc <- fmt.Errorf("journal: %w", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := d.alerts.Run(ctx); err != nil && ctx.Err() == nil {
			d.log.Error().Err(err).Msg("alerts stopped")
		}
	}()
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	go func() { defer wg.Done(); errc <- mon.Run(ctx) }()
	wg.Add(1)
	go func() { defer wg.Done(); errc <- ac.Run(ctx, mon.Input()) }()
	if d.computers != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = d.computers.Run(ctx, mon.Input()) }() // ends with ctx
	}
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
}

// Close releases Redis and the sockets; Run calls it on return, and a
// Daemon never run must be closed. Safe to call again.
func (d *Daemon) Close() {
	d.closed.Do(func() {
		if d.endStreams != nil {
			d.endStreams()
		}
		if d.ln != nil {
			_ = d.ln.Close() // already closed by a server that ran
		}
		if d.sip != nil { // the prober and the canary close once
			_ = d.sip.p.Close()
			if d.sip.canary != nil {
				_ = d.sip.canary.Close()
			}
		}
		if d.rdb != nil {
			_ = d.rdb.Close()
		}
	})
}

// status adds the monitor's writes (and the canary) to /healthz.
func (d *Daemon) status() map[string]any {
	s := d.mon.Stats()
	m := map[string]any{"monitor": map[string]any{"writes_ok": s.StoreOK, "queued_writes": s.Queued}}
	if !s.StoreOK {
		m["status"] = "degraded"
	}
	d.probes.healthz(m)
	return m
}

// sipProbes is what the rest of the daemon asks of its own SIP probes;
// noProbes answers without sip.enabled, so nothing is called on a nil
// *probing.
type sipProbes interface {
	probed(ep string) bool
	contact(ep, uri string)
	result(ep string) (httpapi.ProbeResult, bool)
	metrics() []httpapi.Metric
	healthz(m map[string]any)
}

type noProbes struct{}

func (noProbes) probed(string) bool                        { return false }
func (noProbes) contact(string, string)                    {}
func (noProbes) result(string) (httpapi.ProbeResult, bool) { return httpapi.ProbeResult{}, false }
func (noProbes) metrics() []httpapi.Metric                 { return nil }
func (noProbes) healthz(map[string]any)                    {}

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

// metrics are the daemon's Prometheus samples: ARI, the monitor, the
// alert channels and the SIP probes.
func (d *Daemon) metrics() []httpapi.Metric {
	as, ms := d.ari.Stats(), d.mon.Stats()
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
	for _, cs := range d.notifier.Stats() {
		l := map[string]string{"channel": cs.Name, "kind": cs.Kind}
		out = append(out,
			httpapi.Metric{Name: "deskwatch_alerts_delivered_total", Help: "Alert notifications delivered.", Type: "counter", Labels: l, Value: float64(cs.Delivered)},
			httpapi.Metric{Name: "deskwatch_alerts_failed_total", Help: "Alert notifications given up after retries.", Type: "counter", Labels: l, Value: float64(cs.Failed)},
			httpapi.Metric{Name: "deskwatch_alerts_dropped_total", Help: "Alert notifications dropped on a full queue.", Type: "counter", Labels: l, Value: float64(cs.Dropped)})
	}
	out = append(out, computerMetrics(d.computers)...)
	return append(out, d.probes.metrics()...)
}
