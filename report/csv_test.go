package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

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
