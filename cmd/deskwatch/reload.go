package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"deskwatch/alerts"
	"deskwatch/ari"
	"deskwatch/config"
	"deskwatch/health"
	"deskwatch/metrics"
)

// reloader is where a serving daemon's reloads come from: serve's SIGHUP
// (systemctl reload), or a test's channel. The zero value never reloads.
type reloader struct {
	path    string // the configuration file, read again on each signal
	signals <-chan os.Signal
}

// hangups reloads path on SIGHUP. Only serve asks: for the other commands
// SIGHUP keeps its default.
func hangups(path string) reloader {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return reloader{path: path, signals: c}
}

// reloads is the daemon's reload state: where reloads come from, what the
// running notifier was built from, and the outcome shown by /healthz and
// the metrics.
type reloads struct {
	reloader reloader
	chans    alerts.Channels // with the secrets read: a reload rebuilds the notifier only if they differ

	mu       sync.Mutex
	loadedAt time.Time // of the running configuration
	at       time.Time // of the last reload (zero: none yet)
	err      error     // of the last reload (nil: applied)
}

func (r *reloads) done(at time.Time, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.at, r.err = at, err
	if err == nil {
		r.loadedAt = at
	}
}

// healthz is /healthz's "config": when the running configuration was
// loaded and how the last reload went.
func (r *reloads) healthz() map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]any{"loaded_at": r.loadedAt.UTC().Format(time.RFC3339Nano), "reload": "none"}
	switch {
	case r.at.IsZero():
	case r.err != nil:
		m["reload"], m["error"] = "failed", r.err.Error()
	default:
		m["reload"] = "ok"
	}
	if !r.at.IsZero() {
		m["at"] = r.at.UTC().Format(time.RFC3339Nano)
	}
	return m
}

func (r *reloads) metrics() []metrics.Metric {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok, at := 1.0, r.at
	if r.err != nil {
		ok = 0
	}
	if at.IsZero() {
		at = r.loadedAt
	}
	return []metrics.Metric{
		{Name: "deskwatch_config_reload_success", Help: "0 while the last reload was refused (the configuration before it still runs).", Type: "gauge", Value: ok},
		{Name: "deskwatch_config_reload_timestamp_seconds", Help: "When the configuration was last reloaded, or loaded at start.", Type: "gauge", Value: float64(at.UnixNano()) / 1e9},
	}
}

// newNotifier builds the alert notifier from cfg's channels, secrets read
// now (returned, to compare at the next reload).
func (d *Daemon) newNotifier(cfg *config.Config) (*alerts.Notifier, alerts.Channels, error) {
	chans, err := cfg.AlertChannels()
	if err != nil {
		return nil, chans, fmt.Errorf("alerts: %w", err)
	}
	n, err := alerts.NewNotifier(chans, d.logger("alerts"), alerts.NotifierOptions{Location: cfg.Location()})
	if err != nil {
		return nil, chans, fmt.Errorf("alerts: %w", err)
	}
	return n, chans, nil
}

// reload reads the configuration file again and applies it whole, or
// refuses it whole: the running configuration stays and the log, /healthz
// and the metrics say why. systemd hears RELOADING, then READY.
func (d *Daemon) reload(ctx context.Context, wg *sync.WaitGroup, errc chan<- error) {
	_ = d.systemd.Reloading()
	defer d.ready()
	at := time.Now()
	cfg, err := config.Load(d.reloaded.reloader.path)
	if err == nil {
		err = restartOnly(d.cfg, cfg)
	}
	var ch changes
	if err == nil {
		ch, err = d.apply(ctx, wg, errc, cfg)
	}
	d.reloaded.done(at, err)
	if err != nil {
		d.log.Error().Err(err).Str("file", d.reloaded.reloader.path).Msg("configuration refused: the running one stays")
		return
	}
	d.log.Info().Str("file", d.reloaded.reloader.path).Strs("desks_added", ch.added).Strs("desks_removed", ch.removed).
		Strs("desks_changed", ch.changed).Bool("tokens_changed", ch.tokens).Bool("schedules_changed", ch.schedules).Bool("ari_reconnected", ch.ari).
		Bool("alert_channels_rebuilt", ch.notifier).Msg("configuration reloaded")
}

// restartOnly refuses changes a reload cannot make: they hold sockets, or
// give the stored record its meaning (the zone numbers the quarters).
func restartOnly(old, cur *config.Config) error {
	var keys []string
	add := func(changed bool, key string) {
		if changed {
			keys = append(keys, key)
		}
	}
	add(old.Timezone != cur.Timezone, "timezone")
	add(!reflect.DeepEqual(old.Redis, cur.Redis), "redis")
	add(old.HTTP.Listen != cur.HTTP.Listen, "http.listen")
	add((old.HTTP.TLS == nil) != (cur.HTTP.TLS == nil), "http.tls (on or off)")
	add(old.SIP.Enabled != cur.SIP.Enabled, "sip.enabled")
	if old.SIP.Enabled && cur.SIP.Enabled {
		add(old.SIP.Listen != cur.SIP.Listen, "sip.listen")
		add(old.SIP.PBX != cur.SIP.PBX, "sip.pbx")
		add(!reflect.DeepEqual(old.SIP.Canary, cur.SIP.Canary), "sip.canary")
	}
	if len(keys) == 0 {
		return nil
	}
	return fmt.Errorf("%s cannot change without a restart (systemctl restart deskwatch)", strings.Join(keys, ", "))
}

// changes is what a reload changed, for the log and for the parts.
type changes struct {
	added, removed, changed []string // desk ids; changed: the same id, anything else different
	fresh                   []string // endpoints to snapshot alone: of new desks, of desks whose endpoints changed
	tokens, ari, notifier   bool
	schedules               bool // a schedule's shifts changed
}

// diffDesks compares the desks of two configurations.
func diffDesks(old, cur []health.Workstation) changes {
	var ch changes
	was := map[string]health.Workstation{}
	for _, w := range old {
		was[w.ID] = w
	}
	for _, w := range cur {
		o, ok := was[w.ID]
		delete(was, w.ID)
		switch {
		case !ok:
			ch.added = append(ch.added, w.ID)
			ch.fresh = append(ch.fresh, w.Endpoints...)
		case !reflect.DeepEqual(o, w):
			ch.changed = append(ch.changed, w.ID)
			if !slices.Equal(slices.Sorted(slices.Values(o.Endpoints)), slices.Sorted(slices.Values(w.Endpoints))) {
				ch.fresh = append(ch.fresh, w.Endpoints...)
			}
		}
	}
	for _, w := range old {
		if _, gone := was[w.ID]; gone {
			ch.removed = append(ch.removed, w.ID)
		}
	}
	return ch
}

// serveTLS makes the server speak HTTPS with http.tls's pair, which a
// reload reads again.
func (d *Daemon) serveTLS() error {
	cert, err := d.cfg.Certificate()
	if err != nil || cert == nil {
		return err
	}
	d.certs = &certSource{}
	d.certs.cur.Store(cert)
	d.srv.TLSConfig = &tls.Config{GetCertificate: d.certs.get, MinVersion: tls.VersionTLS12}
	return nil
}

// apply makes cfg the running configuration. What can fail comes first,
// so that an error changes nothing; then every part takes its share.
func (d *Daemon) apply(ctx context.Context, wg *sync.WaitGroup, errc chan<- error, cfg *config.Config) (changes, error) {
	wss := cfg.HealthWorkstations()
	ch := diffDesks(d.cfg.HealthWorkstations(), wss)
	ch.tokens = !reflect.DeepEqual(d.cfg.HTTP.Tokens, cfg.HTTP.Tokens)
	ch.schedules = !reflect.DeepEqual(d.cfg.CompiledSchedules(), cfg.CompiledSchedules())
	var cert *tls.Certificate
	var err error
	if d.certs != nil {
		if cert, err = cfg.Certificate(); err != nil {
			return ch, err
		}
	}
	pass, err := cfg.ARIPassword()
	if err != nil {
		return ch, err
	}
	var client *ari.Client
	if ch.ari = !reflect.DeepEqual(d.cfg.ARI, cfg.ARI) || pass != d.ari.pass; ch.ari {
		if client, err = newARI(cfg, pass, wss, d.logger("ari")); err != nil {
			return ch, fmt.Errorf("ari: %w", err)
		}
	}
	notifier, chans, err := d.newNotifier(cfg)
	if err != nil {
		return ch, err
	}
	if ch.notifier = !reflect.DeepEqual(chans, d.reloaded.chans); !ch.notifier {
		notifier = nil // unchanged: the running one goes on, with its counters
	}
	relearn, err := d.sip.update(cfg) // all or nothing, and the last that can fail
	if err != nil {
		return ch, err
	}

	d.warnRemoved(ch.removed)
	d.journal.SetWorkstations(wss)
	d.mon.Reconfigure(ctx, wss)
	if client != nil {
		d.ari.replace(ctx, wg, client, pass, d.mon.Input(), errc)
	} else {
		d.ari.client().SetEndpoints(allEndpoints(wss), append(ch.fresh, relearn...))
	}
	d.qualify.SetEndpoints(endpointDesks(wss))
	if err := d.alerts.Update(ctx, cfg.AlertRules(), notifier); err != nil && !errors.Is(err, context.Canceled) {
		d.log.Warn().Err(err).Msg("alert rules not updated")
	}
	d.reloaded.chans = chans
	svc := d.newService(cfg)
	d.quarter.Store(svc.QuarterMetrics(time.Minute))
	d.alertIn.update(cfg, svc)
	d.shifts.update(boardViewOf(cfg, svc))
	if cert != nil {
		d.certs.cur.Store(cert)
	}
	// Open streams render with the API they began on: desks, tokens or
	// shifts changed, they end and the boards reconnect to the new one.
	desks := len(ch.added)+len(ch.removed)+len(ch.changed) > 0
	d.api.set(d.newAPI(cfg, svc, wss), desks || ch.tokens || ch.schedules)
	d.cfg = cfg
	return ch, nil
}

// warnRemoved logs the removed desks that were down: their open outage
// stays open, as nobody saw it end.
func (d *Daemon) warnRemoved(ids []string) {
	for _, id := range ids {
		if v, ok := d.mon.View(id); ok && v.Decided == health.StateDown {
			d.log.Warn().Str("workstation", id).Time("since", v.Since).
				Msg("desk removed from the configuration while down: its outage stays open and the desk leaves every report; to retire a desk keep it with in_service_until")
		}
	}
}

// allEndpoints lists the desks' endpoints.
func allEndpoints(wss []health.Workstation) []string {
	var eps []string
	for _, w := range wss {
		eps = append(eps, w.Endpoints...)
	}
	return eps
}
