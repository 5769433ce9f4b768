package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSV layout, for Excel in ru-RU: UTF-8 with a BOM, fields separated by ';',
// CRLF line ends, decimal comma. Each table is a heading row (its name),
// a header row, its rows, and an empty row.
const (
	csvBOM     = "\ufeff"
	csvTime    = "2006-01-02 15:04:05"
	csvDecimal = ','
)

var csvNote = map[string]string{
	LangRU: "Формат: разделитель полей — точка с запятой, десятичный разделитель — запятая, " +
		"время — ГГГГ-ММ-ДД чч:мм:сс (%s), длительности — в секундах, проценты без округления",
	LangEN: "Format: fields separated by semicolons, decimal comma, " +
		"times YYYY-MM-DD hh:mm:ss (%s), durations in seconds, percentages unrounded",
}

// WriteCSV writes every table of the report to one CSV file, row by row.
func WriteCSV(w io.Writer, r *Report) error {
	l, err := r.check()
	if err != nil {
		return err
	}
	loc := r.zone()
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(csvBOM)
	// Every text field is quoted, so a reader that splits on another
	// separator (",") still sees one cell, never a formula of its own.
	write := func(rec ...string) {
		for i, f := range rec {
			if i > 0 {
				bw.WriteByte(';')
			}
			writeQuoted(bw, defuse(f))
		}
		bw.WriteString("\r\n")
	}
	write(l.title(r.Quarter.Q, r.Quarter.Year))
	write(fmt.Sprintf(csvNote[r.lang()], zoneName(loc, r.From)))
	write()

	var cells []cell
	for _, sh := range r.sheets(l) {
		for bi, b := range sh.blocks {
			title := b.title
			if bi == 0 {
				title = sh.name
			}
			write(title)
			write(b.header...)
			for i := range b.n {
				cells = b.row(i, cells[:0])
				for j, c := range cells {
					if j > 0 {
						bw.WriteByte(';')
					}
					csvField(bw, c, loc)
				}
				bw.WriteString("\r\n")
			}
			write()
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

// csvField writes one cell: numbers and times bare, text quoted.
func csvField(w *bufio.Writer, c cell, loc *time.Location) {
	switch c.kind {
	case kInt:
		w.WriteString(strconv.FormatFloat(c.f, 'f', -1, 64))
	case kPercent, kSeconds:
		w.WriteString(dataFloat(c.f, csvDecimal))
	case kTime:
		if !c.t.IsZero() {
			w.WriteString(c.t.In(loc).Format(csvTime))
		}
	default:
		writeQuoted(w, defuse(c.s))
	}
}

// writeQuoted writes s as an RFC 4180 quoted field (quotes doubled).
func writeQuoted(w *bufio.Writer, s string) {
	w.WriteByte('"')
	w.WriteString(strings.ReplaceAll(s, `"`, `""`))
	w.WriteByte('"')
}

// defuse keeps a spreadsheet from taking free text for a formula (CSV
// injection): a leading = + - @ (or tab, CR) gets an apostrophe, and so does
// one right after any character some reader may split on (, ; tab, line
// end): such a reader starts a new cell there, quoted or not.
func defuse(s string) string {
	var b []byte // nil until something needs an apostrophe
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if start && strings.IndexByte(formulaStart, c) >= 0 {
			if b == nil {
				b = append(make([]byte, 0, len(s)+4), s[:i]...)
			}
			b = append(b, '\'')
		}
		if b != nil {
			b = append(b, c)
		}
		start = strings.IndexByte(cellBreak, c) >= 0
	}
	if b == nil {
		return s
	}
	return string(b)
}

const (
	formulaStart = "=+-@\t\r" // what a spreadsheet may take for a formula
	cellBreak    = ",;\t\r\n" // where some reader may start a new cell
)
