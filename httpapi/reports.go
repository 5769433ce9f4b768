package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"deskwatch/health"
	"deskwatch/report"
)

// Frozen is a submitted version of a quarter's report.
type Frozen struct {
	Version     int
	SubmittedAt time.Time
	By          string
	InputsHash  string
	JSON        []byte // report.WriteJSON of the frozen model
}

// Reports builds live reports and keeps the submitted ones.
type Reports interface {
	Build(ctx context.Context, q health.Quarter) (*report.Report, error)
	Submitted(ctx context.Context, q health.Quarter) ([]Frozen, error)
	Submit(ctx context.Context, q health.Quarter, f Frozen) (int, error)
	// Missing counts the quarter's journal entries still lacking a cause or
	// a fault attribution.
	Missing(ctx context.Context, q health.Quarter) (int, error)
}

var formats = map[string]struct {
	ctype string
	write func(w *bytes.Buffer, r *report.Report) error
}{
	"pdf":  {"application/pdf", func(w *bytes.Buffer, r *report.Report) error { return report.WritePDF(w, r) }},
	"xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", func(w *bytes.Buffer, r *report.Report) error { return report.WriteXLSX(w, r) }},
	"csv":  {"text/csv; charset=utf-8", func(w *bytes.Buffer, r *report.Report) error { return report.WriteCSV(w, r) }},
	"json": {"application/json; charset=utf-8", func(w *bytes.Buffer, r *report.Report) error { return report.WriteJSON(w, r) }},
}

func badQuarter(s string) error {
	return bad("bad_period", fmt.Sprintf("неизвестный период %q: ожидается квартал вида 2026Q3", s), fmt.Sprintf("unknown period %q: want a quarter like 2026Q3", s))
}

// ReportStatus decides a quarter's status from the live build and the
// submitted versions.
func ReportStatus(now time.Time, live *report.Report, frozen []Frozen) (status string, changed bool) {
	if now.Before(live.To) {
		return report.StatusOpen, false
	}
	if n := len(frozen); n > 0 {
		if frozen[n-1].InputsHash == live.InputsHash {
			return report.StatusSubmitted, false
		}
		changed = true
	}
	if !now.Before(live.Due) {
		return report.StatusOverdue, changed
	}
	return report.StatusReady, changed
}

// liveReport builds the live report with its status and next version number.
func (s *Server) liveReport(ctx context.Context, q health.Quarter) (*report.Report, []Frozen, error) {
	return LiveReport(ctx, s.opt.Reports, q, s.opt.Now().UTC())
}

// LiveReport builds a quarter's report as it stands now, with its status
// and version number (the last submitted one if nothing changed since, else
// the next); the API and the CLI both use it.
func LiveReport(ctx context.Context, rs Reports, q health.Quarter, now time.Time) (*report.Report, []Frozen, error) {
	r, err := rs.Build(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	frozen, err := rs.Submitted(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	r.Status, _ = ReportStatus(now, r, frozen)
	r.Version = len(frozen) + 1
	if r.Status == report.StatusSubmitted {
		r.Version = len(frozen)
	}
	return r, frozen, nil
}

type reportListDTO struct {
	Period         string  `json:"period"`
	From           string  `json:"from"`
	To             string  `json:"to"`
	Due            string  `json:"due"`
	Status         string  `json:"status"`
	Changed        bool    `json:"changed_since_submission"`
	Versions       int     `json:"submitted_versions"`
	MissingEntries int     `json:"journal_entries_missing_cause_or_fault"`
	D              float64 `json:"D"`
	N              int     `json:"N"`
}

// listReports shows the current quarter and the four before it.
func (s *Server) listReports(w http.ResponseWriter, r *http.Request) {
	now := s.opt.Now().UTC()
	q := health.QuarterOf(now, s.opt.Location)
	var out []reportListDTO
	for i := 0; i < 5; i++ {
		live, frozen, err := s.liveReport(r.Context(), q)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		missing, err := s.opt.Reports.Missing(r.Context(), q)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		_, changed := ReportStatus(now, live, frozen)
		out = append(out, reportListDTO{Period: q.String(), From: live.From.In(s.opt.Location).Format(time.RFC3339), To: live.To.In(s.opt.Location).Format(time.RFC3339),
			Due: live.DueDate().Format("2006-01-02"), Status: live.Status, Changed: changed, Versions: len(frozen), MissingEntries: missing, D: live.D, N: live.N})
		q = q.Prev()
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": out})
}

// getReport renders GET /api/v1/reports/2026Q3.pdf (?version=N for a
// submitted version, ?lang=en for English).
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	base, ext, ok := strings.Cut(name, ".")
	f, known := formats[ext]
	if !ok || !known {
		s.writeError(w, r, bad("bad_format", "формат отчёта: pdf, xlsx, csv или json (например 2026Q3.pdf)", "report format: pdf, xlsx, csv or json (e.g. 2026Q3.pdf)"))
		return
	}
	q, err := health.ParseQuarter(base)
	if err != nil {
		s.writeError(w, r, badQuarter(base))
		return
	}
	var rep *report.Report
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		frozen, ferr := s.opt.Reports.Submitted(r.Context(), q)
		if ferr != nil {
			s.writeError(w, r, ferr)
			return
		}
		if err != nil || n < 1 || n > len(frozen) {
			s.writeError(w, r, &apiError{http.StatusNotFound, "no_version", fmt.Sprintf("нет представленной версии %q отчёта за %s", v, q), fmt.Sprintf("no submitted version %q of the %s report", v, q)})
			return
		}
		if rep, err = report.ReadJSON(bytes.NewReader(frozen[n-1].JSON)); err != nil {
			s.writeError(w, r, err)
			return
		}
		rep.Version, rep.Status = n, report.StatusSubmitted
	} else if rep, _, err = s.liveReport(r.Context(), q); err != nil {
		s.writeError(w, r, err)
		return
	}
	if english(r) {
		rep.Lang = report.LangEN
	}
	var buf bytes.Buffer
	if err := f.write(&buf, rep); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="deskwatch-%s-v%d.%s"`, q, rep.Version, ext))
	w.Header().Set("X-Inputs-Hash", rep.InputsHash)
	_, _ = w.Write(buf.Bytes())
}

// submitReport freezes the live report as submitted (idempotent: the same
// inputs give the same version).
func (s *Server) submitReport(w http.ResponseWriter, r *http.Request) {
	q, err := health.ParseQuarter(r.PathValue("period"))
	if err != nil {
		s.writeError(w, r, badQuarter(r.PathValue("period")))
		return
	}
	v, created, err := SubmitQuarter(r.Context(), s.opt.Reports, q, callerOf(r).Name, s.opt.Now().UTC())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, map[string]any{"period": q.String(), "version": v, "created": created})
}

// SubmitQuarter freezes a quarter's live report (also used by the CLI). A
// quarter still running cannot be submitted.
func SubmitQuarter(ctx context.Context, rs Reports, q health.Quarter, by string, now time.Time) (version int, created bool, err error) {
	live, err := rs.Build(ctx, q)
	if err != nil {
		return 0, false, err
	}
	if now.Before(live.To) {
		return 0, false, &apiError{http.StatusConflict, "quarter_open", fmt.Sprintf("квартал %s ещё не закончился", q), fmt.Sprintf("quarter %s has not ended yet", q)}
	}
	frozen, err := rs.Submitted(ctx, q)
	if err != nil {
		return 0, false, err
	}
	if n := len(frozen); n > 0 && frozen[n-1].InputsHash == live.InputsHash {
		return n, false, nil
	}
	live.Status, live.Version = report.StatusSubmitted, len(frozen)+1
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, live); err != nil {
		return 0, false, err
	}
	v, err := rs.Submit(ctx, q, Frozen{SubmittedAt: now, By: by, InputsHash: live.InputsHash, JSON: buf.Bytes()})
	return v, err == nil, err
}

type versionDTO struct {
	Version     any                `json:"version"` // number, or "live" for unsubmitted changes
	SubmittedAt *string            `json:"submitted_at"`
	By          string             `json:"by,omitempty"`
	InputsHash  string             `json:"inputs_hash"`
	N           int                `json:"N"`
	D           float64            `json:"D"`
	Diff        map[string]any     `json:"diff_from_previous,omitempty"`
	Di          map[string]float64 `json:"Di"`
}

// reportVersions lists a quarter's submitted versions (and the live one if
// it differs from the last), each with the difference of its figures from
// the one before.
func (s *Server) reportVersions(w http.ResponseWriter, r *http.Request) {
	q, err := health.ParseQuarter(r.PathValue("period"))
	if err != nil {
		s.writeError(w, r, badQuarter(r.PathValue("period")))
		return
	}
	live, frozen, err := s.liveReport(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var out []versionDTO
	var prev *report.Report
	add := func(v any, rep *report.Report, f *Frozen) {
		d := versionDTO{Version: v, InputsHash: rep.InputsHash, N: rep.N, D: rep.D, Di: map[string]float64{}}
		for _, row := range rep.Desks {
			d.Di[row.ID] = row.Di
		}
		if f != nil {
			d.SubmittedAt, d.By = rfc(f.SubmittedAt), f.By
		}
		if prev != nil {
			d.Diff = diffReports(prev, rep)
		}
		out = append(out, d)
		prev = rep
	}
	for i := range frozen {
		rep, err := report.ReadJSON(bytes.NewReader(frozen[i].JSON))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		add(frozen[i].Version, rep, &frozen[i])
	}
	if len(frozen) == 0 || frozen[len(frozen)-1].InputsHash != live.InputsHash {
		add("live", live, nil)
	}
	writeJSON(w, http.StatusOK, map[string]any{"period": q.String(), "status": live.Status, "versions": out})
}

// diffReports lists what changed: N, D and each desk's figures.
func diffReports(a, b *report.Report) map[string]any {
	d := map[string]any{}
	if a.N != b.N {
		d["N"] = []int{a.N, b.N}
	}
	if a.D != b.D {
		d["D"] = []float64{a.D, b.D}
	}
	old := map[string]report.DeskRow{}
	for _, row := range a.Desks {
		old[row.ID] = row
	}
	desks := map[string]any{}
	for _, row := range b.Desks {
		o, ok := old[row.ID]
		switch {
		case !ok:
			desks[row.ID] = map[string]any{"added": true, "Di": row.Di}
		case o.Di != row.Di || o.Unavailable != row.Unavailable || o.Excluded != row.Excluded:
			desks[row.ID] = map[string]any{"Di": []float64{o.Di, row.Di},
				"unavailable_s": []float64{o.Unavailable.Seconds(), row.Unavailable.Seconds()},
				"excluded_s":    []float64{o.Excluded.Seconds(), row.Excluded.Seconds()}}
		}
		delete(old, row.ID)
	}
	for id := range old {
		desks[id] = map[string]any{"removed": true}
	}
	if len(desks) > 0 {
		d["workstations"] = desks
	}
	return d
}
