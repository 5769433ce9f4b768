package httpapi

import (
	"net/http"
	"time"

	"deskwatch/health"
)

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func rfc(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

type endpointDTO struct {
	ID          string    `json:"id"`
	State       string    `json:"state"`
	Cause       string    `json:"cause,omitempty"`
	Contact     string    `json:"contact,omitempty"`
	LastEventAt *string   `json:"last_event_at"`
	Probe       *probeDTO `json:"probe"`
}

// probeDTO is what deskwatch's own SIP probes say: the verdict after the
// misses/answers hysteresis, and the last probe's code and round trip.
type probeDTO struct {
	Result string  `json:"result,omitempty"` // ok | lost; empty before a verdict
	Alive  bool    `json:"alive"`            // the last probe was answered
	Code   int     `json:"code,omitempty"`   // its response code (503: do-not-disturb?)
	RTTms  float64 `json:"rtt_ms,omitempty"`
	Misses int     `json:"misses,omitempty"` // consecutive unanswered probes
	At     *string `json:"at"`
}

type workstationDTO struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Hotlines    []string      `json:"hotlines"`
	State       string        `json:"state"`
	Cause       string        `json:"cause,omitempty"`
	Since       *string       `json:"since"`
	ProbeOnly   bool          `json:"probe_only,omitempty"`  // ARI blind: the state rests on SIP probes
	Schedule    string        `json:"schedule,omitempty"`    // the service schedule's name; absent: around the clock
	OnShift     bool          `json:"on_shift"`              // inside its schedule now: off shift is neither up nor down
	Maintenance string        `json:"maintenance,omitempty"` // the planned maintenance window holding now (плановые работы)
	Warnings    []string      `json:"warnings,omitempty"`    // e.g. qualify_off
	Computer    *computerDTO  `json:"computer,omitempty"`    // the operator's computer, when deskwatch probes it
	Endpoints   []endpointDTO `json:"endpoints"`
}

func (s *Server) workstations(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"workstations": s.workstationDTOs()})
}

func (s *Server) workstationDTOs() []workstationDTO {
	warn := s.warnings()
	views := s.opt.Live.Views()
	out := make([]workstationDTO, 0, len(views))
	for _, v := range views {
		out = append(out, s.workstationDTO(v, warn))
	}
	return out
}

func (s *Server) warnings() map[string][]string {
	if s.opt.Warnings == nil {
		return nil
	}
	return s.opt.Warnings()
}

// workstationDTO is one desk as the API shows it.
func (s *Server) workstationDTO(v health.DeskView, warn map[string][]string) workstationDTO {
	desk := s.desks[v.ID]
	d := workstationDTO{ID: v.ID, Name: desk.Name, Hotlines: desk.Hotlines, State: string(v.State), Since: rfc(v.Since), ProbeOnly: v.ProbeOnly, Warnings: warn[v.ID], Endpoints: []endpointDTO{},
		Schedule: desk.Schedule, OnShift: s.opt.OnShift == nil || s.opt.OnShift(v.ID, s.opt.Now())}
	if v.State == health.StateDown {
		d.Cause = string(v.Cause)
	}
	for _, e := range v.Endpoints {
		ed := endpointDTO{ID: e.ID, State: string(e.State), Cause: string(e.Cause), Contact: e.Contact, LastEventAt: rfc(e.LastEventAt)}
		var last ProbeResult
		ok := false
		if s.opt.Probe != nil {
			last, ok = s.opt.Probe(e.ID)
		}
		switch {
		case ok:
			ed.Probe = &probeDTO{Result: e.Probe, Alive: last.Alive, Code: last.Code, RTTms: ms(last.RTT), Misses: last.Misses, At: rfc(last.At)}
		case e.Probe != "":
			ed.Probe = &probeDTO{Result: e.Probe, Alive: e.Probe == "ok", Code: e.ProbeCode, RTTms: ms(e.ProbeRTT), At: rfc(e.ProbeAt)}
		}
		d.Endpoints = append(d.Endpoints, ed)
	}
	d.Computer = s.computerDTO(v)
	d.Maintenance = s.plannedNow(v.ID)
	return d
}
