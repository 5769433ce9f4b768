package report

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// journal lists the quarter's journal on landscape pages, or summarises it
// when it is longer than pdfJournalLimit.
func (p *pdfWriter) journal() {
	r, l := p.r, p.l
	p.f.AddPageFormat("L", p.f.GetPageSizeStr("A4"))
	p.section(l.secJournal)
	p.para(l.journalNote, false, 8, "L")
	p.f.Ln(1)
	if len(r.Journal) == 0 {
		p.para(l.noJournal, false, pdfBodySize, "L")
		return
	}
	if len(r.Journal) > pdfJournalLimit {
		p.journalSummary()
		return
	}
	t := pdfTable{weights: []float64{8, 21, 21, 38, 12, 48, 24, 40, 38, 17}, aligns: "RLLLLLLLLL",
		size: 7, header: l.pdfJournalCols}
	var det []string
	p.table(t, len(r.Journal), func(i int, b []string) []string {
		j := &r.Journal[i]
		det = det[:0]
		for _, s := range j.Detection {
			det = append(det, word(l.detections, s))
		}
		excl := j.Reason
		if j.ExclusionCategory != "" {
			excl = joinNonEmpty(": ", word(l.categories, j.ExclusionCategory), j.Reason)
		}
		return append(b, strconv.Itoa(j.Number), l.at(j.Start, p.loc, l.none), l.at(j.End, p.loc, l.ongoing),
			p.deskList(j.Desks), strings.Join(j.Hotlines, ", "),
			joinNonEmpty("\n", word(l.causes, j.Cause), strings.Join(det, ", ")),
			word(l.faults, j.Fault), excl, j.Actions, j.RecordedBy)
	})
}

// journalSummary stands for a journal too long to print: entries and their
// time within the period by fault and by cause, and where the full journal is.
func (p *pdfWriter) journalSummary() {
	r, l := p.r, p.l
	p.para(l.journalTooLong(l.integer(int64(len(r.Journal))), l.integer(int64(pdfJournalLimit)), r.Version,
		orDash(r.InputsHash, l.none)), true, pdfBodySize, "L")
	p.f.Ln(2)
	end := r.MeasuredTo
	if end.IsZero() || end.After(r.To) {
		end = r.To
	}
	type agg struct {
		n int
		d time.Duration
	}
	byFault, byCause := map[string]*agg{}, map[string]*agg{}
	var total agg
	for i := range r.Journal {
		j := &r.Journal[i]
		s, e := j.Start, j.End
		if e.IsZero() || e.After(end) {
			e = end
		}
		if s.Before(r.From) {
			s = r.From
		}
		d := max(e.Sub(s), 0)
		for _, g := range []struct {
			m   map[string]*agg
			key string
		}{{byFault, j.Fault}, {byCause, j.Cause}} {
			a := g.m[g.key]
			if a == nil {
				a = &agg{}
				g.m[g.key] = a
			}
			a.n++
			a.d += d
		}
		total.n++
		total.d += d
	}
	for _, g := range []struct {
		head  string
		m     map[string]*agg
		names map[string]string
	}{{l.colFault, byFault, l.faults}, {l.colCause, byCause, l.causes}} {
		keys := slices.SortedFunc(maps.Keys(g.m), func(a, b string) int {
			return cmp.Or(cmp.Compare(g.m[b].n, g.m[a].n), cmp.Compare(a, b))
		})
		t := pdfTable{weights: []float64{90, 30, 40}, aligns: "LRR", size: 8,
			header: []string{g.head, l.colEntries, l.colEntriesTime}}
		p.table(t, len(keys)+1, func(i int, b []string) []string {
			if i == len(keys) {
				return append(b, l.total, l.integer(int64(total.n)), l.duration(total.d))
			}
			a := g.m[keys[i]]
			return append(b, orDash(word(g.names, keys[i]), l.none), l.integer(int64(a.n)), l.duration(a.d))
		})
		p.f.Ln(3)
	}
}

// deskList names up to pdfMaxDesks desks; the data formats have them all.
func (p *pdfWriter) deskList(ids []string) string {
	if len(ids) <= pdfMaxDesks {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:pdfMaxDesks], ", ") + " " + p.l.moreDesks(len(ids)-pdfMaxDesks, len(ids))
}
