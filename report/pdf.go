package report

import (
	"cmp"
	_ "embed"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
)

// DejaVu Sans: Cyrillic coverage, a licence that allows embedding (fonts/LICENSE).
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

const (
	pdfFamily    = "DejaVu"
	pdfMargin    = 15.0 // mm, all sides
	pdfPad       = 0.8  // mm above and below the text of a table cell
	pdfMaxDesks  = 20   // desks listed in a journal row before "… and N more"
	pdfTableSize = 7.5  // pt
	pdfBodySize  = 9.0  // pt
	ptToMM       = 25.4 / 72
)

// pdfJournalLimit is the most journal entries the PDF lists (about 550
// landscape pages); a longer journal is summarised there and listed in full
// only by the data formats. A variable for the tests.
var pdfJournalLimit = 10_000

// WritePDF writes the report as an A4 PDF for signing and sending to the
// ministry: the п.28 indicators, per hotline, Di of each desk, the excluded
// failures with their reasons, the journal of the quarter (on landscape
// pages; a summary instead past 10,000 entries), the monitoring coverage, and
// a signature line. Tables break across pages and repeat their header. fpdf
// builds the whole document in memory before writing it.
func WritePDF(w io.Writer, r *Report) error {
	l, err := r.check()
	if err != nil {
		return err
	}
	p := &pdfWriter{r: r, l: l, loc: r.zone()}
	f := fpdf.New("P", "mm", "A4", "")
	p.f = f
	f.AliasNbPages("{nb}") // before the fonts: their subset then keeps the digits
	f.AddUTF8FontFromBytes(pdfFamily, "", fontRegular)
	f.AddUTF8FontFromBytes(pdfFamily, "B", fontBold)
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(false, pdfMargin) // pages are broken here, between rows
	f.SetCatalogSort(true)               // the same report gives the same bytes
	stamp := r.GeneratedAt
	if stamp.IsZero() {
		stamp = r.To
	}
	f.SetCreationDate(stamp)
	f.SetModificationDate(stamp)
	f.SetTitle(l.title(r.Quarter.Q, r.Quarter.Year), true)
	f.SetAuthor(l.institution, true)
	f.SetCreator("deskwatch", true)
	f.SetLang(map[string]string{LangRU: "ru-RU", LangEN: "en-GB"}[r.lang()])
	f.SetHeaderFuncMode(p.header, true)
	f.SetFooterFunc(p.footer)

	f.AddPage()
	p.titlePage()
	p.indicators()
	p.desks()
	p.exclusions()
	p.journal()
	p.coverage()
	p.signature()
	if err := f.Output(w); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	return nil
}

type pdfWriter struct {
	f   *fpdf.Fpdf
	r   *Report
	l   *labels
	loc *time.Location
}

func (p *pdfWriter) font(bold bool, size float64) {
	style := ""
	if bold {
		style = "B"
	}
	p.f.SetFont(pdfFamily, style, size)
}

func lineHeight(size float64) float64 { return size * ptToMM * 1.25 }

// width is the usable width of the current page.
func (p *pdfWriter) width() float64 {
	w, _ := p.f.GetPageSize()
	return w - 2*pdfMargin
}

// bottom is the lowest y content may reach on the current page.
func (p *pdfWriter) bottom() float64 {
	_, h := p.f.GetPageSize()
	return h - pdfMargin - 5 // the footer sits in the margin's lower part
}

// ensure starts a new page (same orientation) unless h mm fit below y.
func (p *pdfWriter) ensure(h float64) bool {
	if p.f.GetY()+h <= p.bottom() {
		return false
	}
	p.f.AddPageFormat(p.orientation(), p.f.GetPageSizeStr("A4"))
	return true
}

func (p *pdfWriter) orientation() string {
	w, h := p.f.GetPageSize()
	if w > h {
		return "L"
	}
	return "P"
}

func (p *pdfWriter) header() {
	if p.f.PageNo() == 1 {
		return
	}
	p.font(false, 7)
	p.f.SetTextColor(110, 110, 110)
	p.f.SetXY(pdfMargin, 8)
	p.f.CellFormat(p.width(), 4, clean(p.l.title(p.r.Quarter.Q, p.r.Quarter.Year)), "", 0, "L", false, 0, "")
	p.f.SetTextColor(0, 0, 0)
}

func (p *pdfWriter) footer() {
	_, h := p.f.GetPageSize()
	p.font(false, 7)
	p.f.SetTextColor(110, 110, 110)
	p.f.SetXY(pdfMargin, h-pdfMargin+3)
	left := fmt.Sprintf("%s · %s %d · %s", p.r.Quarter, p.l.version, p.r.Version, word(p.l.statuses, p.r.Status))
	if p.r.InputsHash != "" {
		left += " · " + short(p.r.InputsHash, 16)
	}
	p.f.CellFormat(p.width()*0.7, 4, clean(left), "", 0, "L", false, 0, "")
	p.f.CellFormat(p.width()*0.3, 4, p.l.page(p.f.PageNo()), "", 0, "R", false, 0, "")
	p.f.SetTextColor(0, 0, 0)
}

// para writes wrapped text across the page width, breaking pages between lines.
func (p *pdfWriter) para(s string, bold bool, size float64, align string) {
	p.font(bold, size)
	lh := lineHeight(size)
	for _, line := range p.split(s, p.width()) {
		p.ensure(lh)
		p.f.SetX(pdfMargin)
		p.f.CellFormat(p.width(), lh, line, "", 1, align, false, 0, "")
	}
}

func (p *pdfWriter) section(title string) {
	p.f.Ln(3)
	p.ensure(30) // keep the title with the start of what follows
	p.para(title, true, 11, "L")
	p.f.Ln(1)
}

// split wraps s to lines that fit width w in the current font.
func (p *pdfWriter) split(s string, w float64) []string {
	lines := p.f.SplitText(clean(s), w)
	if len(lines) == 0 {
		return []string{""}
	}
	return lines
}

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
	t := pdfTable{weights: []float64{23, 14, 22, 26.5, 26.5, 26.5, 26.5, 15}, aligns: "LLLRRRRR",
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
	if d.InServiceFrom.IsZero() && d.InServiceUntil.IsZero() {
		return l.inServiceAlways
	}
	var parts []string
	if !d.InServiceFrom.IsZero() {
		parts = append(parts, l.inServiceFrom+l.at(d.InServiceFrom, p.loc, ""))
	}
	if !d.InServiceUntil.IsZero() {
		parts = append(parts, l.inServiceUntil+l.at(d.InServiceUntil, p.loc, ""))
	}
	return strings.Join(parts, "\n")
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

// pdfTable describes a table: column weights (scaled to the page width; in
// mm of a portrait page where they add up to 180), one alignment letter per
// column, the font size of the rows (the header's is 1 pt less) and the header.
type pdfTable struct {
	weights  []float64
	aligns   string
	size     float64
	header   []string
	noHeader bool
}

// table draws n rows, breaking pages between rows and repeating the header
// on each page. row appends row i's cells to b[:0].
func (p *pdfWriter) table(t pdfTable, n int, row func(i int, b []string) []string) {
	var sum float64
	for _, w := range t.weights {
		sum += w
	}
	var widths []float64
	layout := func() { // the page width may change with a new page
		widths = widths[:0]
		for _, w := range t.weights {
			widths = append(widths, p.width()*w/sum)
		}
	}
	header := func() {
		if !t.noHeader {
			lines, h := p.cellLines(nil, t.header, widths, t.size-1, true)
			p.drawRow(lines, widths, h, t.size-1, true, "")
		}
	}
	layout()
	if !t.noHeader {
		p.ensure(8 * lineHeight(t.size)) // the header with a row or two under it
	}
	header()
	var cells []string
	var lines [][]string
	for i := range n {
		cells = row(i, cells[:0])
		var h float64
		lines, h = p.cellLines(lines, cells, widths, t.size, false)
		if p.ensure(h) {
			layout()
			header()
		}
		p.drawRow(lines, widths, h, t.size, false, t.aligns)
	}
	p.f.SetX(pdfMargin)
}

// cellLines wraps each cell to its column and returns the lines and the
// row's height. A cell never outgrows a page: its excess lines are cut.
func (p *pdfWriter) cellLines(buf [][]string, cells []string, widths []float64, size float64, bold bool) ([][]string, float64) {
	p.font(bold, size)
	lh := lineHeight(size)
	limit := int((p.bottom() - pdfMargin - 12*lh) / lh)
	buf = buf[:0]
	n := 1
	for i, c := range cells {
		ls := p.split(c, widths[i])
		if len(ls) > limit {
			ls = append(ls[:limit-1], "…")
		}
		buf = append(buf, ls)
		n = max(n, len(ls))
	}
	return buf, float64(n)*lh + 2*pdfPad
}

// drawRow draws one row of cells h tall at the current y. A header row is
// bold, centred and shaded; other cells take their column's alignment.
func (p *pdfWriter) drawRow(lines [][]string, widths []float64, h, size float64, header bool, aligns string) {
	f := p.f
	p.font(header, size)
	lh := lineHeight(size)
	style := "D"
	if header {
		f.SetFillColor(231, 230, 230)
		style = "FD"
	}
	f.SetDrawColor(120, 120, 120)
	f.SetLineWidth(0.15)
	x, y := pdfMargin, f.GetY()
	for i, ls := range lines {
		f.Rect(x, y, widths[i], h, style)
		align := "C"
		if !header {
			align = "L"
			if i < len(aligns) {
				align = aligns[i : i+1]
			}
		}
		for k, s := range ls {
			if s != "" {
				f.SetXY(x, y+pdfPad+float64(k)*lh)
				f.CellFormat(widths[i], lh, s, "", 0, align, false, 0, "")
			}
		}
		x += widths[i]
	}
	f.SetXY(pdfMargin, y+h)
}

// clean makes s safe for the font: runes outside the Basic Multilingual
// Plane (fpdf's UTF-8 fonts stop there) become '?', control characters
// other than newline become spaces.
func clean(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' || c >= utf8.RuneSelf {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\r':
		case r < 0x20 || r >= 0x7f && r < 0xa0:
			b.WriteByte(' ')
		case r > 0xFFFF || r == utf8.RuneError:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

func orDash(s, dash string) string {
	if s == "" {
		return dash
	}
	return s
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
