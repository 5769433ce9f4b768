package report

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// csvTables parses WriteCSV's output into tables by heading: header row first.
func csvTables(t *testing.T, data []byte, headings ...string) map[string][][]string {
	t.Helper()
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(csvBOM))))
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, h := range headings {
		known[h] = true
	}
	out := map[string][][]string{}
	cur := ""
	for _, rec := range recs {
		if len(rec) == 1 && known[rec[0]] {
			cur = rec[0]
			continue
		}
		if cur != "" {
			out[cur] = append(out[cur], rec)
		}
	}
	return out
}

func csvFloat(t *testing.T, s string) float64 {
	t.Helper()
	if strings.Contains(s, ".") {
		t.Errorf("%q: decimal point, want a decimal comma", s)
	}
	v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

func TestCSV(t *testing.T) {
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if !bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("no UTF-8 BOM: % x", data[:8])
	}
	if n, crlf := bytes.Count(data, []byte("\n")), bytes.Count(data, []byte("\r\n")); n != crlf || n == 0 {
		t.Errorf("%d line ends, %d of them CRLF", n, crlf)
	}
	lines := strings.Split(string(data), "\r\n")
	if !strings.Contains(lines[1], "десятичный разделитель — запятая") || !strings.Contains(lines[1], "точка с запятой") {
		t.Errorf("the note line does not state the format: %q", lines[1])
	}
	tabs := csvTables(t, data, ru.sheetIndicators, ru.secHotlines, ru.sheetDesks, ru.sheetExclusions,
		ru.sheetJournal, ru.sheetCoverage, ru.blindIntervals)
	kv := map[string]string{}
	for _, rec := range tabs[ru.sheetIndicators][1:] {
		kv[rec[0]] = rec[1]
	}
	if kv[ru.keyN] != "13" {
		t.Errorf("N = %q", kv[ru.keyN])
	}
	if got := csvFloat(t, kv[ru.keyD]); got != r.D {
		t.Errorf("D = %v, want %v", got, r.D)
	}
	if !strings.Contains(kv[ru.keyD], ",") {
		t.Errorf("D %q has no decimal comma", kv[ru.keyD])
	}
	if kv[ru.keyDue] != "15.10.2026" || kv[ru.keyFrom] != "2026-07-01 00:00:00" {
		t.Errorf("due %q, from %q", kv[ru.keyDue], kv[ru.keyFrom])
	}
	for i, rec := range tabs[ru.secHotlines][1:] {
		if h := r.Hotlines[i]; rec[0] != h.Number || rec[1] != strconv.Itoa(h.N) || csvFloat(t, rec[2]) != h.D {
			t.Errorf("hotline row %v, want %+v", rec, h)
		}
	}
	desks := tabs[ru.sheetDesks]
	if len(desks) != 1+len(r.Desks) || !reflect.DeepEqual(desks[0], ru.deskCols) {
		t.Fatalf("desks table: %d rows, header %v", len(desks), desks[0])
	}
	for i, rec := range desks[1:] {
		d := r.Desks[i]
		if rec[0] != d.ID || csvFloat(t, rec[5]) != d.Provided.Seconds() || csvFloat(t, rec[6]) != d.Unavailable.Seconds() ||
			csvFloat(t, rec[7]) != d.Excluded.Seconds() || csvFloat(t, rec[8]) != d.Unknown.Seconds() || csvFloat(t, rec[9]) != d.Di {
			t.Errorf("desk row %v, want %+v", rec, d)
		}
	}
	if got := desks[9][3]; got != "2026-08-15 09:00:00" {
		t.Errorf("op122-09 in service from %q", got)
	}
	excl := tabs[ru.sheetExclusions]
	if len(excl) != 1+len(r.Exclusions) || csvFloat(t, excl[1][4]) != 9000 || excl[1][6] != r.Exclusions[0].Reason ||
		excl[1][5] != "отключение электроснабжения" {
		t.Errorf("exclusions: %v", excl)
	}
	journal := tabs[ru.sheetJournal]
	if len(journal) != 1+len(r.Journal) || journal[2][3] != strings.Join(r.Journal[1].Desks, ", ") {
		t.Errorf("journal: %v", journal)
	}
	cov := tabs[ru.sheetCoverage]
	if csvFloat(t, cov[1][1]) != 2400 || len(tabs[ru.blindIntervals]) != 2 {
		t.Errorf("coverage: %v %v", cov, tabs[ru.blindIntervals])
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	r := sampleReport(t)
	r.Journal[0].Actions = "=HYPERLINK(\"http://x\")"
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"'=HYPERLINK(""http://x"")"`) {
		t.Errorf("formula not defused")
	}
}

// A reader that splits on "," (not the report's ";") must still see free
// text as one cell, never as a formula cell of its own.
func TestCSVTextIsQuotedForAnySeparator(t *testing.T) {
	r := sampleReport(t)
	r.Journal[0].Actions = "сбой,=HYPERLINK(A1),x;@SUM(1)\t-2"
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	data := bytes.TrimPrefix(buf.Bytes(), []byte(csvBOM))
	for _, sep := range []rune{',', ';', '\t'} {
		cr := csv.NewReader(bytes.NewReader(data))
		cr.Comma = sep
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		recs, err := cr.ReadAll()
		if err != nil {
			t.Fatalf("separator %q: %v", sep, err)
		}
		found := false
		for _, rec := range recs {
			for _, f := range rec {
				if f != "" && strings.ContainsRune("=+-@", rune(f[0])) && !isNumber(f) {
					t.Errorf("separator %q: a cell starts a formula: %q", sep, f)
				}
				if sep == ';' && f == "сбой,'=HYPERLINK(A1),x;'@SUM(1)\t'-2" {
					found = true
				}
			}
		}
		if sep == ';' && !found {
			t.Error("the text did not come back whole, defused, as one cell")
		}
	}
}

// isNumber accepts a negative number cell such as "-2" or "-1,5".
func isNumber(s string) bool {
	return strings.Trim(s, "-0123456789,") == ""
}

func TestDefuse(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"Перезагрузка АТС": "Перезагрузка АТС",
		"=1+1":             "'=1+1",
		"a;-b, +c":         "a;'-b, +c",
		"a\n@x":            "a\n'@x",
		"\t=x":             "'\t'=x",
		"x-y=z":            "x-y=z",
	} {
		if got := defuse(in); got != want {
			t.Errorf("defuse(%q) = %q, want %q", in, got, want)
		}
	}
}
