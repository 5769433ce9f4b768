package report

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
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
