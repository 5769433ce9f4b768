package report

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

type xlsxCell struct {
	Ref   string `xml:"r,attr"`
	Type  string `xml:"t,attr"`
	Style int    `xml:"s,attr"`
	V     string `xml:"v"`
	IS    string `xml:"is>t"`
}

type xlsxSheet struct {
	Rows []struct {
		N     int        `xml:"r,attr"`
		Cells []xlsxCell `xml:"c"`
	} `xml:"sheetData>row"`
}

// readXLSX reads a workbook back: sheet names in order, and each sheet's
// cells by reference ("B2").
func readXLSX(t *testing.T, data []byte) ([]string, map[string]map[string]xlsxCell) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		wellFormed(t, f.Name, b)
		parts[f.Name] = b
	}
	for _, p := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"} {
		if parts[p] == nil {
			t.Fatalf("no %s", p)
		}
	}
	var book struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(parts["xl/workbook.xml"], &book); err != nil {
		t.Fatal(err)
	}
	var names []string
	sheets := map[string]map[string]xlsxCell{}
	for i, s := range book.Sheets {
		names = append(names, s.Name)
		var sh xlsxSheet
		if err := xml.Unmarshal(parts[fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)], &sh); err != nil {
			t.Fatal(err)
		}
		cells := map[string]xlsxCell{}
		for _, row := range sh.Rows {
			for _, c := range row.Cells {
				cells[c.Ref] = c
			}
		}
		sheets[s.Name] = cells
	}
	return names, sheets
}

func wellFormed(t *testing.T, name string, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v", name, err)
		}
	}
}

// num is a numeric cell's value; a text cell fails the test.
func num(t *testing.T, c xlsxCell) float64 {
	t.Helper()
	if c.Type != "" {
		t.Fatalf("cell %s is %q, want a number", c.Ref, c.Type)
	}
	v, err := strconv.ParseFloat(c.V, 64)
	if err != nil {
		t.Fatalf("cell %s: %v", c.Ref, err)
	}
	return v
}

func fromSerial(v float64, loc *time.Location) time.Time {
	wall := excelEpoch.Add(time.Duration(math.Round(v*24*3600*1000)) * time.Millisecond)
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
}

func TestXLSX(t *testing.T) {
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	names, sheets := readXLSX(t, buf.Bytes())
	if want := []string{"Показатели", "АРМ", "Исключения", "Журнал", "Покрытие мониторинга"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("sheets %v, want %v", names, want)
	}
	ind := sheets["Показатели"]
	rowOf := func(cells map[string]xlsxCell, key string) string {
		for ref, c := range cells {
			if strings.HasPrefix(ref, "A") && c.IS == key {
				return ref[1:]
			}
		}
		t.Fatalf("no row %q", key)
		return ""
	}
	if v := num(t, ind["B"+rowOf(ind, ru.keyN)]); v != 13 {
		t.Errorf("N = %v", v)
	}
	dCell := ind["B"+rowOf(ind, ru.keyD)]
	if v := num(t, dCell); v != r.D || dCell.Style != stylePercent {
		t.Errorf("D = %v (style %d), want %v (style %d)", v, dCell.Style, r.D, stylePercent)
	}
	if c := ind["B"+rowOf(ind, ru.keyFrom)]; !fromSerial(num(t, c), irkutsk).Equal(r.From) {
		t.Errorf("period start %v", fromSerial(num(t, c), irkutsk))
	}
	hot := rowOf(ind, "117")
	if num(t, ind["C"+hot]) != r.Hotlines[0].D {
		t.Errorf("hotline 117 D = %v", ind["C"+hot].V)
	}

	desks := sheets["АРМ"]
	if desks["A1"].IS != ru.deskCols[0] || desks["A1"].Style != styleHeader {
		t.Errorf("header %+v", desks["A1"])
	}
	for i, d := range r.Desks {
		n := strconv.Itoa(i + 2)
		if desks["A"+n].IS != d.ID || num(t, desks["F"+n]) != d.Provided.Seconds() || num(t, desks["G"+n]) != d.Unavailable.Seconds() ||
			num(t, desks["H"+n]) != d.Excluded.Seconds() || num(t, desks["I"+n]) != d.Unknown.Seconds() || num(t, desks["J"+n]) != d.Di {
			t.Errorf("row %s differs from %+v", n, d)
		}
		if desks["J"+n].Style != stylePercent || desks["F"+n].Style != styleSeconds {
			t.Errorf("row %s styles: Di %d, seconds %d", n, desks["J"+n].Style, desks["F"+n].Style)
		}
	}
	if got := fromSerial(num(t, desks["D10"]), irkutsk); !got.Equal(at(2026, 8, 15, 9, 0, 0)) {
		t.Errorf("op122-09 in service from %v", got)
	}
	excl := sheets["Исключения"]
	if num(t, excl["E2"]) != 9000 || excl["G2"].IS != r.Exclusions[0].Reason {
		t.Errorf("exclusion row: %+v %+v", excl["E2"], excl["G2"])
	}
	journal := sheets["Журнал"]
	for i, j := range r.Journal {
		n := strconv.Itoa(i + 2)
		if num(t, journal["A"+n]) != float64(j.Number) || !fromSerial(num(t, journal["B"+n]), irkutsk).Equal(j.Start) {
			t.Errorf("journal row %s: %+v %+v", n, journal["A"+n], journal["B"+n])
		}
	}
	if _, ok := journal["A"+strconv.Itoa(len(r.Journal)+2)]; ok {
		t.Error("journal sheet has extra rows")
	}
	cov := sheets["Покрытие мониторинга"]
	if num(t, cov["B2"]) != 2400 {
		t.Errorf("unknown seconds %v", cov["B2"].V)
	}
}

func TestXLSXJournalSplitsAtSheetLimit(t *testing.T) {
	saved := maxSheetRows
	maxSheetRows = 4
	defer func() { maxSheetRows = saved }()
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	names, sheets := readXLSX(t, buf.Bytes())
	if want := []string{"Показатели", "АРМ", "Исключения", "Журнал", "Журнал (2)", "Покрытие мониторинга"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("sheets %v, want %v", names, want)
	}
	if num(t, sheets["Журнал (2)"]["A2"]) != 5 || num(t, sheets["Журнал (2)"]["A3"]) != 6 {
		t.Error("the second journal sheet does not continue the first")
	}
}
