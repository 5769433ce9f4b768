package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
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
	cw := csv.NewWriter(bw)
	cw.Comma = ';'
	cw.UseCRLF = true

	write := func(rec ...string) error { return cw.Write(rec) }
	if err := write(l.title(r.Quarter.Q, r.Quarter.Year)); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	write(fmt.Sprintf(csvNote[r.lang()], zoneName(loc, r.From)))
	write()

	var cells []cell
	var rec []string
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
				rec = rec[:0]
				for _, c := range cells {
					rec = append(rec, csvField(c, loc))
				}
				if err := cw.Write(rec); err != nil {
					return fmt.Errorf("report: csv: %s row %d: %w", sh.name, i, err)
				}
			}
			write()
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

func csvField(c cell, loc *time.Location) string {
	switch c.kind {
	case kInt:
		return strconv.FormatFloat(c.f, 'f', -1, 64)
	case kPercent, kSeconds:
		return dataFloat(c.f, csvDecimal)
	case kTime:
		if c.t.IsZero() {
			return ""
		}
		return c.t.In(loc).Format(csvTime)
	}
	return defuse(c.s)
}

// defuse keeps Excel from taking free text for a formula (CSV injection):
// text starting with = + - @ or a tab gets a leading apostrophe.
func defuse(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}
