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
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"deskwatch/accesslog"
	"deskwatch/alerts"
	"deskwatch/ari"
	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/hostprobe"
	"deskwatch/httpapi"
	"deskwatch/internal/httplimit"
	"deskwatch/internal/monitor"
	"deskwatch/internal/qualify"
	"deskwatch/internal/sdnotify"
	"deskwatch/journal"
	"deskwatch/metrics"
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
	return serveWith(ctx, cfg, log, nil, hangups(*path))
}

// serve runs the daemon until ctx ends. ready, if set, receives the API's
// address once it listens.
func serve(ctx context.Context, cfg *config.Config, log zerolog.Logger, ready func(apiAddr string)) error {
	return serveWith(ctx, cfg, log, ready, reloader{})
}

// serveWith is serve with reloads from rl.
func serveWith(ctx context.Context, cfg *config.Config, log zerolog.Logger, ready func(apiAddr string), rl reloader) error {
	d, err := newDaemon(cfg, log)
	if err != nil {
		return err
	}
	d.reloaded.reloader = rl
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

	rdb       redis.UniversalClient
	st        *store.Store
	persist   *store.PersistenceCheck // warns when Redis keeps nothing on disk
	ari       ariConn
	hub       *httpapi.Hub
	mon       *monitor.Monitor
	sip       *probing  // nil without sip.enabled
	probes    sipProbes // sip, or noProbes
	qualify   *qualify.Checker
	journal   *journal.Journal
	alerts    *alerts.Runner
	alertIn   *alertInput
	systemd   *sdnotify.Notifier // no-op outside systemd
	reloaded  reloads            // where reloads come from, and how they went
	access    *accesslog.Log     // who read personal data; stopAccess ends its writer
	shifts    *boardWatch        // pushes desks going on and off shift, in and out of maintenance, to the board
	computers *hostprobe.Prober  // nil when no desk names a computer
	ha        *haNode            // nil without ha.enabled

	followHold atomic.Pointer[func(ctx context.Context, now time.Time, spans []health.Span)] // test hook: followSource
	// mwCache: the maintenance windows, shared by the services reloads build.
	mwCache service.MaintenanceCache

	accessRDB  redis.UniversalClient
	stopAccess context.CancelFunc
	conns      *httplimit.Listener // the API's connections, capped
	collectors []metrics.Collector // what /metrics shows, each declared where it is counted
	quarter    atomic.Value        // metrics.Collector: D of the quarter, from the running service

	api        apiSwitch
	renders    httpapi.Renders // across the APIs reloads build
	certs      *certSource     // nil without http.tls
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
	d := &Daemon{cfg: cfg, log: log, probes: noProbes{}, systemd: sdnotify.FromEnv()}
	d.reloaded.loadedAt = time.Now()
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
	d.persist = store.NewPersistenceCheck(d.rdb, d.logger("redis"), store.PersistenceOptions{})
	if d.access, d.accessRDB, err = daemonAccessLog(cfg, d.logger("access")); err != nil {
		return err
	}
	wss := cfg.HealthWorkstations()
	ac, err := newARI(cfg, ariPass, wss, d.logger("ari"))
	if err != nil {
		return fmt.Errorf("ari: %w", err)
	}
	d.ari.cur.Store(ac)
	d.ari.pass = ariPass
	d.hub = httpapi.NewHub()
	d.shifts = newBoardWatch(d.hub.PublishDesks, time.Now)
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
	var ms monitor.Store = d.st
	var heartbeat time.Duration // the monitor's default
	if cfg.HA.Enabled {
		if ms, err = d.buildHA(wss); err != nil {
			return err
		}
		// The leader's heartbeat says its record is complete up to then: a
		// standby taking over records its own blindness only after it, so
		// it comes as often as the renewals (DESIGN.md, 27).
		heartbeat = cfg.HA.Lease / 3
	}
	d.mon = monitor.New(monitor.Options{Workstations: wss, Store: ms, Logger: d.logger("monitor"), OnTransitions: d.hub.Publish, OnBlindChange: d.hub.PublishAll, OnContact: d.probes.contact,
		SpoolDir: cfg.SpoolDir(), SpoolMaxBytes: int64(cfg.Spool.MaxBytes), MaxSkew: cfg.ARI.MaxSkew, Heartbeat: heartbeat})
	d.qualify = qualify.New(qualify.Options{Reader: &d.ari, Endpoints: endpointDesks(wss), Probed: d.probes.probed,
		Ready: d.ari.ready, Logger: d.logger("qualify")})
	if d.journal, err = newJournal(cfg, d.rdb, d.st, d.logger("journal")); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if d.ha != nil {
		d.ha.chain = d.journal
	}
	svc := d.newService(cfg)
	d.quarter.Store(svc.QuarterMetrics(time.Minute))
	notifier, chans, err := d.newNotifier(cfg)
	if err != nil {
		return err
	}
	d.reloaded.chans = chans
	d.alertIn = newAlertInput(cfg, d.mon, svc)
	d.alerts = alerts.NewRunner(alerts.NewEvaluator(cfg.AlertRules(), cfg.Location()), notifier, d.alertIn.input, time.Second, log.With().Str("component", "alerts").Logger())
	// Collectors outlive reloads: each reads the part that is running.
	d.collectors = []metrics.Collector{metrics.BuildInfo(version), metrics.Process(), &d.ari, d.mon, d.alerts, d.persist, d.access,
		metrics.Func(d.reloaded.metrics), metrics.Func(func() []metrics.Metric { return renderMetrics(&d.renders) }),
		metrics.Func(func() []metrics.Metric { return d.quarter.Load().(metrics.Collector).Metrics() })}
	if d.computers != nil {
		d.collectors = append(d.collectors, computerMetrics{d.computers})
	}
	if d.ha != nil {
		d.collectors = append(d.collectors, d.ha)
	}
	if d.sip != nil {
		d.collectors = append(d.collectors, d.sip.p)
		if d.sip.canary != nil {
			d.collectors = append(d.collectors, d.sip.canary)
		}
	}
	d.shifts.set(boardViewOf(cfg, svc))
	return d.listen(svc, wss)
}

func (d *Daemon) logger(component string) zerolog.Logger {
	return d.log.With().Str("component", component).Logger()
}

func newARI(cfg *config.Config, password string, wss []health.Workstation, log zerolog.Logger) (*ari.Client, error) {
	return ari.New(ari.Options{
		URL: cfg.ARI.URL, Username: cfg.ARI.Username, Password: password, App: cfg.ARI.App,
		Technology: cfg.ARI.Technology, Endpoints: allEndpoints(wss),
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
	return service.New(serviceOptions(cfg, st, jr, log))
}

func serviceOptions(cfg *config.Config, st *store.Store, jr *journal.Journal, log zerolog.Logger) service.Options {
	return service.Options{Workstations: cfg.HealthWorkstations(), Location: cfg.Location(), Store: st, Journal: jr,
		ProbeCovered: probeCovered(cfg), Schedules: cfg.CompiledSchedules(), Logger: log}
}

// newService is the daemon's service: a window declared, ended or
// cancelled through it wakes the board watch at once.
func (d *Daemon) newService(cfg *config.Config) *service.Service {
	o := serviceOptions(cfg, d.st, d.journal, d.logger("service"))
	o.OnMaintenanceChange, o.MaintenanceCache = d.shifts.poke, &d.mwCache
	return service.New(o)
}

// newAPI builds the API over the service from cfg (at start and on every
// reload).
func (d *Daemon) newAPI(cfg *config.Config, svc *service.Service, wss []health.Workstation) *httpapi.Server {
	var tokens []httpapi.Token
	for _, t := range cfg.HTTP.Tokens {
		tokens = append(tokens, httpapi.Token{Name: t.Name, Role: t.Role, SHA256: t.SHA256})
	}
	return httpapi.New(httpapi.Options{
		Workstations: wss, Location: cfg.Location(), Tokens: tokens,
		Service: svc, Journal: svc, Reports: svc, RenderCache: svc, Renders: &d.renders, Version: version,
		Live: d.mon, ARI: &d.ari, Hub: d.hub, Warnings: d.qualify.Warnings,
		Probe: d.probes.result, Metrics: d.metrics, Status: d.status, Access: d.accessAPI(),
		OnShift: svc.OnShift, Computer: computerResult(d.computers), Maintenance: svc,
		Logger: d.logger("http"),
	})
}

// listen builds the API over the service, with the board beside it, and
// binds its address.
func (d *Daemon) listen(svc *service.Service, wss []health.Workstation) error {
	d.api.set(d.newAPI(d.cfg, svc, wss), false)
	streams, endStreams := context.WithCancel(context.Background())
	d.endStreams = endStreams
	// net/http's own complaints (TLS handshakes, recovered handler panics)
	// go into zerolog with the rest.
	d.srv = limitedServer(d.cfg.HTTP, routes(&d.api, web.Handler(), streams))
	d.srv.ErrorLog = stdlog.New(d.logger("net/http"), "", 0)
	if err := d.serveTLS(); err != nil {
		return err
	}
	// Shutdown waits for requests to finish, and an event stream never does:
	// end the streams first so browsers reconnect (to the next process).
	d.srv.RegisterOnShutdown(endStreams)
	ln, err := net.Listen("tcp", d.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	d.ln = ln // Close closes it should the cap not fit
	capped, err := d.capConnections(ln)
	if err != nil {
		return err
	}
	d.ln = capped
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
	errc := make(chan error, 10) // room for every goroutine: none may block on exit
	d.start(ctx, &wg, errc)
	first := d.serveUntilDone(ctx, &wg, errc)
	d.log.Info().Msg("shutting down")
	_ = d.systemd.Stopping()
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = d.srv.Shutdown(sctx)
	d.stopAccess() // after the API: its last requests are recorded
	wg.Wait()
	return first
}

// start runs each part in a goroutine that wg owns until ctx ends; a part
// that fails sends its error to errc.
func (d *Daemon) start(ctx context.Context, wg *sync.WaitGroup, errc chan<- error) {
	mon, probe, jr, st, srv, ln := d.mon, d.sip, d.journal, d.st, d.srv, d.ln
	monDone := make(chan struct{}) // closed once the monitor wrote its last decisions
	if d.ha != nil {
		// Lead at once if nobody does, so that the monitor's first writes
		// (the gap since the last heartbeat) are not held.
		d.ha.tryLead(ctx)
	}
	d.startAccess(wg)
	wg.Add(6)
	go func() { defer wg.Done(); d.qualify.Run(ctx) }()
	go func() { defer wg.Done(); d.persist.Run(ctx) }()
	go func() { defer wg.Done(); d.shifts.run(ctx) }()
	// The journal and the alerts are the writer's: with ha, the leader's.
	leaderWork := func(ctx context.Context) {
		var lw sync.WaitGroup
		lw.Add(2)
		go func() {
			defer lw.Done()
			err := jr.Follow(ctx, d.followSource(st), 5*time.Second)
			switch {
			case err == nil || ctx.Err() != nil:
			case errors.Is(err, journal.ErrFenced) && d.ha != nil:
				d.ha.onFenced() // a later leader follows: stand by
			default:
				select { // a second tenure's failure finds the first one's there
				case errc <- fmt.Errorf("journal: %w", err):
				default:
				}
			}
		}()
		go func() {
			defer lw.Done()
			if err := d.alerts.Run(ctx); err != nil && ctx.Err() == nil {
				d.log.Error().Err(err).Msg("alerts stopped")
			}
		}()
		lw.Wait()
	}
	if d.ha != nil {
		d.ha.leaderWork, d.ha.monitorDone = leaderWork, monDone
		go func() { defer wg.Done(); d.ha.Run(ctx) }()
	} else {
		go func() { defer wg.Done(); leaderWork(ctx) }()
	}
	go func() {
		defer wg.Done()
		serve := srv.Serve
		if d.certs != nil { // the pair comes from certSource
			serve = func(ln net.Listener) error { return srv.ServeTLS(ln, "", "") }
		}
		if err := serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	go func() {
		defer wg.Done()
		err := mon.Run(ctx)
		close(monDone)
		errc <- err
	}()
	d.ari.run(ctx, wg, mon.Input(), errc)
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
		if d.accessRDB != nil {
			_ = d.accessRDB.Close()
		}
	})
}

// status adds the monitor's writes (and the canary) to /healthz.
func (d *Daemon) status() map[string]any {
	s := d.mon.Stats()
	m := map[string]any{"monitor": map[string]any{"writes_ok": s.StoreOK, "queued_writes": s.Queued, "warnings": d.mon.Warnings()},
		"redis_persistence": d.persist.Status()}
	if !s.StoreOK || s.SpoolFull {
		m["status"] = "degraded"
	}
	d.probes.healthz(m)
	m["config"] = d.reloaded.healthz()
	if d.ha != nil {
		st := d.ha.status()
		st["spool_depth"] = s.Queued // decisions not yet in Redis, spooled or in memory
		m["ha"] = st
	}
	return m
}

// sipProbes is what the rest of the daemon asks of its own SIP probes;
// noProbes answers without sip.enabled, so nothing is called on a nil
// *probing.
type sipProbes interface {
	probed(ep string) bool
	contact(ep, uri string)
	result(ep string) (httpapi.ProbeResult, bool)
	healthz(m map[string]any)
}

type noProbes struct{}

func (noProbes) probed(string) bool                        { return false }
func (noProbes) contact(string, string)                    {}
func (noProbes) result(string) (httpapi.ProbeResult, bool) { return httpapi.ProbeResult{}, false }
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
		r, done := endWith(r, streams)
		defer done()
		mux.ServeHTTP(w, r)
	})
}

// metrics gathers every component's own collector.
func (d *Daemon) metrics() []metrics.Metric { return metrics.Gather(d.collectors...) }
