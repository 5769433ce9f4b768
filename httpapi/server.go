// Package httpapi answers supervisors over HTTP: which desks are down now,
// the outages of a period, manual entries and exclusions, and the standard's
// availability. Everything but /healthz needs a Bearer token.
package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"deskwatch/health"
	"deskwatch/metrics"
	"deskwatch/service"
)

// Service is what the outage, availability and health routes ask of the
// use cases (*service.Service); Journal and Reports are the optional rest.
type Service interface {
	OutagesPage(ctx context.Context, q service.OutageQuery, after *service.OutageCursor, limit int) ([]health.Span, bool, error)
	Outage(ctx context.Context, id string) (health.Span, error)
	AddManual(ctx context.Context, m service.ManualOutage) (health.Span, error)
	Exclude(ctx context.Context, id string, ex health.Exclusion) (health.Span, error)
	Revoke(ctx context.Context, id, by, actor string) (health.Span, error)
	Availability(ctx context.Context, period health.Interval) (health.AvailabilityResult, error)
	Ping(ctx context.Context) error
}

// Live is the monitor's current view.
type Live interface {
	Views() []health.DeskView
	View(id string) (health.DeskView, bool)
}

// Probe reports a source's connection, for /healthz.
type Probe interface {
	Connected() (bool, time.Time)
}

// ProbeResult is the last OPTIONS probe of an endpoint.
type ProbeResult struct {
	At     time.Time
	Alive  bool
	Code   int
	RTT    time.Duration
	Misses int
}

// Token is an accepted API token, kept as the SHA-256 of its value.
type Token struct {
	Name, Role string // role: viewer | supervisor
	SHA256     string // hex
}

// Options configure the server.
type Options struct {
	Workstations []health.Workstation
	Location     *time.Location
	Tokens       []Token
	Service      Service
	Live         Live
	ARI          Probe
	Metrics      func() []metrics.Metric
	// Warnings, if set, gives configuration warnings per desk id (e.g.
	// qualify_off), shown in /api/v1/workstations and /healthz.
	Warnings func() map[string][]string
	// Probe, if set, gives an endpoint's last SIP probe.
	Probe func(endpoint string) (ProbeResult, bool)
	// Journal serves /api/v1/journal; nil disables it.
	Journal Journal
	// Reports serves /api/v1/reports; nil disables it.
	Reports Reports
	// RenderCache, if set, keeps submitted reports' files once rendered;
	// Renders counts renders (nil: a count of the server's own).
	RenderCache RenderCache
	Renders     *Renders
	// Version is the release that renders the files (deskwatch version):
	// part of a cached file's key and of its ETag, so a release whose
	// renderer changed renders submitted versions anew.
	Version string
	// Hub feeds GET /api/v1/events; nil disables it.
	Hub *Hub
	// Status adds fields to /healthz (e.g. the monitor's write queue).
	Status func() map[string]any
	// Access, if set, records who read personal data (access.go).
	Access *Access
	Logger zerolog.Logger
	// Now reads "this year" and "this quarter so far" in requests.
	Now func() time.Time
	// OnShift, if set, says whether a desk is inside its service schedule
	// at an instant (nil: every desk always is).
	OnShift func(desk string, at time.Time) bool
	// Maintenance serves /api/v1/maintenance and marks planned outages;
	// nil disables both.
	Maintenance Maintenance
	// Computer, if set, gives a desk's last probe of its computer.
	Computer func(desk string) (ProbeResult, bool)
}

// Server is the HTTP API.
type Server struct {
	opt      Options
	log      zerolog.Logger
	desks    map[string]health.Workstation
	hotlines map[string][]string // hotline → desk ids
	tokens   []tokenHash
	mux      *http.ServeMux
	routes   []route
	renders  *Renders
}

// route is one authenticated API path (the OpenAPI document lists each).
type route struct {
	method, path, role string
	h                  http.HandlerFunc
}

type tokenHash struct {
	name, role string
	sum        [32]byte
}

// New builds the server; tokens with malformed hashes are rejected by the
// config before they get here and skipped if they do.
func New(opt Options) *Server {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	s := &Server{opt: opt, log: opt.Logger, desks: map[string]health.Workstation{}, hotlines: map[string][]string{}, renders: opt.Renders}
	if s.renders == nil {
		s.renders = &Renders{}
	}
	for _, w := range opt.Workstations {
		s.desks[w.ID] = w
		for _, h := range w.Hotlines {
			s.hotlines[h] = append(s.hotlines[h], w.ID)
		}
	}
	for _, t := range opt.Tokens {
		b, err := hex.DecodeString(t.SHA256)
		if err != nil || len(b) != 32 {
			s.log.Error().Str("token", t.Name).Msg("token hash is not 64 hex characters: ignored")
			continue
		}
		th := tokenHash{name: t.Name, role: t.Role}
		copy(th.sum[:], b)
		s.tokens = append(s.tokens, th)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	s.routes = []route{
		{"GET", "/metrics", roleViewer, s.metrics},
		{"GET", "/api/v1/openapi.json", roleViewer, serveOpenAPI},
		{"GET", "/api/v1/workstations", roleViewer, s.workstations},
		{"GET", "/api/v1/events", roleViewer, s.events},
		{"GET", "/api/v1/outages", roleViewer, s.listOutages},
		{"POST", "/api/v1/outages", roleSupervisor, s.createOutage},
		{"GET", "/api/v1/outages/{id}", roleViewer, s.getOutage},
		{"POST", "/api/v1/outages/{id}/exclusion", roleSupervisor, s.exclude},
		{"DELETE", "/api/v1/outages/{id}/exclusion", roleSupervisor, s.revoke},
		{"GET", "/api/v1/availability", roleViewer, s.availability},
	}
	if opt.Journal != nil {
		s.routes = append(s.routes,
			route{"GET", "/api/v1/journal", roleViewer, s.listJournal},
			route{"GET", "/api/v1/journal/{n}", roleViewer, s.getJournalEntry},
			route{"POST", "/api/v1/journal/{n}/notes", roleSupervisor, s.addJournalNote})
	}
	if opt.Reports != nil {
		s.routes = append(s.routes,
			route{"GET", "/api/v1/reports", roleViewer, s.listReports},
			route{"GET", "/api/v1/reports/{file}", roleViewer, s.getReport},
			route{"GET", "/api/v1/reports/{period}/versions", roleViewer, s.reportVersions},
			route{"POST", "/api/v1/reports/{period}/submit", roleSupervisor, s.submitReport})
	}
	s.routes = append(s.routes, s.accessRoutes()...)
	if opt.Maintenance != nil {
		s.routes = append(s.routes, s.maintenanceRoutes()...)
	}
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.path, s.logged(rt, s.auth(rt.role, rt.h)))
	}
	mux.HandleFunc(catchAll, s.noRoute)
	s.mux = mux
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

const (
	roleViewer     = "viewer"
	roleSupervisor = "supervisor"
)

type ctxKey struct{}

// Caller is the authenticated token's name and role. The name is the
// actor every write records beside the by the body gives.
type Caller struct{ Name, Role string }

func callerOf(r *http.Request) Caller {
	c, _ := r.Context().Value(ctxKey{}).(Caller)
	return c
}

// auth checks the Bearer token in constant time against every configured
// hash, and the role. The token itself is never logged.
func (s *Server) auth(need string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || raw == "" {
			s.writeError(w, r, errUnauthorized)
			return
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(raw)))
		var found *tokenHash
		for i := range s.tokens {
			if subtle.ConstantTimeCompare(sum[:], s.tokens[i].sum[:]) == 1 {
				found = &s.tokens[i]
			}
		}
		if found == nil {
			s.log.Warn().Str("remote", r.RemoteAddr).Str("path", r.URL.Path).Msg("rejected API token")
			s.writeError(w, r, errUnauthorized)
			return
		}
		noteCaller(r, Caller{found.name, found.role})
		if need == roleSupervisor && found.role != roleSupervisor {
			s.writeError(w, r, errForbidden)
			return
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, Caller{found.name, found.role})
		h(w, r.WithContext(ctx))
	})
}
