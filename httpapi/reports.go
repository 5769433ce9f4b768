package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"deskwatch/health"
	"deskwatch/report"
	"deskwatch/service"
)

// Reports is what the report routes ask of the service (*service.Service).
type Reports interface {
	RecentReports(ctx context.Context) ([]service.QuarterReport, error)
	LiveReport(ctx context.Context, q health.Quarter) (service.QuarterReport, error)
	SubmittedReport(ctx context.Context, q health.Quarter, version int) (*report.Report, error)
	Submit(ctx context.Context, q health.Quarter, by, actor string) (service.Submission, error)
	Versions(ctx context.Context, q health.Quarter) (service.History, error)
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
	qrs, err := s.opt.Reports.RecentReports(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]reportListDTO, 0, len(qrs))
	for _, qr := range qrs {
		live := qr.Report
		out = append(out, reportListDTO{Period: live.Quarter.String(), From: live.From.In(s.opt.Location).Format(time.RFC3339), To: live.To.In(s.opt.Location).Format(time.RFC3339),
			Due: live.DueDate().Format("2006-01-02"), Status: live.Status, Changed: qr.Changed, Versions: qr.Submitted, MissingEntries: qr.Missing, D: live.D, N: live.N})
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": out})
}

// getReport renders GET /api/v1/reports/2026Q3.pdf (?version=N for a
// submitted version, ?lang=en for English).
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	base, ext, ok := strings.Cut(name, ".")
	_, known := formats[ext]
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
	v := r.URL.Query().Get("version")
	if v != "" {
		n, _ := strconv.Atoi(v) // not a number: no such version
		rep, err = s.opt.Reports.SubmittedReport(r.Context(), q, n)
	} else {
		var qr service.QuarterReport
		qr, err = s.opt.Reports.LiveReport(r.Context(), q)
		rep = qr.Report
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if english(r) {
		rep.Lang = report.LangEN
	}
	s.serveReport(w, r, rep, v != "", ext)
}

// submitReport freezes the live report as submitted (idempotent: the same
// inputs give the same version).
func (s *Server) submitReport(w http.ResponseWriter, r *http.Request) {
	q, err := health.ParseQuarter(r.PathValue("period"))
	if err != nil {
		s.writeError(w, r, badQuarter(r.PathValue("period")))
		return
	}
	name := callerOf(r).Name
	sub, err := s.opt.Reports.Submit(r.Context(), q, name, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	code := http.StatusOK
	if sub.Created {
		code = http.StatusCreated
	}
	writeJSON(w, code, map[string]any{"period": q.String(), "version": sub.Version, "created": sub.Created,
		"by": name, "actor": name, "journal_head": sub.JournalHead.String()})
}

type versionDTO struct {
	Version     any                `json:"version"` // number, or "live" for unsubmitted changes
	SubmittedAt *string            `json:"submitted_at"`
	By          string             `json:"by,omitempty"`
	Actor       string             `json:"actor,omitempty"`
	InputsHash  string             `json:"inputs_hash"`
	JournalHead string             `json:"journal_head,omitempty"` // "SEQ:HASH" as the version printed it
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
	h, err := s.opt.Reports.Versions(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]versionDTO, 0, len(h.Versions))
	var prev *report.Report
	for _, v := range h.Versions {
		d := versionDTO{Version: v.Version, SubmittedAt: rfc(v.SubmittedAt), By: v.By, Actor: v.Actor, InputsHash: v.Report.InputsHash,
			JournalHead: v.Report.JournalHead.String(), N: v.Report.N, D: v.Report.D, Di: map[string]float64{}}
		if v.Version == 0 {
			d.Version = "live"
		}
		for _, row := range v.Report.Desks {
			d.Di[row.ID] = row.Di
		}
		if prev != nil {
			d.Diff = diffReports(prev, v.Report)
		}
		out = append(out, d)
		prev = v.Report
	}
	writeJSON(w, http.StatusOK, map[string]any{"period": q.String(), "status": h.Status, "versions": out})
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
