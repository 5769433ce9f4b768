package report

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
