package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The sections of the PDF report, in the order WritePDF draws them; the
// journal is in pdf_journal.go.

func (p *pdfWriter) titlePage() {
	r, l := p.r, p.l
	p.para(l.institution, true, 10, "L")
	p.para(l.center, false, 9, "L")
	p.para(l.addressee, false, 9, "L")
	p.f.Ln(6)
	p.para(l.title(r.Quarter.Q, r.Quarter.Year), true, 14, "C")
	p.f.Ln(4)

	last := r.To.Add(-time.Nanosecond).In(p.loc)
	period := fmt.Sprintf("%s – %s", r.From.In(p.loc).Format(l.dateOnly), last.Format(l.dateOnly))
	rows := [][2]string{
		{l.period, period},
		{l.zone, zoneName(p.loc, r.From)},
		{l.measuredTo, l.at(r.MeasuredTo, p.loc, l.none)},
		{l.due, l.dueText(r.DueDate().Format(l.dateOnly))},
		{l.generated, l.at(r.GeneratedAt, p.loc, l.none)},
		{l.version, strconv.Itoa(r.Version)},
		{l.status, word(l.statuses, r.Status)},
		{l.inputsHash, orDash(r.InputsHash, l.none)},
		{l.journalHead, orDash(r.JournalHead.String(), l.none)},
	}
	t := pdfTable{weights: []float64{1, 2.6}, aligns: "LL", size: 8.5, noHeader: true}
	p.table(t, len(rows), func(i int, b []string) []string { return append(b, rows[i][0], rows[i][1]) })
	if r.Status == StatusOpen || r.MeasuredTo.Before(r.To) && !r.MeasuredTo.IsZero() {
		p.f.Ln(2)
		p.f.SetTextColor(150, 0, 0)
		p.para(l.openNote(l.at(r.MeasuredTo, p.loc, l.none)), true, pdfBodySize, "L")
		p.f.SetTextColor(0, 0, 0)
	}
	p.f.Ln(2)
	p.para(l.standard, false, 7.5, "L")
}

func (p *pdfWriter) indicators() {
	r, l := p.r, p.l
	p.section(l.secIndicators)
	t := pdfTable{weights: []float64{1, 8, 1.4, 2}, aligns: "CLCR", size: 9,
		header: []string{l.colNo, l.colIndicator, l.colUnit, l.colValue}}
	p.table(t, 2, func(i int, b []string) []string {
		if i == 0 {
			return append(b, "1", l.indN, l.unitPieces, strconv.Itoa(r.N))
		}
		return append(b, "2", l.indD, l.unitPercent, l.percent(r.D))
	})
	p.f.Ln(2)
	p.para(l.formula, false, 8, "L")
	p.para(l.footnote, false, 8, "L")

	p.f.Ln(3)
	p.ensure(20)
	p.para(l.secHotlines, true, 9.5, "L")
	p.f.Ln(1)
	t = pdfTable{weights: []float64{1, 1, 1}, aligns: "CRR", size: 9,
		header: []string{l.colHotline, l.colHotlineN, l.colHotlineD}}
	p.table(t, len(r.Hotlines), func(i int, b []string) []string {
		h := &r.Hotlines[i]
		return append(b, h.Number, strconv.Itoa(h.N), l.percent(h.D))
	})
}

func (p *pdfWriter) desks() {
	r, l := p.r, p.l
	p.section(l.secDesks)
	t := pdfTable{weights: []float64{21, 13, 28, 26.5, 26.5, 26.5, 26.5, 15}, aligns: "LLLRRRRR",
		size: pdfTableSize, header: l.pdfDeskCols}
	p.table(t, len(r.Desks), func(i int, b []string) []string {
		d := &r.Desks[i]
		return append(b, joinNonEmpty("\n", d.ID, d.Name), strings.Join(d.Hotlines, ", "), p.service(d),
			l.duration(d.Provided), l.duration(d.Unavailable), l.duration(d.Excluded), l.duration(d.Unknown),
			l.percent(d.Di))
	})
}

func (p *pdfWriter) service(d *DeskRow) string {
	l := p.l
	sched := l.scheduleLabel + scheduleName(l, d.Schedule)
	if d.InServiceFrom.IsZero() && d.InServiceUntil.IsZero() {
		return l.inServiceAlways + "\n" + sched
	}
	var parts []string
	if !d.InServiceFrom.IsZero() {
		parts = append(parts, l.inServiceFrom+l.at(d.InServiceFrom, p.loc, ""))
	}
	if !d.InServiceUntil.IsZero() {
		parts = append(parts, l.inServiceUntil+l.at(d.InServiceUntil, p.loc, ""))
	}
	return strings.Join(append(parts, sched), "\n")
}

func (p *pdfWriter) exclusions() {
	r, l := p.r, p.l
	p.section(l.secExclusions)
	if len(r.Exclusions) == 0 {
		p.para(l.noExclusions, false, pdfBodySize, "L")
		return
	}
	t := pdfTable{weights: []float64{25, 22, 22, 20, 31, 40, 20}, aligns: "LLLRLLL",
		size: pdfTableSize, header: l.pdfExclusionCols}
	p.table(t, len(r.Exclusions), func(i int, b []string) []string {
		e := &r.Exclusions[i]
		return append(b, joinNonEmpty("\n", e.Workstation, e.SpanID), l.at(e.Start, p.loc, l.none),
			l.at(e.End, p.loc, l.ongoing), l.duration(e.Counted), word(l.categories, e.Category), e.Reason,
			joinNonEmpty("\n", e.By, l.at(e.At, p.loc, "")))
	})
}

func (p *pdfWriter) coverage() {
	r, l := p.r, p.l
	p.f.AddPageFormat("P", p.f.GetPageSizeStr("A4"))
	p.section(l.secCoverage)
	total := hoursMinutes(r.Coverage.Unknown) + " " + l.hm + " (" + l.seconds(r.Coverage.Unknown) + ")"
	p.para(l.coverageText(total), false, pdfBodySize, "L")
	p.para(word(l.treatments, r.Coverage.Treatment), false, pdfBodySize, "L")
	p.f.Ln(2)
	if len(r.Coverage.Intervals) == 0 {
		p.para(l.noBlind, false, pdfBodySize, "L")
		return
	}
	t := pdfTable{weights: []float64{1, 1, 1}, aligns: "LLR", size: 8,
		header: l.pdfIntervalCols}
	p.table(t, len(r.Coverage.Intervals), func(i int, b []string) []string {
		iv := r.Coverage.Intervals[i]
		d := l.none
		if !iv.End.IsZero() {
			d = l.duration(iv.End.Sub(iv.Start))
		}
		return append(b, l.at(iv.Start, p.loc, l.none), l.at(iv.End, p.loc, l.ongoing), d)
	})
}

func (p *pdfWriter) signature() {
	l := p.l
	p.f.Ln(12)
	p.ensure(32)
	p.para(l.institution, false, pdfBodySize, "L")
	p.f.Ln(6)
	p.font(false, pdfBodySize)
	lh := lineHeight(pdfBodySize)
	w := p.width()
	y := p.f.GetY()
	p.f.SetXY(pdfMargin, y)
	p.f.CellFormat(w*0.4, lh, clean(l.signature), "", 0, "L", false, 0, "")
	p.f.Line(pdfMargin+w*0.42, y+lh, pdfMargin+w*0.66, y+lh)
	p.f.Line(pdfMargin+w*0.7, y+lh, pdfMargin+w, y+lh)
	p.font(false, 6.5)
	p.f.SetXY(pdfMargin+w*0.42, y+lh+0.5)
	p.f.CellFormat(w*0.24, 3, clean(l.signHint), "", 0, "C", false, 0, "")
	p.f.SetXY(pdfMargin+w*0.7, y+lh+0.5)
	p.f.CellFormat(w*0.3, 3, clean(l.nameHint), "", 0, "C", false, 0, "")
	p.f.SetY(y + lh + 8)
	p.para(l.dateLine, false, pdfBodySize, "L")
}
