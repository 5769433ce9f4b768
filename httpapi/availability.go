package httpapi

import (
	"net/http"
	"time"
)

type periodDTO struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Zone     string `json:"zone"`
	Measured string `json:"measured_to"`
}

type deskAvailDTO struct {
	ID            string   `json:"id"`
	ProvidedS     float64  `json:"provided_s"`
	UnavailableS  float64  `json:"unavailable_s"`
	ExcludedS     float64  `json:"excluded_s"`
	UnknownS      float64  `json:"unknown_s"`
	Di            float64  `json:"Di"`
	Hotlines      []string `json:"hotlines"`
	InServiceFrom *string  `json:"in_service_from,omitempty"`
	Schedule      string   `json:"schedule,omitempty"` // provided_s is the service window ∩ this schedule
}

type groupDTO struct {
	N int     `json:"N"`
	D float64 `json:"D"`
}

func (s *Server) availability(w http.ResponseWriter, r *http.Request) {
	iv, err := s.rangeParams(r, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.opt.Service.Availability(r.Context(), iv)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sec := func(d time.Duration) float64 { return d.Seconds() }
	desks := make([]deskAvailDTO, 0, len(res.Desks))
	for _, d := range res.Desks {
		desks = append(desks, deskAvailDTO{ID: d.ID, ProvidedS: sec(d.Provided), UnavailableS: sec(d.Unavailable), ExcludedS: sec(d.Excluded), UnknownS: sec(d.Unknown), Di: d.Di, Hotlines: s.desks[d.ID].Hotlines, Schedule: s.desks[d.ID].Schedule})
	}
	hot := map[string]groupDTO{}
	for h := range s.hotlines {
		g := res.Hotlines[h]
		hot[h] = groupDTO{N: g.N, D: g.D}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"period":       periodDTO{From: iv.Start.In(s.opt.Location).Format(time.RFC3339), To: iv.End.In(s.opt.Location).Format(time.RFC3339), Zone: s.opt.Location.String(), Measured: res.Measured.End.In(s.opt.Location).Format(time.RFC3339Nano)},
		"N":            res.N,
		"D":            res.D,
		"workstations": desks,
		"hotlines":     hot,
	})
}
