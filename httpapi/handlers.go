package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
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
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Hotlines  []string      `json:"hotlines"`
	State     string        `json:"state"`
	Cause     string        `json:"cause,omitempty"`
	Since     *string       `json:"since"`
	ProbeOnly bool          `json:"probe_only,omitempty"` // ARI blind: the state rests on SIP probes
	Warnings  []string      `json:"warnings,omitempty"`   // e.g. qualify_off
	Endpoints []endpointDTO `json:"endpoints"`
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
	d := workstationDTO{ID: v.ID, Name: s.opt.Names[v.ID], Hotlines: s.desks[v.ID].Hotlines, State: string(v.State), Since: rfc(v.Since), ProbeOnly: v.ProbeOnly, Warnings: warn[v.ID], Endpoints: []endpointDTO{}}
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
	return d
}

type exclusionDTO struct {
	Category string `json:"category"`
	Reason   string `json:"reason"`
	By       string `json:"by"`
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
}

func toOutage(sp health.Span) outageDTO {
	o := outageDTO{ID: sp.ID, Workstation: sp.Workstation, Start: *rfc(sp.Start), End: rfc(sp.End), Cause: string(sp.Cause), Manual: sp.Manual, Note: sp.Note, Sources: []string{}}
	for _, src := range sp.Sources {
		o.Sources = append(o.Sources, string(src))
	}
	if ex := sp.Exclusion; ex != nil {
		o.Excluded = true
		o.Exclusion = &exclusionDTO{Category: ex.Category, Reason: ex.Reason, By: ex.By, At: *rfc(ex.At)}
	}
	return o
}

// parseTime accepts RFC 3339 (with or without fraction).
func parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, bad("bad_time", fmt.Sprintf("параметр %s: %q не является временем RFC 3339 (например 2026-07-01T00:00:00+08:00)", name, v),
			fmt.Sprintf("%s: %q is not an RFC 3339 time (e.g. 2026-07-01T00:00:00+08:00)", name, v))
	}
	return t.UTC(), nil
}

// rangeParams reads from/to or period; def supplies the default range.
func (s *Server) rangeParams(r *http.Request, requireSome bool) (health.Interval, error) {
	q := r.URL.Query()
	if p := q.Get("period"); p != "" {
		if q.Has("from") || q.Has("to") {
			return health.Interval{}, bad("bad_range", "укажите либо period, либо from и to", "give either period or from and to, not both")
		}
		qt, err := health.ParseQuarter(p)
		if err != nil {
			return health.Interval{}, bad("bad_period", fmt.Sprintf("неизвестный период %q: ожидается квартал вида 2026Q3", p), fmt.Sprintf("unknown period %q: want a quarter like 2026Q3", p))
		}
		return qt.Range(s.opt.Location), nil
	}
	var iv health.Interval
	var err error
	now := s.opt.Now().UTC()
	switch {
	case q.Get("from") != "":
		if iv.Start, err = parseTime("from", q.Get("from")); err != nil {
			return iv, err
		}
	case requireSome:
		return iv, bad("bad_range", "укажите period или from и to", "give period, or from and to")
	default:
		iv.Start = health.QuarterOf(now, s.opt.Location).Range(s.opt.Location).Start
	}
	switch {
	case q.Get("to") != "":
		if iv.End, err = parseTime("to", q.Get("to")); err != nil {
			return iv, err
		}
	case requireSome:
		return iv, bad("bad_range", "укажите и from, и to", "give both from and to")
	default:
		iv.End = now.Add(time.Second)
	}
	if !iv.End.After(iv.Start) {
		return iv, bad("bad_range", "from должно быть раньше to", "from must be before to")
	}
	return iv, nil
}

func (s *Server) listOutages(w http.ResponseWriter, r *http.Request) {
	iv, err := s.rangeParams(r, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := SpanQuery{From: iv.Start, To: iv.End}
	params := r.URL.Query()
	if ws := params.Get("workstation"); ws != "" {
		for _, id := range strings.Split(ws, ",") {
			if _, ok := s.desks[id]; !ok {
				s.writeError(w, r, bad("unknown_workstation", fmt.Sprintf("неизвестное рабочее место %q", id), fmt.Sprintf("unknown workstation %q", id)))
				return
			}
			q.Workstations = append(q.Workstations, id)
		}
	}
	if h := params.Get("hotline"); h != "" {
		ids, ok := s.hotlines[h]
		if !ok {
			s.writeError(w, r, bad("unknown_hotline", fmt.Sprintf("неизвестная линия %q", h), fmt.Sprintf("unknown hotline %q", h)))
			return
		}
		if q.Workstations == nil {
			q.Workstations = ids
		} else {
			q.Workstations = slices.DeleteFunc(q.Workstations, func(id string) bool { return !slices.Contains(ids, id) })
			if len(q.Workstations) == 0 {
				writeJSON(w, http.StatusOK, map[string]any{"outages": []outageDTO{}})
				return
			}
		}
	}
	if o := params.Get("open"); o != "" {
		b, err := strconv.ParseBool(o)
		if err != nil {
			s.writeError(w, r, bad("bad_open", "параметр open: ожидается true или false", "open: want true or false"))
			return
		}
		q.Open = &b
	}
	spans, err := s.opt.Store.Spans(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]outageDTO, 0, len(spans))
	for _, sp := range spans {
		out = append(out, toOutage(sp))
	}
	writeJSON(w, http.StatusOK, map[string]any{"outages": out})
}

// decodeBody reads a JSON object strictly: unknown fields and trailing data are errors.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return bad("bad_body", "не удалось прочитать тело запроса", "could not read the request body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bad("bad_json", "тело запроса не является допустимым JSON: "+err.Error(), "the body is not valid JSON: "+err.Error())
	}
	if dec.More() {
		return bad("bad_json", "после объекта JSON есть лишние данные", "trailing data after the JSON object")
	}
	return nil
}

type manualBody struct {
	Workstation string  `json:"workstation"`
	Start       string  `json:"start"`
	End         *string `json:"end"`
	Cause       string  `json:"cause"`
	Note        string  `json:"note"`
}

func (s *Server) createOutage(w http.ResponseWriter, r *http.Request) {
	var b manualBody
	if err := decodeBody(r, &b); err != nil {
		s.writeError(w, r, err)
		return
	}
	ws, ok := s.desks[b.Workstation]
	if !ok {
		s.writeError(w, r, bad("unknown_workstation", fmt.Sprintf("неизвестное рабочее место %q", b.Workstation), fmt.Sprintf("unknown workstation %q", b.Workstation)))
		return
	}
	start, err := parseTime("start", b.Start)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if b.End == nil {
		s.writeError(w, r, bad("missing_end", "укажите end: окончание отказа", "end is required: when the failure ended"))
		return
	}
	end, err := parseTime("end", *b.End)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.opt.Now().UTC()
	switch {
	case !end.After(start):
		err = bad("bad_range", "end должно быть позже start", "end must be after start")
	case end.After(now.Add(time.Minute)):
		err = bad("future", "отказ не может заканчиваться в будущем", "a failure cannot end in the future")
	case strings.TrimSpace(b.Cause) == "" || len(b.Cause) > 500:
		err = bad("bad_cause", "укажите причину (cause), не длиннее 500 символов", "cause is required, at most 500 characters")
	case len(b.Note) > 2000:
		err = bad("bad_note", "примечание длиннее 2000 символов", "note is longer than 2000 characters")
	case ws.InServiceFrom.After(start) || (!ws.InServiceUntil.IsZero() && !ws.InServiceUntil.After(start)):
		err = bad("out_of_service", "рабочее место в это время не было в эксплуатации", "the workstation was not in service at that time")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sp := health.Span{Workstation: ws.ID, Start: start, End: end, Cause: health.Cause(strings.TrimSpace(b.Cause)), Note: b.Note, Manual: true, Sources: []health.Source{health.SourceManual}}
	sp, err = s.opt.Store.AddManual(r.Context(), sp, callerOf(r).Name, now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.tellJournal(r.Context(), sp, callerOf(r).Name, true)
	writeJSON(w, http.StatusCreated, toOutage(sp))
}

func (s *Server) getOutage(w http.ResponseWriter, r *http.Request) {
	sp, err := s.opt.Store.Span(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toOutage(sp))
}

type exclusionBody struct {
	Category string `json:"category"`
	Reason   string `json:"reason"`
	By       string `json:"by"`
}

func (s *Server) exclude(w http.ResponseWriter, r *http.Request) {
	var b exclusionBody
	if err := decodeBody(r, &b); err != nil {
		s.writeError(w, r, err)
		return
	}
	var err error
	switch {
	case !slices.Contains(health.ExclusionCategories, b.Category):
		err = bad("bad_category", fmt.Sprintf("категория %q неизвестна: допустимы %s", b.Category, strings.Join(health.ExclusionCategories, ", ")),
			fmt.Sprintf("unknown category %q: want one of %s", b.Category, strings.Join(health.ExclusionCategories, ", ")))
	case strings.TrimSpace(b.Reason) == "" || len(b.Reason) > 2000:
		err = bad("bad_reason", "укажите обоснование (reason), не длиннее 2000 символов", "reason is required, at most 2000 characters")
	case len(b.By) > 200:
		err = bad("bad_by", "поле by длиннее 200 символов", "by is longer than 200 characters")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	by := strings.TrimSpace(b.By)
	if by == "" {
		by = callerOf(r).Name
	}
	sp, err := s.opt.Store.SetExclusion(r.Context(), r.PathValue("id"), health.Exclusion{Category: b.Category, Reason: strings.TrimSpace(b.Reason), By: by, At: s.opt.Now().UTC()})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.tellJournal(r.Context(), sp, callerOf(r).Name, false)
	writeJSON(w, http.StatusOK, toOutage(sp))
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	sp, err := s.opt.Store.RevokeExclusion(r.Context(), r.PathValue("id"), callerOf(r).Name, s.opt.Now().UTC())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.tellJournal(r.Context(), sp, callerOf(r).Name, false)
	writeJSON(w, http.StatusOK, toOutage(sp))
}

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
}

type groupDTO struct {
	N int     `json:"N"`
	D float64 `json:"D"`
}

// Availability computes the standard's indicator for a period from the store.
func (s *Server) Availability(ctx context.Context, period health.Interval) (health.AvailabilityResult, error) {
	spans, err := s.opt.Store.Spans(ctx, SpanQuery{From: period.Start, To: period.End})
	if err != nil {
		return health.AvailabilityResult{}, err
	}
	blind, err := s.opt.Store.BlindOf(ctx, period.Start, period.End)
	if err != nil {
		return health.AvailabilityResult{}, err
	}
	var probeBlind []health.Interval
	if s.opt.ProbeCovered != nil {
		if probeBlind, err = s.opt.Store.BlindOf(ctx, period.Start, period.End, health.SourceMonitor, health.SourceSIP); err != nil {
			return health.AvailabilityResult{}, err
		}
	}
	in := health.Inputs(s.opt.Workstations, spans, blind, probeBlind, s.opt.ProbeCovered)
	return health.Availability(period, s.opt.Now().UTC(), in), nil
}

func (s *Server) availability(w http.ResponseWriter, r *http.Request) {
	iv, err := s.rangeParams(r, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.Availability(r.Context(), iv)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sec := func(d time.Duration) float64 { return d.Seconds() }
	desks := make([]deskAvailDTO, 0, len(res.Desks))
	for _, d := range res.Desks {
		desks = append(desks, deskAvailDTO{ID: d.ID, ProvidedS: sec(d.Provided), UnavailableS: sec(d.Unavailable), ExcludedS: sec(d.Excluded), UnknownS: sec(d.Unknown), Di: d.Di, Hotlines: s.desks[d.ID].Hotlines})
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

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	redisErr := s.opt.Store.Ping(ctx)
	ariOK, since := false, time.Time{}
	if s.opt.ARI != nil {
		ariOK, since = s.opt.ARI.Connected()
	}
	status := "ok"
	if redisErr != nil || !ariOK {
		status = "degraded"
	}
	body := map[string]any{
		"status": status,
		"ari":    map[string]any{"connected": ariOK, "since": rfc(since)},
		"redis":  map[string]any{"reachable": redisErr == nil},
	}
	if redisErr != nil {
		body["redis"].(map[string]any)["error"] = "ping failed"
	}
	if s.opt.Warnings != nil {
		warn := map[string][]string{}
		for desk, ws := range s.opt.Warnings() {
			for _, w := range ws {
				warn[w] = append(warn[w], desk)
			}
		}
		for _, ds := range warn {
			sort.Strings(ds)
		}
		body["warnings"] = warn
	}
	if s.opt.Status != nil {
		for k, v := range s.opt.Status() {
			body[k] = v
		}
	}
	// Always 200 while the process serves: restarting deskwatch cures
	// neither Redis nor Asterisk; the status field says degraded.
	code := http.StatusOK
	writeJSON(w, code, body)
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	var ms []Metric
	if s.opt.Metrics != nil {
		ms = s.opt.Metrics()
	}
	counts := map[health.State]int{}
	for _, v := range s.opt.Live.Views() {
		counts[v.State]++
	}
	for _, st := range []health.State{health.StateUp, health.StateDown, health.StateUnknown} {
		ms = append(ms, Metric{Name: "deskwatch_workstations", Help: "Workstations by current state.", Type: "gauge", Labels: map[string]string{"state": string(st)}, Value: float64(counts[st])})
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	writeMetrics(w, ms)
}

// writeMetrics renders the Prometheus text format, one HELP/TYPE per name.
func writeMetrics(w io.Writer, ms []Metric) {
	family := func(m Metric) string {
		if m.Type == "histogram" {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if f, ok := strings.CutSuffix(m.Name, suf); ok {
					return f
				}
			}
		}
		return m.Name
	}
	sort.SliceStable(ms, func(i, j int) bool { return family(ms[i]) < family(ms[j]) })
	last := ""
	for _, m := range ms {
		if f := family(m); f != last {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f, m.Help, f, m.Type)
			last = f
		}
		fmt.Fprint(w, m.Name)
		if len(m.Labels) > 0 {
			keys := make([]string, 0, len(m.Labels))
			for k := range m.Labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s=%s", k, strconv.Quote(m.Labels[k]))
			}
			fmt.Fprintf(w, "{%s}", strings.Join(parts, ","))
		}
		fmt.Fprintf(w, " %s\n", strconv.FormatFloat(m.Value, 'g', -1, 64))
	}
}
