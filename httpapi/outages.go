package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"deskwatch/health"
	"deskwatch/service"
)

type exclusionDTO struct {
	Category string `json:"category"`
	Reason   string `json:"reason"`
	By       string `json:"by"`    // as they wrote
	Actor    string `json:"actor"` // the token that set it; "" before it was kept
	At       string `json:"at"`
}

type outageDTO struct {
	ID          string        `json:"id"`
	Workstation string        `json:"workstation"`
	Start       string        `json:"start"`
	End         *string       `json:"end"`
	Cause       string        `json:"cause"`
	Sources     []string      `json:"sources"`
	Manual      bool          `json:"manual"`
	Note        string        `json:"note,omitempty"`
	Excluded    bool          `json:"excluded"`
	Exclusion   *exclusionDTO `json:"exclusion"`
	// Planned: the outage overlaps planned maintenance (плановые работы),
	// the windows listed.
	Planned     bool     `json:"planned"`
	Maintenance []string `json:"maintenance,omitempty"`
	// By and Actor: who entered a manual outage, in the answer to its POST.
	By    string `json:"by,omitempty"`
	Actor string `json:"actor,omitempty"`
}

func toOutage(sp health.Span) outageDTO {
	o := outageDTO{ID: sp.ID, Workstation: sp.Workstation, Start: *rfc(sp.Start), End: rfc(sp.End), Cause: string(sp.Cause), Manual: sp.Manual, Note: sp.Note, Sources: []string{}}
	for _, src := range sp.Sources {
		o.Sources = append(o.Sources, string(src))
	}
	if ex := sp.Exclusion; ex != nil {
		o.Excluded = true
		o.Exclusion = &exclusionDTO{Category: ex.Category, Reason: ex.Reason, By: ex.By, Actor: ex.Actor, At: *rfc(ex.At)}
	}
	return o
}

func (s *Server) listOutages(w http.ResponseWriter, r *http.Request) {
	iv, err := s.rangeParams(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := service.OutageQuery{From: iv.Start, To: iv.End}
	params := r.URL.Query()
	if ws := params.Get("workstation"); ws != "" {
		q.Workstations = strings.Split(ws, ",")
	}
	q.Hotline = params.Get("hotline")
	if o := params.Get("open"); o != "" {
		b, err := strconv.ParseBool(o)
		if err != nil {
			s.writeError(w, r, bad("bad_open", "параметр open: ожидается true или false", "open: want true or false"))
			return
		}
		q.Open = &b
	}
	s.pageOutages(w, r, q)
}

// outagePos is an outages page's cursor: after this span.
type outagePos struct {
	Start int64  `json:"s"` // unix ms
	ID    string `json:"id"`
}

// pageOutages answers one page of the outages q selects.
func (s *Server) pageOutages(w http.ResponseWriter, r *http.Request, q service.OutageQuery) {
	var planned map[string][]string // the page's outages inside maintenance windows
	servePage(s, w, r, "outages", func(after *outagePos, limit int) ([]health.Span, bool, error) {
		var c *service.OutageCursor
		if after != nil {
			c = &service.OutageCursor{Start: time.UnixMilli(after.Start).UTC(), ID: after.ID}
		}
		spans, more, err := s.opt.Service.OutagesPage(r.Context(), q, c, limit)
		if err == nil && s.opt.Maintenance != nil {
			planned, err = s.opt.Maintenance.PlannedIn(r.Context(), spans)
		}
		return spans, more, err
	}, func(sp health.Span) outagePos { return outagePos{sp.Start.UnixMilli(), sp.ID} },
		func(sp health.Span) any {
			o := toOutage(sp)
			if m := planned[sp.ID]; len(m) > 0 {
				o.Planned, o.Maintenance = true, m
			}
			return o
		})
}

type manualBody struct {
	Workstation string  `json:"workstation"`
	Start       string  `json:"start"`
	End         *string `json:"end"`
	Cause       string  `json:"cause"`
	Note        string  `json:"note"`
	By          string  `json:"by"` // default: the token's name
}

func (s *Server) createOutage(w http.ResponseWriter, r *http.Request) {
	var b manualBody
	if err := decodeBody(r, &b); err != nil {
		s.writeError(w, r, err)
		return
	}
	m := service.ManualOutage{Workstation: b.Workstation, Cause: b.Cause, Note: b.Note, By: orCaller(r, b.By), Actor: callerOf(r).Name}
	var err error
	if m.Start, err = parseTime("start", b.Start); err != nil {
		s.writeError(w, r, err)
		return
	}
	if b.End == nil {
		s.writeError(w, r, bad("missing_end", "укажите end: окончание отказа", "end is required: when the failure ended"))
		return
	}
	if m.End, err = parseTime("end", *b.End); err != nil {
		s.writeError(w, r, err)
		return
	}
	sp, err := s.opt.Service.AddManual(r.Context(), m)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	o := toOutage(sp)
	o.By, o.Actor = m.By, m.Actor
	writeJSON(w, http.StatusCreated, o)
}

// orCaller is by as the body gave it, or else the token's name.
func orCaller(r *http.Request, by string) string {
	if strings.TrimSpace(by) == "" {
		return callerOf(r).Name
	}
	return by
}

func (s *Server) getOutage(w http.ResponseWriter, r *http.Request) {
	s.answerSpan(w, r, http.StatusOK)(s.opt.Service.Outage(r.Context(), r.PathValue("id")))
}

type exclusionBody struct {
	Category string `json:"category"`
	Reason   string `json:"reason"`
	By       string `json:"by"` // default: the token's name
}

func (s *Server) exclude(w http.ResponseWriter, r *http.Request) {
	var b exclusionBody
	if err := decodeBody(r, &b); err != nil {
		s.writeError(w, r, err)
		return
	}
	ex := health.Exclusion{Category: b.Category, Reason: b.Reason, By: orCaller(r, b.By), Actor: callerOf(r).Name}
	s.answerSpan(w, r, http.StatusOK)(s.opt.Service.Exclude(r.Context(), r.PathValue("id"), ex))
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	name := callerOf(r).Name
	s.answerSpan(w, r, http.StatusOK)(s.opt.Service.Revoke(r.Context(), r.PathValue("id"), name, name))
}

// answerSpan renders a use case's span with code, or its error.
func (s *Server) answerSpan(w http.ResponseWriter, r *http.Request, code int) func(health.Span, error) {
	return func(sp health.Span, err error) {
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := []outageDTO{toOutage(sp)}
		if err := s.markPlanned(r.Context(), []health.Span{sp}, out); err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, code, out[0])
	}
}
