package report

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// XLSX is written by hand: a minimal SpreadsheetML package (workbook, styles,
// one worksheet per table, inline strings, no shared-string table) streamed
// straight into the zip, so memory does not grow with the rows. See doc.go.

// Cell styles, indexes into cellXfs of xlsxStyles.
const (
	styleNone = iota
	styleHeader
	styleTitle
	stylePercent
	styleTime
	styleSeconds
	styleInt
)

const xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<numFmts count="2"><numFmt numFmtId="164" formatCode="0.0000&quot; %&quot;"/>` +
	`<numFmt numFmtId="165" formatCode="DATETIME"/></numFmts>` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
	`<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>` +
	`<fill><patternFill patternType="solid"><fgColor rgb="FFE7E6E6"/><bgColor indexed="64"/></patternFill></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="7">` +
	`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
	`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`</styleSheet>`

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// excelEpoch is day 0 of Excel's 1900 date system (as Excel counts, with
// its 29 Feb 1900).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// WriteXLSX writes the report as an Excel workbook, one sheet per table:
// numbers as numbers, percentages with a 4-decimal display format, times as
// Excel dates in the report's zone.
func WriteXLSX(w io.Writer, r *Report) error {
	l, err := r.check()
	if err != nil {
		return err
	}
	sheets := r.sheets(l)
	mod := r.GeneratedAt
	if mod.IsZero() {
		mod = r.To
	}
	x := &xlsxWriter{zw: zip.NewWriter(w), loc: r.zone(), mod: mod}
	x.zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})

	var ct, rels, book strings.Builder
	ct.WriteString(xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`)
	rels.WriteString(xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	book.WriteString(xmlHeader + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`)
	for i, sh := range sheets {
		n := strconv.Itoa(i + 1)
		ct.WriteString(`<Override PartName="/xl/worksheets/sheet` + n + `.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
		rels.WriteString(`<Relationship Id="rId` + n + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet` + n + `.xml"/>`)
		book.WriteString(`<sheet name="` + xmlAttr(sh.name) + `" sheetId="` + n + `" r:id="rId` + n + `"/>`)
	}
	ct.WriteString(`</Types>`)
	rels.WriteString(`<Relationship Id="rId` + strconv.Itoa(len(sheets)+1) +
		`" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`)
	book.WriteString(`</sheets></workbook>`)

	x.file("[Content_Types].xml", ct.String())
	x.file("_rels/.rels", xmlHeader+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>`+
		`</Relationships>`)
	x.file("xl/workbook.xml", book.String())
	x.file("xl/_rels/workbook.xml.rels", rels.String())
	x.file("xl/styles.xml", strings.Replace(xlsxStyles, "DATETIME", xmlAttr(l.xlsxDateTime), 1))
	for i, sh := range sheets {
		x.sheet(i+1, sh)
	}
	if x.err == nil {
		x.err = x.zw.Close()
	}
	if x.err != nil {
		return fmt.Errorf("report: xlsx: %w", x.err)
	}
	return nil
}

type xlsxWriter struct {
	zw  *zip.Writer
	loc *time.Location
	mod time.Time
	err error
	buf []byte
}

func (x *xlsxWriter) create(name string) io.Writer {
	if x.err != nil {
		return nil
	}
	f, err := x.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: x.mod})
	x.err = err
	return f
}

func (x *xlsxWriter) file(name, content string) {
	if f := x.create(name); f != nil {
		_, x.err = io.WriteString(f, content)
	}
}

func (x *xlsxWriter) sheet(n int, sh sheet) {
	f := x.create("xl/worksheets/sheet" + strconv.Itoa(n) + ".xml")
	if f == nil {
		return
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	bw.WriteString(xmlHeader + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	if len(sh.blocks) == 1 {
		// A data sheet: keep its header row in sight.
		bw.WriteString(`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>`)
	}
	bw.WriteString(`<cols>`)
	for i, wd := range sh.widths {
		c := strconv.Itoa(i + 1)
		bw.WriteString(`<col min="` + c + `" max="` + c + `" width="` + strconv.FormatFloat(wd, 'f', -1, 64) + `" customWidth="1"/>`)
	}
	bw.WriteString(`</cols><sheetData>`)

	row := 0
	var cells []cell
	texts := func(style int, ss ...string) {
		cells = cells[:0]
		for _, s := range ss {
			cells = append(cells, textCell(s))
		}
		row++
		x.row(bw, row, cells, style)
	}
	for bi, b := range sh.blocks {
		if bi > 0 {
			row++ // an empty row between blocks
			texts(styleTitle, b.title)
		}
		texts(styleHeader, b.header...)
		for i := 0; i < b.n && x.err == nil; i++ {
			cells = b.row(i, cells[:0])
			row++
			x.row(bw, row, cells, -1)
		}
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil && x.err == nil {
		x.err = err
	}
}

// row writes one <row>; style -1 chooses each cell's style by its kind.
func (x *xlsxWriter) row(bw *bufio.Writer, n int, cells []cell, style int) {
	rn := strconv.Itoa(n)
	b := x.buf[:0]
	b = append(b, `<row r="`...)
	b = append(b, rn...)
	b = append(b, `">`...)
	for i, c := range cells {
		st := style
		if st < 0 {
			st = cellStyle(c)
		}
		if c.kind == kTime && c.t.IsZero() || c.kind == kText && c.s == "" {
			continue
		}
		b = append(b, `<c r="`...)
		b = appendCol(b, i)
		b = append(b, rn...)
		b = append(b, '"')
		if st != styleNone {
			b = append(b, ` s="`...)
			b = strconv.AppendInt(b, int64(st), 10)
			b = append(b, '"')
		}
		switch c.kind {
		case kText:
			b = append(b, ` t="inlineStr"><is><t`...)
			if edgeSpace(c.s) {
				b = append(b, ` xml:space="preserve"`...)
			}
			b = append(b, '>')
			b = appendEscaped(b, c.s)
			b = append(b, `</t></is></c>`...)
		case kTime:
			b = append(b, `><v>`...)
			b = strconv.AppendFloat(b, excelSerial(c.t, x.loc), 'f', -1, 64)
			b = append(b, `</v></c>`...)
		default:
			b = append(b, `><v>`...)
			b = strconv.AppendFloat(b, c.f, 'f', -1, 64)
			b = append(b, `</v></c>`...)
		}
	}
	b = append(b, `</row>`...)
	x.buf = b
	if _, err := bw.Write(b); err != nil && x.err == nil {
		x.err = err
	}
}

func cellStyle(c cell) int {
	switch c.kind {
	case kPercent:
		return stylePercent
	case kTime:
		return styleTime
	case kSeconds:
		return styleSeconds
	case kInt:
		return styleInt
	}
	return styleNone
}

// excelSerial is t's wall-clock time in loc as an Excel date: days since
// excelEpoch, the time of day as the fraction.
func excelSerial(t time.Time, loc *time.Location) float64 {
	lt := t.In(loc)
	wall := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC)
	return float64(wall.Sub(excelEpoch)) / float64(24*time.Hour)
}

// appendCol appends the column letters of the 0-based index i.
func appendCol(b []byte, i int) []byte {
	if i >= 26 {
		b = appendCol(b, i/26-1)
	}
	return append(b, byte('A'+i%26))
}

// appendEscaped appends s as XML character data: markup escaped, characters
// XML does not allow dropped, invalid UTF-8 replaced.
func appendEscaped(b []byte, s string) []byte {
	if plainXML(s) {
		return append(b, s...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = utf8.AppendRune(b, utf8.RuneError) // invalid UTF-8
			case r == 0xFFFE || r == 0xFFFF: // not XML characters
			default:
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
		switch {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c == '"':
			b = append(b, "&quot;"...)
		case c == '\t' || c == '\n' || c >= 0x20:
			b = append(b, c)
		default:
			// other controls are not XML characters (and a bare CR would be
			// read back as LF): dropped
		}
	}
	return b
}

// plainXML reports whether s can go into XML as it is: valid UTF-8 with no
// markup, control characters or U+FFFE/U+FFFF (UTF-8 EF BF BE/BF).
func plainXML(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 && c != '\t' && c != '\n', c == '&', c == '<', c == '>', c == '"':
			return false
		case c == 0xEF && i+2 < len(s) && s[i+1] == 0xBF && s[i+2] >= 0xBE:
			return false
		}
	}
	return utf8.ValidString(s)
}

// edgeSpace reports whether s starts or ends with white space, which XML
// keeps only under xml:space="preserve".
func edgeSpace(s string) bool {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }
	return s != "" && (isSpace(s[0]) || isSpace(s[len(s)-1]))
}

func xmlAttr(s string) string { return string(appendEscaped(nil, s)) }
