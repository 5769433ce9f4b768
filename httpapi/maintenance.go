package httpapi

import (
	"context"
	"net/http"
	"time"

	"deskwatch/health"
	"deskwatch/service"
)

// Maintenance is what the maintenance routes and the planned marks ask of
// the use cases (*service.Service).
type Maintenance interface {
	DeclareMaintenance(ctx context.Context, d service.DeclaredMaintenance) (health.Maintenance, error)
	Maintenances(ctx context.Context, from, to time.Time) ([]health.Maintenance, error)
	Maintenance(ctx context.Context, id string) (health.Maintenance, error)
	EndMaintenance(ctx context.Context, id, by, actor string) (health.Maintenance, error)
	CancelMaintenance(ctx context.Context, id, by, actor string) (health.Maintenance, error)
	PlannedIn(ctx context.Context, spans []health.Span) (map[string][]string, error)
	Planned(desk string, at time.Time) string
}

// maintenanceRoutes are added when Options.Maintenance is set.
func (s *Server) maintenanceRoutes() []route {
	return []route{
		{"GET", "/api/v1/maintenance", roleViewer, s.listMaintenance},
		{"POST", "/api/v1/maintenance", roleSupervisor, s.declareMaintenance},
		{"GET", "/api/v1/maintenance/{id}", roleViewer, s.getMaintenance},
		{"POST", "/api/v1/maintenance/{id}/end", roleSupervisor, s.endMaintenance},
		{"DELETE", "/api/v1/maintenance/{id}", roleSupervisor, s.cancelMaintenance},
	}
}

// windowFields are what a window is declared with and shown with.
type windowFields struct {
	All          bool     `json:"all"`
	Workstations []string `json:"workstations"`
	Hotlines     []string `json:"hotlines"`
	From         string   `json:"from"`
	To           string   `json:"to"`
	Reason       string   `json:"reason"`
}

type maintenanceDTO struct {
	ID string `json:"id"`
	windowFields
	Counts      bool    `json:"counts"`
	Category    string  `json:"category,omitempty"`
	By          string  `json:"by"`
	CreatedAt   string  `json:"created_at"`
	EndedAt     *string `json:"ended_at"`
	EndedBy     string  `json:"ended_by,omitempty"`
	CancelledAt *string `json:"cancelled_at"`
	CancelledBy string  `json:"cancelled_by,omitempty"`
	State       string  `json:"state"` // scheduled | running | over | cancelled
}

func (s *Server) toMaintenance(m health.Maintenance) maintenanceDTO {
	d := maintenanceDTO{ID: m.ID, windowFields: windowFields{All: m.All, Workstations: orNone(m.Workstations), Hotlines: orNone(m.Hotlines),
		From: *rfc(m.From), To: *rfc(m.To), Reason: m.Reason}, Counts: m.Counts, Category: m.Category, By: m.By,
		CreatedAt: *rfc(m.CreatedAt), EndedAt: rfc(m.EndedAt), EndedBy: m.EndedBy, CancelledAt: rfc(m.CancelledAt), CancelledBy: m.CancelledBy}
	now := s.opt.Now()
	iv, ok := m.Window()
	switch {
	case !m.CancelledAt.IsZero():
		d.State = "cancelled"
	case ok && now.Before(iv.Start):
		d.State = "scheduled"
	case ok && now.Before(iv.End):
		d.State = "running"
	default:
		d.State = "over"
	}
	return d
}

func orNone(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// listMaintenance: the windows overlapping from..to (default: the last 30
// days and the next 90), newest first.
func (s *Server) listMaintenance(w http.ResponseWriter, r *http.Request) {
	now := s.opt.Now().UTC()
	iv := health.Interval{Start: now.AddDate(0, 0, -30), End: now.AddDate(0, 0, 90)}
	q := r.URL.Query()
	var err error
	if v := q.Get("from"); v != "" {
		if iv.Start, err = parseTime("from", v); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if v := q.Get("to"); v != "" {
		if iv.End, err = parseTime("to", v); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	list, err := s.opt.Maintenance.Maintenances(r.Context(), iv.Start, iv.End)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]maintenanceDTO, 0, len(list))
	for _, m := range list {
		out = append(out, s.toMaintenance(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"maintenance": out})
}

type maintenanceBody struct {
	windowFields
	Counts   *bool  `json:"counts"`   // default true
	Category string `json:"category"` // required with counts: false
	By       string `json:"by"`       // default: the token's name
}

func (s *Server) declareMaintenance(w http.ResponseWriter, r *http.Request) {
	var b maintenanceBody
	if err := decodeBody(r, &b); err != nil {
		s.writeError(w, r, err)
		return
	}
	d := service.DeclaredMaintenance{All: b.All, Workstations: b.Workstations, Hotlines: b.Hotlines, Reason: b.Reason,
		Counts: b.Counts, Category: b.Category, By: orCaller(r, b.By), Actor: callerOf(r).Name}
	var err error
	if d.From, err = parseTime("from", b.From); err == nil {
		d.To, err = parseTime("to", b.To)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.answerMaintenance(w, r, http.StatusCreated)(s.opt.Maintenance.DeclareMaintenance(r.Context(), d))
}

func (s *Server) getMaintenance(w http.ResponseWriter, r *http.Request) {
	s.answerMaintenance(w, r, http.StatusOK)(s.opt.Maintenance.Maintenance(r.Context(), r.PathValue("id")))
}

func (s *Server) endMaintenance(w http.ResponseWriter, r *http.Request) {
	s.answerMaintenance(w, r, http.StatusOK)(s.opt.Maintenance.EndMaintenance(r.Context(), r.PathValue("id"), callerOf(r).Name, callerOf(r).Name))
}

func (s *Server) cancelMaintenance(w http.ResponseWriter, r *http.Request) {
	s.answerMaintenance(w, r, http.StatusOK)(s.opt.Maintenance.CancelMaintenance(r.Context(), r.PathValue("id"), callerOf(r).Name, callerOf(r).Name))
}

func (s *Server) answerMaintenance(w http.ResponseWriter, r *http.Request, code int) func(health.Maintenance, error) {
	return func(m health.Maintenance, err error) {
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if s.opt.Hub != nil {
			s.opt.Hub.PublishAll() // the board's planned marks may change
		}
		writeJSON(w, code, s.toMaintenance(m))
	}
}

// markPlanned sets planned and maintenance on outages overlapping a window.
func (s *Server) markPlanned(ctx context.Context, spans []health.Span, out []outageDTO) error {
	if s.opt.Maintenance == nil {
		return nil
	}
	ids, err := s.opt.Maintenance.PlannedIn(ctx, spans)
	if err != nil {
		return err
	}
	for i := range out {
		if m := ids[out[i].ID]; len(m) > 0 {
			out[i].Planned, out[i].Maintenance = true, m
		}
	}
	return nil
}

// plannedNow is the window holding for a desk now ("" when none).
func (s *Server) plannedNow(desk string) string {
	if s.opt.Maintenance == nil {
		return ""
	}
	return s.opt.Maintenance.Planned(desk, s.opt.Now())
}
